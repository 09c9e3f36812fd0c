#include "paypipe/infra/amqp/url.hpp"

#include <charconv>
#include <optional>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/domain/percent_encoding.hpp"
#include "paypipe/infra/amqp/errors.hpp"

namespace paypipe::infra::amqp {
namespace {

using domain::PercentDecode;
using domain::PercentEncode;

using domain::Error;
using domain::Fail;
using domain::Result;

constexpr std::string_view kScheme = "amqp://";
constexpr std::string_view kTlsScheme = "amqps://";

Error Invalid(std::string_view what) {
  return Error::Permanent(std::string(kErrUrlInvalid), "invalid AMQP URL: " + std::string(what));
}

}  // namespace

Result<AmqpUrl> AmqpUrl::Parse(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return Fail(Invalid("contains whitespace or control characters"));
  }
  if (domain::StartsWithIgnoringCase(text, kTlsScheme)) {
    return Fail(Invalid("amqps (TLS) is not supported"));
  }
  if (!domain::StartsWithIgnoringCase(text, kScheme))
    return Fail(Invalid("must start with amqp://"));
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Fail(Invalid("query parameters and fragments are not supported"));
  }

  const std::size_t path_start = rest.find('/');
  const std::string_view authority = rest.substr(0, path_start);
  const std::string_view path =
      path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);

  AmqpUrl url;
  std::string_view host_port = authority;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    const std::size_t colon = user_info.find(':');
    if (colon == std::string_view::npos) {
      return Fail(Invalid("password is missing (write user:password@host)"));
    }
    auto user = PercentDecode(user_info.substr(0, colon));
    if (!user) return Fail(Invalid("user has a malformed %-escape"));
    if (user->empty()) return Fail(Invalid("user is empty"));
    auto password = PercentDecode(user_info.substr(colon + 1));
    if (!password) return Fail(Invalid("password has a malformed %-escape"));
    url.user = std::move(*user);
    url.password = std::move(*password);
  }

  std::string_view host;
  std::optional<std::string_view> port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    const std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) return Fail(Invalid("IPv6 host lacks its closing ']'"));
    host = host_port.substr(1, close - 1);
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(Invalid("unexpected text after the IPv6 host"));
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = host_port.find(':');
    host = host_port.substr(0, colon);
    if (colon != std::string_view::npos) port_text = host_port.substr(colon + 1);
  }
  auto decoded_host = PercentDecode(host);
  if (!decoded_host) return Fail(Invalid("host has a malformed %-escape"));
  if (decoded_host->empty()) return Fail(Invalid("host is missing"));
  url.host = std::move(*decoded_host);

  if (port_text) {
    if (port_text->empty()) return Fail(Invalid("port is empty"));
    unsigned value = 0;
    const char* end = port_text->data() + port_text->size();
    const auto [ptr, ec] = std::from_chars(port_text->data(), end, value);
    if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
      return Fail(Invalid("port '" + std::string(*port_text) + "' is not a number in 1..65535"));
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  if (path.size() > 1) {
    const std::string_view encoded = path.substr(1);
    if (encoded.find('/') != std::string_view::npos) {
      return Fail(Invalid("vhost contains an unescaped '/' (write it as %2f)"));
    }
    auto vhost = PercentDecode(encoded);
    if (!vhost) return Fail(Invalid("vhost has a malformed %-escape"));
    url.vhost = std::move(*vhost);
  }
  return url;
}

std::string AmqpUrl::ToString() const {
  std::string out(kScheme);
  out += PercentEncode(user);
  out += ":****@";
  if (host.find(':') != std::string::npos) {
    out += '[' + host + ']';
  } else {
    out += PercentEncode(host);
  }
  out += ':';
  out += std::to_string(port);
  out += '/';
  if (vhost != "/") out += PercentEncode(vhost);
  return out;
}

std::ostream& operator<<(std::ostream& out, const AmqpUrl& url) { return out << url.ToString(); }

}  // namespace paypipe::infra::amqp
