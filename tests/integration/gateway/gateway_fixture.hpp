#pragma once

// Shared by the gateway's integration tests: a vhost with the production topology, a database
// with the production schema (the real migrator), a gateway started in-process against them,
// and helpers to call it, drain queues and read its metrics.

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paypipe/gateway/gateway.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/metrics/text_reader.hpp"
#include "paypipe/messages/webhook_received.hpp"
#include "paypipe/runtime/amqp_ports.hpp"
#include "paypipe/testing/runtime_fixture.hpp"
#include "paypipe/testing/standard_webhooks.hpp"
#include "paypipe/testing/tcp_proxy.hpp"

namespace paypipe::gateway::test {

using namespace std::chrono_literals;
using nlohmann::json;
using runtime::test::Eventually;
using runtime::test::ExecuteOrThrow;
using runtime::test::FastConnectionOptions;
using runtime::test::ParseAmqpOrThrow;

inline constexpr std::string_view kApiToken = "gateway-test-token";
inline const std::string kWebhookKey = "portone-webhook-test-key";
inline const std::string kPartner = "partner-1";

inline std::string WebhookSecret() { return testing::WebhookSecretOf(kWebhookKey); }

// Standard Webhooks headers for `body`, signed now with `key`.
inline infra::http::Headers PortOneHeaders(const std::string& body, const std::string& id,
                                           const std::string& key = kWebhookKey) {
  return testing::StandardWebhookHeaders(body, id, key, testing::UnixNow());
}

inline infra::http::Headers JsonHeaders() {
  infra::http::Headers headers;
  headers.Set("Content-Type", "application/json");
  return headers;
}

inline infra::http::Headers ApiHeaders(std::string_view token = kApiToken) {
  infra::http::Headers headers = JsonHeaders();
  headers.Set("Authorization", "Bearer " + std::string(token));
  return headers;
}

// A POST /v1/checkouts body for a Toss order of kPartner with a monthly subscription.
inline json Checkout(const std::string& order_id, std::int64_t amount = 15000) {
  return {{"orderId", order_id},
          {"orderName", "월간 구독"},
          {"amount", amount},
          {"partnerId", kPartner},
          {"customerId", "cust-7"},
          {"provider", "toss"},
          {"subscription", {{"plan", "basic"}, {"cycle", "MONTHLY"}}}};
}

// The webhook.received message the gateway published.
inline messages::WebhookReceived ParseWebhook(const runtime::WireMessage& message) {
  auto envelope = runtime::ParseEnvelope(message, {messages::WebhookReceivedSpec()});
  if (!envelope.ok()) throw std::runtime_error(envelope.error().ToString());
  auto webhook = messages::ParseWebhookReceived(envelope->body);
  if (!webhook.ok()) throw std::runtime_error(webhook.error().ToString());
  return *webhook;
}

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest()
      : amqp_url_(ParseAmqpOrThrow(vhost_.amqp_url())),
        admin_(amqp_url_, FastConnectionOptions()),
        db_(database_.Connect()),
        logger_(log_sink_, clock_, infra::log::Level::kWarn, "gateway-test") {
    runtime::test::ApplySchema(*db_);
    runtime::test::DeclareTopology(admin_, runtime::topology::TopologySpec::Default());
    ExecuteOrThrow(*db_, "INSERT INTO partners (partner_id, name, fee_rate_bps) VALUES ('" +
                             kPartner +
                             "', 'Partner One', 250), ('partner-closed', 'Closed', 250)");
    ExecuteOrThrow(*db_,
                   "UPDATE partners SET status = 'CLOSED' WHERE partner_id = 'partner-closed'");
  }

  ~GatewayTest() override {
    if (gateway_) {
      EXPECT_TRUE(gateway_->Stop(10s));
    }
  }

  GatewayOptions Options() {
    GatewayOptions options;
    options.api_token = std::string(kApiToken);
    auto verifier = StandardWebhookVerifier::FromSecrets(WebhookSecret());
    if (!verifier.ok()) throw std::runtime_error(verifier.error().ToString());
    options.portone_verifier = *verifier;
    options.max_body_bytes = 64 * 1024;
    options.publishing.threads = 2;
    options.publishing.confirm_timeout = 3s;
    options.publishing.maintain_timeout = 200ms;
    options.publishing.idle_interval = 200ms;
    options.database.threads = 2;
    options.database.reconnect_pause = 100ms;
    return options;
  }

