#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http/message.hpp"

namespace paypipe::infra::http_client {

// Process-wide libcurl set-up (curl_global_init / curl_global_cleanup). main() constructs exactly
// one before starting any thread and before any Client exists, and destroys it after the last
// Client is gone: curl_global_init is not safe to race with other libcurl calls.
class CurlGlobal {
 public:
  CurlGlobal();  // throws std::runtime_error when libcurl cannot initialise (start-up failure)
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
  CurlGlobal(CurlGlobal&&) = delete;
  CurlGlobal& operator=(CurlGlobal&&) = delete;
};

struct ClientOptions {
  // Defaults for requests that do not set their own.
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds total_timeout{10'000};
  std::size_t max_response_bytes = std::size_t{4} << 20;
  std::string user_agent = "paypipe";
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  http::Headers headers;
  std::string body;
  // Unset: the client's defaults.
  std::optional<std::chrono::milliseconds> connect_timeout;
  std::optional<std::chrono::milliseconds> total_timeout;
  std::optional<std::size_t> max_response_bytes;
};

// Error codes of Client::Send. Every transport failure is Transient; the code tells whether the
// server may have acted on the request.
inline constexpr const char* kUnreachable =
    "HTTP_UNREACHABLE";  // resolve/connect failed: not applied
inline constexpr const char* kConnectTimeout =
    "HTTP_CONNECT_TIMEOUT";  // timed out before the request was completely sent: not applied
inline constexpr const char* kTimeoutAfterSend =
    "HTTP_TIMEOUT_AFTER_SEND";  // timed out waiting for the response: may have been applied
inline constexpr const char* kTransportError =
    "HTTP_TRANSPORT_ERROR";  // any other transport failure (message has the libcurl text)
inline constexpr const char* kResponseTooLarge =
    "HTTP_RESPONSE_TOO_LARGE";  // Permanent: the response body exceeded max_response_bytes
inline constexpr const char* kInvalidRequest =
    "HTTP_INVALID_REQUEST";  // Permanent: bad URL, method, header or timeout; nothing was sent

// True unless the error proves the server cannot have received the whole request. Callers that
// must not repeat a non-idempotent effect (a PG confirm) look the outcome up when this is true.
[[nodiscard]] bool MayHaveBeenApplied(const domain::Error& error);

// A blocking HTTP/1.1 client over one reused libcurl easy handle: connections to the same host
// are kept alive and reused across Send calls.
//
// Thread safety: none. Use one Client per thread. Requires a live CurlGlobal.
// Bodies, request or response, are never logged nor put into error messages: they carry secrets
// and personal data. Error messages name the method and the URL without its query string.
class Client {
 public:
  explicit Client(ClientOptions options = {});  // throws std::runtime_error if libcurl fails
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request and returns the response, whatever its status (see CheckStatus in
  // status.hpp to classify one). Fails only when no complete response was received, or when the
  // response is larger than allowed.
  [[nodiscard]] domain::Result<http::Response> Send(const ClientRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paypipe::infra::http_client
