#include "paypipe/infra/db/mysql_url.hpp"

#include <charconv>
#include <string>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/domain/percent_encoding.hpp"
#include "paypipe/infra/db/errors.hpp"

namespace paypipe::infra::db {
namespace {

using domain::PercentEncode;

domain::Error Invalid(std::string_view detail) {
  return domain::Error::Permanent(std::string(kUrlInvalid),
                                  "invalid MySQL URL (expected mysql://user:pass@host:port/"
                                  "database): " +
                                      std::string(detail));
}

// The caller names the part, so that a bad escape inside the password does not echo it.
domain::Result<std::string> PercentDecode(std::string_view text, std::string_view part) {
  auto decoded = domain::PercentDecode(text);
  if (!decoded) return Invalid(std::string(part) + " contains an invalid percent-escape");
  return *std::move(decoded);
}

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

domain::Result<MysqlUrl> MysqlUrl::Parse(std::string_view text) {
  static constexpr std::string_view kScheme = "mysql://";
  if (!domain::StartsWithIgnoringCase(text, kScheme)) {
    return Invalid("the scheme must be mysql://");
  }
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Invalid("query strings and fragments are not supported");
  }

  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) {
    return Invalid("a user is required (mysql://user:pass@host/...)");
  }
  const std::string_view user_info = authority.substr(0, at);
  const std::string_view host_port = authority.substr(at + 1);

  MysqlUrl url;
  const std::size_t colon = user_info.find(':');
  auto user = PercentDecode(user_info.substr(0, colon), "the user");
  if (!user.ok()) return user.error();
  url.user = std::move(*user);
  if (url.user.empty()) return Invalid("the user is empty");
  if (colon != std::string_view::npos) {
    auto password = PercentDecode(user_info.substr(colon + 1), "the password");
    if (!password.ok()) return password.error();
    url.password = std::move(*password);
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!host_port.empty() && host_port.front() == '[') {
    const std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) return Invalid("unterminated [ in the IPv6 host");
    host = host_port.substr(1, close - 1);
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid("unexpected text after the IPv6 host");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t port_colon = host_port.rfind(':');
    host = host_port.substr(0, port_colon);
    if (port_colon != std::string_view::npos) {
      port_text = host_port.substr(port_colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return Invalid("the host is empty");
  url.host = std::string(host);
  if (has_port) {
    unsigned int port = 0;
    const auto* begin = port_text.data();
    const auto* end = port_text.data() + port_text.size();
    const auto [ptr, ec] = std::from_chars(begin, end, port);
    if (port_text.empty() || ec != std::errc() || ptr != end || port == 0 || port > 65535) {
      return Invalid("the port '" + std::string(port_text) + "' is not a number in 1..65535");
    }
    url.port = static_cast<std::uint16_t>(port);
  }

  if (path.find('/') != std::string_view::npos) {
    return Invalid("the database name must not contain '/'");
  }
  auto database = PercentDecode(path, "the database name");
  if (!database.ok()) return database.error();
  url.database = std::move(*database);
  return url;
}

std::string MysqlUrl::Redacted() const {
  return "mysql://" + PercentEncode(user) + (password.empty() ? "" : ":***") + "@" +
         HostForUrl(host) + ":" + std::to_string(port) + "/" + PercentEncode(database);
}

std::string MysqlUrl::Serialize() const {
  return "mysql://" + PercentEncode(user) +
         (password.empty() ? "" : ":" + PercentEncode(password)) + "@" + HostForUrl(host) + ":" +
         std::to_string(port) + "/" + PercentEncode(database);
}

MysqlUrl MysqlUrl::WithDatabase(std::string name) const {
  MysqlUrl copy = *this;
  copy.database = std::move(name);
  return copy;
}

}  // namespace paypipe::infra::db
