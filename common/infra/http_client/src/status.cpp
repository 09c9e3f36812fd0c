#include "paypipe/infra/http_client/status.hpp"

#include <array>
#include <string>

namespace paypipe::infra::http_client {
namespace {

using std::chrono::seconds;

constexpr seconds kMaxRetryAfter{24 * 60 * 60};

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses exactly `text.size()` digits.
std::optional<int> Digits(std::string_view text) {
  if (!AllDigits(text)) return std::nullopt;
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

int IndexOf(std::string_view name, const std::array<std::string_view, 12>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> ParseImfFixdate(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto day = Digits(text.substr(5, 2));
  const int month = IndexOf(text.substr(8, 3), kMonths);
  const auto year = Digits(text.substr(12, 4));
  const auto hour = Digits(text.substr(17, 2));
  const auto minute = Digits(text.substr(20, 2));
  const auto second = Digits(text.substr(23, 2));
  if (!day || month < 0 || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(month + 1)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
         seconds{*second};
}

}  // namespace

domain::Status CheckStatus(const http::Response& response) {
  const int status = response.status;
  if (status >= 200 && status < 300) return domain::Ok();
  std::string message =
      "HTTP " + std::to_string(status) + " " + std::string(http::ReasonPhrase(status));
  if (status >= 500 && status < 600) {
    return domain::Error::Transient(kServerError, std::move(message));
  }
  if (status == 429) return domain::Error::Transient(kTooManyRequests, std::move(message));
  if (status == 408) return domain::Error::Transient(kRequestTimeout, std::move(message));
  if (status >= 400 && status < 500) {
    return domain::Error::Permanent(kClientError, std::move(message));
  }
  return domain::Error::Permanent(kUnexpectedStatus, std::move(message));
}

std::optional<seconds> ParseRetryAfter(std::string_view value) {
  value = TrimSpaces(value);
  if (!AllDigits(value)) return std::nullopt;
  std::int64_t total = 0;
  for (const char c : value) {
    total = total * 10 + (c - '0');
    if (total >= kMaxRetryAfter.count()) return kMaxRetryAfter;
  }
  return seconds{total};
}

std::optional<seconds> ParseRetryAfter(std::string_view value,
                                       std::chrono::system_clock::time_point now) {
  if (auto delay = ParseRetryAfter(value)) return delay;
  const auto when = ParseImfFixdate(TrimSpaces(value));
  if (!when) return std::nullopt;
  if (*when <= now) return seconds{0};
  return std::min(std::chrono::duration_cast<seconds>(*when - now), kMaxRetryAfter);
}

std::optional<seconds> RetryAfter(const http::Response& response) {
  const auto value = response.headers.Get("Retry-After");
  if (!value) return std::nullopt;
  return ParseRetryAfter(*value);
}

}  // namespace paypipe::infra::http_client
