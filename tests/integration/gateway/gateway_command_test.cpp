// `paypipe gateway` as a real process: serves, and on SIGTERM answers what is in flight, then
// exits within PAYPIPE_SHUTDOWN_GRACE.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "gateway_fixture.hpp"
#include "paypipe/testing/process.hpp"

namespace paypipe::gateway::test {
namespace {

class GatewayCommandTest : public GatewayTest {
 protected:
  std::vector<std::string> Environment(const std::string& amqp_url) {
    return {"PAYPIPE_AMQP_URL=" + amqp_url,
            "PAYPIPE_MYSQL_URL=" + database_.url_string(),
            "PAYPIPE_HTTP_ADDR=127.0.0.1:0",
            "PAYPIPE_API_TOKEN=" + std::string(kApiToken),
            "PAYPIPE_PORTONE_WEBHOOK_SECRET=" + WebhookSecret(),
            "PAYPIPE_GATEWAY_CONFIRM_TIMEOUT=2s",
            "PAYPIPE_SHUTDOWN_GRACE=10s",
            "PAYPIPE_LOG_LEVEL=info"};
  }

  // The port the gateway logged once listening (PAYPIPE_HTTP_ADDR=127.0.0.1:0).
  static std::optional<int> ServedPort(const testing::PaypipeProcess& gateway) {
    return testing::LoggedPort(gateway, "gateway listening");
  }

  static infra::http::Response Call(int port, const std::string& method, const std::string& path,
                                    const std::string& body = {}) {
    infra::http_client::Client client;
    infra::http_client::ClientRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port) + path;
    request.body = body;
    request.headers.Set("Content-Type", "application/json");
    request.total_timeout = 20s;
    auto response = client.Send(request);
    if (!response.ok()) throw std::runtime_error(response.error().ToString());
    return *std::move(response);
  }
};

// A client that sends exactly the bytes it is given, for a request still being received.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot connect to the gateway");
    }
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void Send(const std::string& bytes) const {
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size())) {
      throw std::runtime_error("send failed");
    }
  }

  // Everything until the server closes the connection (or `timeout`).
  [[nodiscard]] std::string ReadAll(std::chrono::milliseconds timeout) const {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < until) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

TEST_F(GatewayCommandTest, ServesAndStopsOnSigtermAfterAnsweringWhatIsInFlight) {
  testing::PaypipeProcess gateway({"gateway"}, Environment(vhost_.amqp_url()));
  std::optional<int> port;
  ASSERT_TRUE(Eventually([&] { return (port = ServedPort(gateway)).has_value(); }, 15s))
      << gateway.Err();
  EXPECT_EQ(Call(*port, "GET", "/healthz").status, 200);
  ASSERT_TRUE(Eventually([&] { return Call(*port, "GET", "/readyz").status == 200; }, 15s))
      << Call(*port, "GET", "/readyz").body;
  ASSERT_EQ(Call(*port, "POST", "/webhooks/toss", R"({"eventType":"X","data":{}})").status, 200);
  const std::string metrics = Call(*port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(paypipe_gateway_webhooks_accepted_total{format="toss"} 1)"),
            std::string::npos)
      << metrics;

  // A webhook is half received when SIGTERM arrives: it is still read, published and answered.
  const std::string body = R"({"eventType":"IN_FLIGHT","data":{}})";
  RawClient in_flight(*port);
  in_flight.Send(
      "POST /webhooks/toss HTTP/1.1\r\nHost: gateway\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10));
  // Accepted by the server (beside the connection asking): not left in the listen backlog.
  ASSERT_TRUE(Eventually([&] {
    const std::string text = Call(*port, "GET", "/metrics").body;
    const std::string series = "\npaypipe_gateway_http_connections_open ";
    const std::size_t at = text.find(series);
    return at != std::string::npos && std::stoi(text.substr(at + series.size())) >= 2;
  }));
  const auto signalled = std::chrono::steady_clock::now();
  gateway.Signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  in_flight.Send(body.substr(10));
  const std::string response = in_flight.ReadAll(10s);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200")) << response;
  EXPECT_EQ(gateway.Wait(15s), 0) << gateway.Err();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 10s);
  EXPECT_EQ(Ready("paypipe.webhook-intake"), 2u);
}

TEST_F(GatewayCommandTest, RefusesAnInvalidWebhookSecretAtStart) {
  std::vector<std::string> environment = Environment(vhost_.amqp_url());
  for (std::string& entry : environment) {
    if (entry.starts_with("PAYPIPE_PORTONE_WEBHOOK_SECRET=")) {
      entry = "PAYPIPE_PORTONE_WEBHOOK_SECRET=whsec_***";
    }
  }
  const auto outcome = testing::RunPaypipe({"gateway"}, environment, 30s);
  EXPECT_EQ(outcome.status, 2) << outcome.err;
  EXPECT_EQ(outcome.err.find("***"), std::string::npos);
}

}  // namespace
}  // namespace paypipe::gateway::test
