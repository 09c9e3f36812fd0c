// Webhooks through a real gateway into the real broker: 200 only once the message is stored.
#include <atomic>
#include <thread>

#include "gateway_fixture.hpp"
#include "paypipe/messages/webhook_received.hpp"

namespace paypipe::gateway::test {
namespace {

const std::string kIntake = "paypipe.webhook-intake";
const std::string kTossBody =
    R"({"eventType":"PAYMENT_STATUS_CHANGED","createdAt":"2026-03-01T10:00:00.123456",)"
    R"("data":{"paymentKey":"tgen_1","orderId":"order-000042","status":"DONE"}})";

class GatewayWebhookTest : public GatewayTest {};

TEST_F(GatewayWebhookTest, TossWebhookIsOnTheIntakeQueueWithItsEnvelope) {
  StartGateway(Options());
  infra::http::Headers headers = JsonHeaders();
  headers.Set("tosspayments-webhook-transmission-id", "tx-1");
  const auto response = Send("POST", "/webhooks/toss", kTossBody, headers);
  ASSERT_EQ(response.status, 200) << response.body;

  const auto messages = Drain(kIntake, 1);
  ASSERT_EQ(messages.size(), 1u);
  const runtime::WireMessage& m = messages[0];
  EXPECT_EQ(m.type, "webhook.received");
  EXPECT_EQ(m.correlation_id, "order-000042");
  EXPECT_EQ(m.message_id.size(), 36u);
  EXPECT_EQ(runtime::AttemptOf(m), 0);
  ASSERT_TRUE(m.headers.contains("traceparent"));
  EXPECT_TRUE(runtime::TraceContext::Parse(std::get<std::string>(m.headers.at("traceparent"))));
  EXPECT_GT(m.timestamp, 1'700'000'000);

  const messages::WebhookReceived webhook = ParseWebhook(m);
  EXPECT_EQ(webhook.format, messages::WebhookFormat::kToss);
  EXPECT_EQ(webhook.body, kTossBody);
  EXPECT_EQ(webhook.verification, messages::WebhookVerification::kNone);
  EXPECT_EQ(webhook.headers.at("tosspayments-webhook-transmission-id"), "tx-1");
  EXPECT_FALSE(webhook.remote_address.empty());
  EXPECT_EQ(Metric(R"(paypipe_gateway_webhooks_accepted_total{format="toss"})"), 1);

  // A PG retry of the same event carries the same message id (the intake's inbox dedupes it).
  ASSERT_EQ(Send("POST", "/webhooks/toss", kTossBody, JsonHeaders()).status, 200);
  const auto retry = Drain(kIntake, 1);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].message_id, m.message_id);
}

TEST_F(GatewayWebhookTest, SignedPortOneWebhookIsAcceptedAndAForgedOneIsNot) {
  StartGateway(Options());
  const std::string body = R"({"type":"Transaction.Paid","timestamp":"2026-03-01T01:00:00Z",)"
                           R"("data":{"storeId":"store-1","paymentId":"pay_01"}})";
  const auto accepted = Send("POST", "/webhooks/portone", body, PortOneHeaders(body, "msg_ok"));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.body, R"({"status":"accepted"})");

  const auto forged =
      Send("POST", "/webhooks/portone", body, PortOneHeaders(body, "msg_bad", "not-the-key"));
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(Code(forged), "INVALID_SIGNATURE");
  infra::http::Headers unsigned_v2 = JsonHeaders();
  const auto missing = Send("POST", "/webhooks/portone", body, unsigned_v2);
  EXPECT_EQ(missing.status, 401);

  const auto messages = Drain(kIntake, 3, 3s);
  ASSERT_EQ(messages.size(), 1u) << "only the signed webhook may be published";
  const messages::WebhookReceived webhook = ParseWebhook(messages[0]);
  EXPECT_EQ(webhook.format, messages::WebhookFormat::kPortOneV2);
  EXPECT_EQ(webhook.verification, messages::WebhookVerification::kSignature);
  EXPECT_EQ(webhook.webhook_id, "msg_ok");
  EXPECT_EQ(webhook.body, body);
  EXPECT_EQ(messages[0].correlation_id, "pay_01");
  EXPECT_EQ(
      Metric(
          R"(paypipe_gateway_webhooks_refused_total{provider="portone",reason="signature_mismatch"})"),
      1);
  EXPECT_EQ(Metric(R"(paypipe_gateway_webhooks_refused_total{provider="portone",)"
                   R"(reason="signature_headers_missing"})"),
            1);
}

