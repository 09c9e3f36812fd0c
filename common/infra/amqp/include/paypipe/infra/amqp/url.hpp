#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::infra::amqp {

// Where and as whom to connect: `amqp://user:password@host:port/vhost`.
//
// Parsing follows the RabbitMQ URI spec where it matters here: components are percent-decoded,
// the port defaults to 5672, an empty path or "/" selects the default vhost "/", and a vhost
// that contains "/" is written "%2f". Query parameters (heartbeat etc.) are not accepted: the
// connection options say those things. TLS (`amqps`) is not supported yet.
struct AmqpUrl {
  static constexpr std::uint16_t kDefaultPort = 5672;

  std::string host;
  std::uint16_t port = kDefaultPort;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";

  // A Permanent "AMQP_URL_INVALID" error names the component that is wrong; neither the error
  // nor anything else derived from the text repeats the password.
  [[nodiscard]] static domain::Result<AmqpUrl> Parse(std::string_view text);

  // `amqp://user:****@host:port/vhost`: safe to log, never contains the password.
  [[nodiscard]] std::string ToString() const;
};

// Prints ToString(), so that logs and test failure messages cannot leak the password.
std::ostream& operator<<(std::ostream& out, const AmqpUrl& url);

}  // namespace paypipe::infra::amqp
