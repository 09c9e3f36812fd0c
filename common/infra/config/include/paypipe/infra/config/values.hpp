#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"

namespace paypipe::infra::config {

// A URL as configured: `scheme://[user[:password]@]host[:port][/path][?query]`.
struct Url {
  std::string scheme;    // lower-cased: "amqp", "mysql", "https"
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded; never print it, use Redacted()
  std::string host;      // without the brackets of an IPv6 literal
  std::optional<std::uint16_t> port;
  std::string path;   // as written, percent-encoding kept ("/%2f" is the AMQP vhost "/")
  std::string query;  // as written, without the '?'
  std::string text;   // the whole URL exactly as configured, password included

  // The URL with the password replaced by "<redacted>": safe for logs and dumps.
  [[nodiscard]] std::string Redacted() const;
  // scheme://host[:port] — what may be shown of a URL that is a secret as a whole (a Slack
  // webhook URL, whose path is the credential).
  [[nodiscard]] std::string Origin() const;
};

// `host:port` to listen on or connect to. Port 0 asks the system for a free port, which is how
// tests run several processes side by side.
struct HostPort {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;

  [[nodiscard]] std::string ToString() const;
};

// A credential. Holding it in its own type keeps it out of log fields and string concatenation by
// accident: reading it takes an explicit Reveal() at the place that sends it.
class Secret {
 public:
  explicit Secret(std::string value) : value_(std::move(value)) {}
  [[nodiscard]] const std::string& Reveal() const noexcept { return value_; }

 private:
  std::string value_;
};

inline constexpr std::string_view kRedacted = "<redacted>";

// Parsers behind the setting kinds; failures are Permanent errors with code "CONFIG_INVALID" whose
// message says what is wrong without repeating the input (which may hold a credential).
[[nodiscard]] domain::Result<Url> ParseUrl(std::string_view text);
[[nodiscard]] domain::Result<HostPort> ParseHostPort(std::string_view text);
// A sequence of <integer><unit> with units ms, s, m, h, d: "250ms", "30s", "5m", "1h30m", "90d".
[[nodiscard]] domain::Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// The shortest text ParseDuration reads back as `duration`: "1m30s", "250ms", "0s".
[[nodiscard]] std::string FormatDuration(std::chrono::milliseconds duration);
// Comma-separated durations ("1m,5m,15m"; spaces around the commas are allowed), at least one,
// each greater than the one before.
[[nodiscard]] domain::Result<std::vector<std::chrono::milliseconds>> ParseDurationList(
    std::string_view text);
// "1m,5m,15m": the text ParseDurationList reads back as `durations`.
[[nodiscard]] std::string FormatDurationList(
    const std::vector<std::chrono::milliseconds>& durations);
[[nodiscard]] domain::Result<std::int64_t> ParseInteger(std::string_view text);
// Decodes %XX escapes; a malformed escape is an error.
[[nodiscard]] domain::Result<std::string> PercentDecode(std::string_view text);

}  // namespace paypipe::infra::config
