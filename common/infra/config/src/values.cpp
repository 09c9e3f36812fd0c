#include "paypipe/infra/config/values.hpp"

#include <array>
#include <charconv>
#include <limits>

#include "paypipe/domain/percent_encoding.hpp"

namespace paypipe::infra::config {
namespace {

domain::Error Invalid(std::string message) {
  return domain::Error::Permanent("CONFIG_INVALID", std::move(message));
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool HasSpaceOrControl(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) return true;
  }
  return false;
}

domain::Result<std::uint16_t> ParsePort(std::string_view text, std::uint16_t min) {
  if (text.empty()) return Invalid("port missing after ':'");
  std::uint32_t port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || !IsDigit(text.front())) {
    return Invalid("port is not a number");
  }
  if (port < min || port > 65535) {
    return Invalid("port must be between " + std::to_string(min) + " and 65535");
  }
  return static_cast<std::uint16_t>(port);
}

struct HostAndPort {
  std::string_view host;
  std::optional<std::string_view> port;
};

// Splits "host", "host:port", "[v6]" or "[v6]:port".
domain::Result<HostAndPort> SplitHostPort(std::string_view text) {
  HostAndPort parts;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return Invalid("IPv6 host lacks its closing ']'");
    parts.host = text.substr(1, close - 1);
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid("unexpected text after the IPv6 host");
      parts.port = after.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      parts.host = text;
    } else {
      parts.host = text.substr(0, colon);
      parts.port = text.substr(colon + 1);
    }
    if (parts.host.find(':') != std::string_view::npos) {
      return Invalid("IPv6 host must be written in brackets, [::1]");
    }
  }
  if (parts.host.empty()) return Invalid("host is missing");
  return parts;
}

std::string BracketIfV6(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

}  // namespace

std::string Url::Redacted() const {
  std::string out = scheme + "://";
  if (!user.empty() || !password.empty()) {
    out += user;
    if (!password.empty()) {
      out += ':';
      out += kRedacted;
    }
    out += '@';
  }
  out += BracketIfV6(host);
  if (port.has_value()) out += ":" + std::to_string(*port);
  out += path;
  if (!query.empty()) out += "?" + query;
  return out;
}

std::string Url::Origin() const {
  std::string out = scheme + "://" + BracketIfV6(host);
  if (port.has_value()) out += ":" + std::to_string(*port);
  return out;
}

std::string HostPort::ToString() const { return BracketIfV6(host) + ":" + std::to_string(port); }

domain::Result<std::string> PercentDecode(std::string_view text) {
  auto decoded = domain::PercentDecode(text);
  if (!decoded) return Invalid("a %-escape is cut short or not two hex digits");
  return *std::move(decoded);
}

domain::Result<Url> ParseUrl(std::string_view text) {
  if (HasSpaceOrControl(text)) return Invalid("a URL cannot contain spaces or control characters");
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return Invalid("not a URL: expected scheme://host...");
  }
  Url url;
  url.text = std::string(text);
  const std::string_view scheme = text.substr(0, scheme_end);
  if (!IsAlpha(scheme.front())) return Invalid("the URL scheme must start with a letter");
  for (const char c : scheme) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return Invalid("the URL scheme has an invalid character");
    }
    url.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }

  std::string_view rest = text.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  std::string_view host_port = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    const auto colon = user_info.find(':');
    auto user = PercentDecode(user_info.substr(0, colon));
    if (!user.ok()) return Invalid("URL user name: " + user.error().message);
    url.user = std::move(user).value();
    if (colon != std::string_view::npos) {
      auto password = PercentDecode(user_info.substr(colon + 1));
      if (!password.ok()) return Invalid("URL password: " + password.error().message);
      url.password = std::move(password).value();
    }
  }
  auto parts = SplitHostPort(host_port);
  if (!parts.ok()) return Invalid("URL " + parts.error().message);
  url.host = std::string(parts->host);
  if (parts->port.has_value()) {
    auto port = ParsePort(*parts->port, 1);
    if (!port.ok()) return Invalid("URL " + port.error().message);
    url.port = *port;
  }

  if (tail.find('#') != std::string_view::npos)
    return Invalid("a URL here cannot have a #fragment");
  const auto query_start = tail.find('?');
  url.path = std::string(tail.substr(0, query_start));
  if (query_start != std::string_view::npos) url.query = std::string(tail.substr(query_start + 1));
  return url;
}