TEST_F(GatewayWebhookTest, PortOneV1FormWebhookIsAccepted) {
  StartGateway(Options());
  infra::http::Headers headers;
  headers.Set("Content-Type", "application/x-www-form-urlencoded");
  const std::string body = "imp_uid=imp_123&merchant_uid=order-000042&status=paid";
  ASSERT_EQ(Send("POST", "/webhooks/portone", body, headers).status, 200);
  const auto messages = Drain(kIntake, 1);
  ASSERT_EQ(messages.size(), 1u);
  const messages::WebhookReceived webhook = ParseWebhook(messages[0]);
  EXPECT_EQ(webhook.format, messages::WebhookFormat::kPortOneV1);
  EXPECT_EQ(webhook.body, body);
  EXPECT_EQ(webhook.content_type, "application/x-www-form-urlencoded");
}

TEST_F(GatewayWebhookTest, OversizedAndGarbledBodiesAreRefusedAndCounted) {
  StartGateway(Options());  // max_body_bytes = 64 KiB
  const std::string huge = "{\"pad\":\"" + std::string(70 * 1024, 'x') + "\"}";
  EXPECT_EQ(Send("POST", "/webhooks/toss", huge, JsonHeaders()).status, 413);
  const auto garbled = Send("POST", "/webhooks/toss", "{not json", JsonHeaders());
  EXPECT_EQ(garbled.status, 400);
  EXPECT_EQ(Code(garbled), "INVALID_JSON");
  EXPECT_EQ(Send("GET", "/webhooks/toss").status, 405);
  EXPECT_EQ(Ready(kIntake), 0u);
  EXPECT_EQ(Metric(R"(paypipe_gateway_http_refused_total{reason="body_too_large"})"), 1);
  EXPECT_EQ(
      Metric(R"(paypipe_gateway_webhooks_refused_total{provider="toss",reason="invalid_json"})"),
      1);
  EXPECT_EQ(Metric(R"(paypipe_gateway_requests_total{route="/webhooks/toss",status="400"})"), 1);
}

TEST_F(GatewayWebhookTest, AnUnroutableMessageIsNotAcknowledged) {
  ASSERT_TRUE(admin_.Unbind(kIntake, "paypipe.work", "webhook-intake").ok());
  StartGateway(Options());
  const auto response = Send("POST", "/webhooks/toss", kTossBody, JsonHeaders());
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(Code(response), "BROKER_UNAVAILABLE");
  EXPECT_EQ(Metric(R"(paypipe_gateway_publish_outcomes_total{outcome="returned"})"), 1);
}

TEST_F(GatewayWebhookTest, ConcurrentWebhooksShareConfirms) {
  // One publisher thread: whatever arrives during a confirm round trip must ride the next one.
  // The broker's replies take 20 ms, as over a network, so that sharing does not depend on how
  // busy this machine's cores are.
  testing::TcpProxy proxy(amqp_url_.host, amqp_url_.port);
  proxy.SetReplyDelay(std::chrono::milliseconds(20));
  GatewayOptions options = Options();
  options.publishing.threads = 1;
  StartGateway(std::move(options), Through(proxy));
  constexpr int kClients = 32;
  constexpr int kPerClient = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      infra::http_client::Client client;  // one keep-alive connection per client
      for (int i = 0; i < kPerClient; ++i) {
        const std::string body = R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"orderId":"o-)" +
                                 std::to_string(c) + "-" + std::to_string(i) + R"("}})";
        if (SendWith(client, "POST", "/webhooks/toss", body, JsonHeaders()).status == 200) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  constexpr int kRequests = kClients * kPerClient;
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_TRUE(Eventually([&] { return Ready(kIntake) == static_cast<std::uint32_t>(kRequests); }));
  const double batches = Metric("paypipe_gateway_publish_batch_size_count");
  const double published = Metric("paypipe_gateway_publish_batch_size_sum");
  std::fprintf(stderr, "%d webhooks, %.0f messages published in %.0f confirm round trips\n",
               kRequests, published, batches);
  EXPECT_EQ(published, kRequests);
  EXPECT_LE(batches * 3, kRequests) << "confirms were not shared between requests";
}

}  // namespace
}  // namespace paypipe::gateway::test
