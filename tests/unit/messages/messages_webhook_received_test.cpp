#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/messages/origin.hpp"
#include "paypipe/messages/webhook_received.hpp"

namespace paypipe::messages {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

WebhookReceived PortOneV2() {
  WebhookReceived webhook;
  webhook.format = WebhookFormat::kPortOneV2;
  webhook.received_at = WebhookTime(1'772'326'800'123ms);
  webhook.remote_address = "203.0.113.7:50123";
  webhook.content_type = "application/json";
  webhook.headers = {{"content-type", "application/json"},
                     {"webhook-id", "msg_1"},
                     {"webhook-timestamp", "1772326800"},
                     {"webhook-signature", "v1,abc="}};
  webhook.body = R"({"type":"Transaction.Paid","data":{"paymentId":"pay_1"}})";
  webhook.verification = WebhookVerification::kSignature;
  webhook.webhook_id = "msg_1";
  webhook.webhook_timestamp = 1'772'326'800;
  return webhook;
}

WebhookReceived Toss() {
  WebhookReceived webhook;
  webhook.format = WebhookFormat::kToss;
  webhook.received_at = WebhookTime(1'772'326'800'000ms);
  webhook.body = R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"status":"DONE"}})";
  return webhook;
}

TEST(WebhookReceivedMessage, RoundTripsThroughTheWire) {
  for (const WebhookReceived& webhook : {PortOneV2(), Toss()}) {
    const auto wire = BuildWebhookReceived(webhook, "order-1");
    EXPECT_EQ(wire.exchange, "paypipe.work");
    EXPECT_EQ(wire.routing_key, "webhook-intake");
    EXPECT_EQ(wire.message.type, "webhook.received");
    EXPECT_EQ(wire.message.correlation_id, "order-1");
    EXPECT_EQ(wire.message.timestamp, 1'772'326'800);
    auto envelope = runtime::ParseEnvelope(wire.message, {WebhookReceivedSpec()});
    ASSERT_TRUE(envelope.ok()) << envelope.error().ToString();
    const auto parsed = ParseWebhookReceived(envelope->body);
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    EXPECT_EQ(*parsed, webhook);
  }
}

TEST(WebhookReceivedMessage, BodyIsDocumentedShape) {
  const json body = ToJson(PortOneV2());
  EXPECT_EQ(body.at("provider"), "portone");
  EXPECT_EQ(body.at("format"), "portone_v2");
  EXPECT_EQ(body.at("received_at"), "2026-03-01T01:00:00.123Z");
  EXPECT_EQ(body.at("verification"), (json{{"method", "signature"},
                                           {"webhook_id", "msg_1"},
                                           {"webhook_timestamp", 1'772'326'800}}));
  // The raw body travels as text, byte for byte, never as re-serialised JSON.
  EXPECT_EQ(body.at("body"), PortOneV2().body);
  EXPECT_EQ(ToJson(Toss()).at("verification"), (json{{"method", "none"}}));
}

TEST(WebhookReceivedMessage, IdIsStableAcrossRetriesOfOneEvent) {
  WebhookReceived retry = PortOneV2();
  retry.received_at += 60s;
  retry.webhook_timestamp += 60;
  EXPECT_EQ(BuildWebhookReceived(PortOneV2(), "").message.message_id,
            BuildWebhookReceived(retry, "").message.message_id);
  WebhookReceived toss_retry = Toss();
  toss_retry.received_at += 60s;
  toss_retry.headers["tosspayments-webhook-transmission-id"] = "other";
  EXPECT_EQ(BuildWebhookReceived(Toss(), "").message.message_id,
            BuildWebhookReceived(toss_retry, "").message.message_id);
  WebhookReceived other = Toss();
  other.body += " ";
  EXPECT_NE(BuildWebhookReceived(Toss(), "").message.message_id,
            BuildWebhookReceived(other, "").message.message_id);
  EXPECT_EQ(WebhookEventKey(Toss()), "sha256:" + infra::crypto::Sha256Hex(Toss().body));
}

TEST(WebhookReceivedMessage, RefusalsNameTheField) {
  const json good = ToJson(PortOneV2());
  const std::vector<std::pair<std::string, json>> cases = {
      {"format", "paypal"},
      {"provider", "toss"},  // does not match format portone_v2
      {"received_at", "2026-03-01 01:00:00"},
      {"received_at", "2026-02-30T01:00:00.000Z"},
      {"headers", json{{"a", 1}}},
      {"body", json::object()},
      {"verification", json{{"method", "none"}}},  // V2 must be signed
      {"verification", json{{"method", "signature"}}},
      {"verification", json{{"method", "magic"}}},
  };
  for (const auto& [field, value] : cases) {
    json body = good;
    body[field] = value;
    const auto refused = ParseWebhookReceived(body);
    ASSERT_FALSE(refused.ok()) << field << "=" << value.dump();
    EXPECT_EQ(refused.error().code, runtime::kMalformedBody);
    EXPECT_THAT(refused.error().message, HasSubstr("'" + field));
  }
}

TEST(WebhookReceivedMessage, KeepsOnlyWebhookHeaders) {
  EXPECT_TRUE(IsKeptWebhookHeader("Webhook-Signature"));
  EXPECT_TRUE(IsKeptWebhookHeader("TossPayments-Webhook-Transmission-Time"));
  EXPECT_TRUE(IsKeptWebhookHeader("content-type"));
  EXPECT_FALSE(IsKeptWebhookHeader("Authorization"));
  EXPECT_FALSE(IsKeptWebhookHeader("Cookie"));
}

TEST(WebhookReceivedMessage, TimesRoundTripAtMillisecondPrecision) {
  const WebhookTime time(1'704'067'200'999ms);
  EXPECT_EQ(FormatWebhookTime(time), "2024-01-01T00:00:00.999Z");
  EXPECT_EQ(*ParseWebhookTime("2024-01-01T00:00:00.999Z"), time);
  EXPECT_FALSE(ParseWebhookTime("2024-01-01T24:00:00.000Z").ok());
  EXPECT_FALSE(ParseWebhookTime("2024-01-01T00:00:00Z").ok());
}

}  // namespace
}  // namespace paypipe::messages