domain::Result<HostPort> ParseHostPort(std::string_view text) {
  if (HasSpaceOrControl(text)) return Invalid("host:port cannot contain spaces");
  auto parts = SplitHostPort(text);
  if (!parts.ok()) return parts.error();
  if (!parts->port.has_value()) return Invalid("expected host:port; the \":port\" is missing");
  auto port = ParsePort(*parts->port, 0);
  if (!port.ok()) return port.error();
  return HostPort{std::string(parts->host), *port};
}

namespace {

struct DurationUnit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Longest suffix first so that "ms" is not read as "m" followed by garbage.
constexpr std::array<DurationUnit, 5> kDurationUnits = {{
    {"ms", 1},
    {"s", 1000},
    {"m", std::int64_t{60} * 1000},
    {"h", std::int64_t{60} * 60 * 1000},
    {"d", std::int64_t{24} * 60 * 60 * 1000},
}};

}  // namespace

domain::Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid("the duration is empty");
  std::int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::int64_t amount = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), amount);
    if (error == std::errc::result_out_of_range) return Invalid("the duration is too long");
    if (error != std::errc() || !IsDigit(rest.front())) {
      return Invalid("expected a duration such as 250ms, 30s, 5m, 1h30m or 7d");
    }
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    const DurationUnit* unit = nullptr;
    for (const DurationUnit& candidate : kDurationUnits) {
      if (rest.starts_with(candidate.suffix)) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) {
      return Invalid("each number of a duration needs a unit: ms, s, m, h or d (e.g. 30s)");
    }
    rest.remove_prefix(unit->suffix.size());
    const std::int64_t limit = std::numeric_limits<std::int64_t>::max();
    if (amount > (limit - total) / unit->milliseconds) return Invalid("the duration is too long");
    total += amount * unit->milliseconds;
  }
  return std::chrono::milliseconds{total};
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  std::int64_t left = duration.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out.push_back('-');
    left = -left;
  }
  for (auto unit = kDurationUnits.rbegin(); unit != kDurationUnits.rend(); ++unit) {
    const std::int64_t amount = left / unit->milliseconds;
    if (amount == 0) continue;
    out += std::to_string(amount);
    out += unit->suffix;
    left -= amount * unit->milliseconds;
  }
  return out;
}

domain::Result<std::vector<std::chrono::milliseconds>> ParseDurationList(std::string_view text) {
  std::vector<std::chrono::milliseconds> durations;
  while (true) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) return Invalid("expected durations separated by commas, such as 1m,5m,1h");
    auto duration = ParseDuration(item);
    if (!duration.ok()) return duration.error();
    if (!durations.empty() && *duration <= durations.back()) {
      return Invalid("each duration must be longer than the one before it");
    }
    durations.push_back(*duration);
    if (comma == std::string_view::npos) return durations;
    text.remove_prefix(comma + 1);
  }
}

std::string FormatDurationList(const std::vector<std::chrono::milliseconds>& durations) {
  std::string out;
  for (const auto duration : durations) {
    if (!out.empty()) out += ',';
    out += FormatDuration(duration);
  }
  return out;
}

domain::Result<std::int64_t> ParseInteger(std::string_view text) {
  if (text.empty()) return Invalid("expected an integer");
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) return Invalid("the integer is out of range");
  if (error != std::errc() || end != text.data() + text.size()) {
    return Invalid("expected an integer");
  }
  return value;
}

}  // namespace paypipe::infra::config
