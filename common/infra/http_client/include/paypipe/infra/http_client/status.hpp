#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http/message.hpp"

namespace paypipe::infra::http_client {

// Error codes of CheckStatus.
inline constexpr const char* kServerError = "HTTP_SERVER_ERROR";           // 5xx: Transient
inline constexpr const char* kTooManyRequests = "HTTP_TOO_MANY_REQUESTS";  // 429: Transient
inline constexpr const char* kRequestTimeout = "HTTP_REQUEST_TIMEOUT";     // 408: Transient
inline constexpr const char* kClientError = "HTTP_CLIENT_ERROR";           // other 4xx: Permanent
inline constexpr const char* kUnexpectedStatus =
    "HTTP_UNEXPECTED_STATUS";  // 1xx/3xx reaching the caller (redirects are not followed):
                               // Permanent

// Classifies a received response by status: 2xx is Ok; 5xx, 429 and 408 (the server gave up
// waiting for the request, so it was not processed) are Transient; any other status is Permanent.
// The message carries the status only, never the body.
[[nodiscard]] domain::Status CheckStatus(const http::Response& response);

// Parses a Retry-After value given in delay-seconds ("120"). nullopt when absent or malformed.
// Absurdly large values are clamped to one day.
[[nodiscard]] std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);

// Also accepts the HTTP-date form ("Wed, 21 Oct 2015 07:28:00 GMT"), measured from `now`; a date
// in the past means zero.
[[nodiscard]] std::optional<std::chrono::seconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

// The response's Retry-After header in delay-seconds, if any.
[[nodiscard]] std::optional<std::chrono::seconds> RetryAfter(const http::Response& response);

}  // namespace paypipe::infra::http_client