  // Starts the gateway; the broker and database may be reached through proxies.
  void StartGateway(GatewayOptions options, std::optional<infra::amqp::AmqpUrl> amqp = {},
                    std::optional<infra::db::MysqlUrl> mysql = {}) {
    infra::amqp::PublisherOptions publisher;
    publisher.connection = FastConnectionOptions();
    publisher.connection.connection_name = "paypipe-gateway-test";
    infra::db::ConnectOptions connect;
    connect.connect_timeout = 2s;
    GatewayPorts ports{AmqpPublisherFactory(amqp.value_or(amqp_url_), publisher),
                       MysqlConnectionFactory(mysql.value_or(database_.url()), connect)};
    auto started = Gateway::Start(std::move(options), std::move(ports), clock_, registry_, logger_);
    if (!started.ok()) throw std::runtime_error(started.error().ToString());
    gateway_ = std::move(*started);
  }

  // The broker's address as seen through `proxy` (which relays to amqp_url_).
  infra::amqp::AmqpUrl Through(const testing::TcpProxy& proxy) const {
    infra::amqp::AmqpUrl url = amqp_url_;
    url.host = "127.0.0.1";
    url.port = proxy.port();
    return url;
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(gateway_->port()) + path;
  }

  infra::http::Response Send(const std::string& method, const std::string& path,
                             const std::string& body = {},
                             const infra::http::Headers& headers = {}) {
    infra::http_client::Client client;
    return SendWith(client, method, path, body, headers);
  }

  infra::http::Response SendWith(infra::http_client::Client& client, const std::string& method,
                                 const std::string& path, const std::string& body,
                                 const infra::http::Headers& headers) {
    infra::http_client::ClientRequest request;
    request.method = method;
    request.url = Url(path);
    request.body = body;
    request.headers = headers;
    request.total_timeout = 20s;
    auto response = client.Send(request);
    if (!response.ok()) throw std::runtime_error(response.error().ToString());
    return *std::move(response);
  }

  static std::string Code(const infra::http::Response& response) {
    const json body = json::parse(response.body, nullptr, false);
    return body.is_object() && body.contains("code") ? body["code"].get<std::string>() : "";
  }

  // The value of one series in /metrics, e.g.
  // Metric("paypipe_gateway_webhooks_accepted_total{format=\"toss\"}"); 0 when absent.
  double Metric(const std::string& series) {
    return infra::metrics::SeriesValue(gateway_->RenderMetrics(), series);
  }

  std::uint32_t Ready(const std::string& queue) {
    auto counts = admin_.InspectQueue(queue);
    if (!counts.ok()) throw std::runtime_error(counts.error().ToString());
    return counts->messages;
  }

  // Consumes (and acks) up to `count` messages of `queue` as the runtime would see them.
  std::vector<runtime::WireMessage> Drain(const std::string& queue, std::size_t count,
                                          std::chrono::milliseconds timeout = 20s) {
    std::vector<runtime::WireMessage> out;
    for (auto& delivery : runtime::test::DrainQueue(amqp_url_, queue, count, timeout)) {
      out.push_back(runtime::FromAmqp(std::move(delivery)).message);
    }
    return out;
  }

  std::int64_t Scalar(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = db_->Query(sql, params);
    if (!rows.ok()) throw std::runtime_error(rows.error().ToString());
    return rows->front().Int64(0);
  }

  infra::http_client::CurlGlobal curl_;
  testing::rabbitmq::ScopedVhost vhost_;
  testing::mysql::ScopedDatabase database_;
  infra::amqp::AmqpUrl amqp_url_;
  infra::amqp::Admin admin_;
  std::unique_ptr<infra::db::Connection> db_;
  infra::clock::SystemClock clock_;
  infra::log::FileDescriptorSink log_sink_{2};
  infra::log::Logger logger_;
  infra::metrics::Registry registry_;
  std::unique_ptr<Gateway> gateway_;
};

}  // namespace paypipe::gateway::test
