#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "message_refusals.hpp"
#include "paypipe/messages/origin.hpp"
#include "paypipe/messages/payment_cancel.hpp"
#include "paypipe/messages/payment_confirm.hpp"
#include "paypipe/messages/payment_verify.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {
namespace {

using nlohmann::json;

PaymentConfirm Confirm() {
  return {Provider::kToss, domain::PaymentKey("tgen_20260301abcd"), domain::OrderId("order-000042"),
          domain::Money::Krw(15000)};
}

PaymentCancel Cancel() {
  return {Provider::kPortOne,       domain::PaymentKey("pay_01"),     "고객 요청",
          domain::Money::Krw(5000), domain::IdempotencyKey("idem-1"), CancelOrigin::kApi};
}

// Parses a body the way a stage sees it: through the runtime's envelope validation.
runtime::Envelope Receive(const runtime::OutboundMessage& message,
                          const runtime::MessageTypeSpec& spec) {
  auto envelope = runtime::ParseEnvelope(message.message, {spec});
  if (!envelope.ok()) throw std::runtime_error(envelope.error().ToString());
  return *envelope;
}

TEST(PaymentConfirmMessage, RoundTripsThroughTheWire) {
  const auto wire = BuildPaymentConfirm(Confirm(), 1'700'000'000);
  EXPECT_EQ(wire.exchange, "paypipe.work");
  EXPECT_EQ(wire.routing_key, "confirm");
  EXPECT_EQ(wire.message.type, "payment.confirm");
  EXPECT_EQ(wire.message.correlation_id, "order-000042");
  EXPECT_EQ(wire.message.timestamp, 1'700'000'000);
  EXPECT_EQ(runtime::AttemptOf(wire.message), 0);
  const runtime::Envelope envelope = Receive(wire, PaymentConfirmSpec());
  EXPECT_EQ(envelope.schema_version, 1);
  EXPECT_EQ(envelope.body,
            json::parse(R"({"schema_version":1,"provider":"toss","paymentKey":"tgen_20260301abcd",
                           "orderId":"order-000042","amount":15000})"));
  const auto parsed = ParsePaymentConfirm(envelope.body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, Confirm());
}

TEST(PaymentConfirmMessage, IdDependsOnProviderAndPaymentKeyOnly) {
  PaymentConfirm other_amount = Confirm();
  other_amount.amount = domain::Money::Krw(1);
  EXPECT_EQ(BuildPaymentConfirm(Confirm(), 1).message.message_id,
            BuildPaymentConfirm(other_amount, 2).message.message_id);
  PaymentConfirm other_key = Confirm();
  other_key.payment_key = domain::PaymentKey("tgen_other");
  EXPECT_NE(BuildPaymentConfirm(Confirm(), 1).message.message_id,
            BuildPaymentConfirm(other_key, 1).message.message_id);
  PaymentConfirm other_provider = Confirm();
  other_provider.provider = Provider::kPortOne;
  EXPECT_NE(BuildPaymentConfirm(Confirm(), 1).message.message_id,
            BuildPaymentConfirm(other_provider, 1).message.message_id);
}

TEST(PaymentConfirmMessage, RefusalsNameTheField) {
  test::ExpectEachRefusedNamingTheField(ParsePaymentConfirm, kPaymentConfirmType, ToJson(Confirm()),
                                        {{"provider", "paypal"},
                                         {"paymentKey", ""},
                                         {"paymentKey", nullptr},
                                         {"orderId", "o 1"},
                                         {"amount", 15000.5},
                                         {"amount", "15000"},
                                         {"amount", 0},
                                         {"schema_version", 2}});
  EXPECT_FALSE(ParsePaymentConfirm(json::array()).ok());
}

TEST(PaymentCancelMessage, RoundTripsWithAndWithoutAmount) {
  const auto wire = BuildPaymentCancel(Cancel(), domain::OrderId("order-000042"), 1'700'000'000);
  EXPECT_EQ(wire.routing_key, "cancel-retry");
  EXPECT_EQ(wire.message.type, "payment.cancel");
  EXPECT_EQ(wire.message.correlation_id, "order-000042");
  const runtime::Envelope envelope = Receive(wire, PaymentCancelSpec());
  EXPECT_EQ(envelope.body.at("cancelAmount"), 5000);
  EXPECT_EQ(envelope.body.at("origin"), "API");
  EXPECT_EQ(*ParsePaymentCancel(envelope.body), Cancel());

  PaymentCancel full = Cancel();
  full.cancel_amount.reset();
  full.origin = CancelOrigin::kAuto;
  const json body = ToJson(full);
  EXPECT_FALSE(body.contains("cancelAmount"));
  EXPECT_EQ(*ParsePaymentCancel(body), full);
}

TEST(PaymentCancelMessage, IdFollowsTheIdempotencyKey) {
  PaymentCancel again = Cancel();
  again.cancel_reason = "different text";
  EXPECT_EQ(PaymentCancelMessageId(Cancel()), PaymentCancelMessageId(again));
  PaymentCancel other = Cancel();
  other.idempotency_key = domain::IdempotencyKey("idem-2");
  EXPECT_NE(PaymentCancelMessageId(Cancel()), PaymentCancelMessageId(other));
  // The key boundary cannot be shifted: ("a:b", "c") and ("a", "b:c") differ.
  PaymentCancel left = Cancel();
  left.payment_key = domain::PaymentKey("a:b");
  left.idempotency_key = domain::IdempotencyKey("c");
  PaymentCancel right = Cancel();
  right.payment_key = domain::PaymentKey("a");
  right.idempotency_key = domain::IdempotencyKey("b:c");
  EXPECT_NE(PaymentCancelMessageId(left), PaymentCancelMessageId(right));
}

TEST(PaymentCancelMessage, RefusalsNameTheField) {
  test::ExpectEachRefusedNamingTheField(ParsePaymentCancel, kPaymentCancelType, ToJson(Cancel()),
                                        {{"cancelReason", ""},
                                         {"cancelReason", std::string(201, 'x')},
                                         {"cancelAmount", -5},
                                         {"idempotencyKey", "has space"},
                                         {"origin", "api"},
                                         {"provider", nullptr}});
}

TEST(PaymentCancelMessage, StagesEmitItThroughTheirOutbox) {
  const runtime::OutgoingMessage out = ToOutgoing(Cancel(), "order-9");
  EXPECT_EQ(out.type, "payment.cancel");
  EXPECT_EQ(out.routing_key, "cancel-retry");
  EXPECT_EQ(out.correlation_id, "order-9");
  EXPECT_EQ(*ParsePaymentCancel(out.body), Cancel());
}

PaymentVerify Verify() {
  PaymentVerify verify;
  verify.provider = Provider::kPortOne;
  verify.payment_key = domain::PaymentKey("pay-1");
  verify.order_id = domain::OrderId("order-000042");
  verify.reason = "reconcile:UNKNOWN";
  return verify;
}

TEST(PaymentVerifyMessage, RoundTripsThroughTheWireToTheConfirmStage) {
  const auto wire = BuildPaymentVerify(Verify(), ReconcileVerifyMessageId(7, 1), 1'700'000'000);
  EXPECT_EQ(wire.exchange, "paypipe.work");
  EXPECT_EQ(wire.routing_key, "confirm");
  EXPECT_EQ(wire.message.type, "payment.verify");
  EXPECT_EQ(wire.message.message_id, ReconcileVerifyMessageId(7, 1));
  EXPECT_EQ(wire.message.correlation_id, "order-000042");
  EXPECT_EQ(wire.message.timestamp, 1'700'000'000);
  EXPECT_EQ(runtime::AttemptOf(wire.message), 0);
  const runtime::Envelope envelope = Receive(wire, PaymentVerifySpec());
  EXPECT_EQ(envelope.body,
            json::parse(R"({"schema_version":1,"provider":"portone","paymentKey":"pay-1",
                           "orderId":"order-000042","reason":"reconcile:UNKNOWN"})"));
  EXPECT_EQ(*ParsePaymentVerify(envelope.body), Verify());
}

TEST(PaymentVerifyMessage, OrderIdAndReasonMayBeLeftOut) {
  PaymentVerify bare = Verify();
  bare.order_id.reset();
  bare.reason.clear();
  const runtime::OutgoingMessage out = ToOutgoing(bare);
  EXPECT_EQ(out.type, "payment.verify");
  EXPECT_EQ(out.routing_key, "confirm");
  EXPECT_EQ(out.correlation_id, "");  // inherits the incoming message's
  EXPECT_EQ(out.body,
            (json{{"schema_version", 1}, {"provider", "portone"}, {"paymentKey", "pay-1"}}));
  EXPECT_EQ(*ParsePaymentVerify(out.body), bare);
  EXPECT_EQ(ToOutgoing(Verify()).correlation_id, "order-000042");
  // An empty reason is what an older writer may have sent: read as none.
  json empty_reason = out.body;
  empty_reason["reason"] = "";
  EXPECT_EQ(*ParsePaymentVerify(empty_reason), bare);
}

TEST(PaymentVerifyMessage, CarriesTheWebhooksClaimWhenGiven) {
  PaymentVerify claimed = Verify();
  claimed.reason = "webhook:PAYMENT_STATUS_CHANGED";
  claimed.claimed_status = domain::PaymentStatus::kPartialCanceled;
  claimed.event_at = WebhookTime(std::chrono::milliseconds(1'772'326'800'123));
  const runtime::OutgoingMessage out = ToOutgoing(claimed);
  EXPECT_EQ(out.body.at("claimedStatus"), "PARTIAL_CANCELED");
  EXPECT_EQ(out.body.at("eventAt"), "2026-03-01T01:00:00.123Z");
  EXPECT_EQ(*ParsePaymentVerify(out.body), claimed);
  // A status without a time (PortOne V1 bodies have none).
  claimed.event_at.reset();
  EXPECT_EQ(ToOutgoing(claimed).body.count("eventAt"), 0U);
  EXPECT_EQ(*ParsePaymentVerify(ToOutgoing(claimed).body), claimed);
}

TEST(PaymentVerifyMessage, BodiesWithoutAClaimParseAsBefore) {
  const json old_body = json::parse(R"({"schema_version":1,"provider":"toss",
      "paymentKey":"tgen_1","orderId":"order-000042","reason":"webhook:PAYMENT_STATUS_CHANGED"})");
  const auto parsed = ParsePaymentVerify(old_body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->claimed_status.has_value());
  EXPECT_FALSE(parsed->event_at.has_value());
  EXPECT_EQ(ToJson(*parsed), old_body);
}

TEST(PaymentVerifyMessage, RefusesAClaimOutsideTheContract) {
  test::ExpectEachRefusedNamingTheField(ParsePaymentVerify, kPaymentVerifyType, ToJson(Verify()),
                                        {{"claimedStatus", "PAID"},
                                         {"claimedStatus", "done"},
                                         {"claimedStatus", 3},
                                         {"eventAt", "2026-03-01T10:00:00+09:00"},
                                         {"eventAt", "yesterday"},
                                         {"eventAt", 1'772'326'800}});
}

TEST(PaymentVerifyMessage, ReconcileIdsDifferPerPaymentAndAttemptAndRepeat) {
  EXPECT_EQ(ReconcileVerifyMessageId(7, 1), ReconcileVerifyMessageId(7, 1));
  EXPECT_NE(ReconcileVerifyMessageId(7, 1), ReconcileVerifyMessageId(7, 2));
  EXPECT_NE(ReconcileVerifyMessageId(7, 1), ReconcileVerifyMessageId(8, 1));
  // "71" + "1" and "7" + "11" are not one key.
  EXPECT_NE(ReconcileVerifyMessageId(71, 1), ReconcileVerifyMessageId(7, 11));
  EXPECT_EQ(ReconcileVerifyMessageId(7, 1), OriginMessageId("payment.verify", "reconcile:7:1"));
}

TEST(PaymentVerifyMessage, RefusalsNameTheField) {
  test::ExpectEachRefusedNamingTheField(ParsePaymentVerify, kPaymentVerifyType, ToJson(Verify()),
                                        {{"provider", "kakao"},
                                         {"paymentKey", ""},
                                         {"paymentKey", "has space"},
                                         {"orderId", "o 1"},
                                         {"reason", 5},
                                         {"reason", std::string(201, 'r')},
                                         {"schema_version", 2}});
  EXPECT_FALSE(ParsePaymentVerify(json::array()).ok());
}

TEST(OriginMessage, StartsATraceAndAddsTheSchemaVersion) {
  const auto wire = Originate("x.y", "confirm", "id-1", "corr", json{{"a", 1}}, 5);
  EXPECT_EQ(json::parse(wire.message.body), (json{{"a", 1}, {"schema_version", 1}}));
  const auto& traceparent = std::get<std::string>(wire.message.headers.at("traceparent"));
  ASSERT_TRUE(runtime::TraceContext::Parse(traceparent).has_value());
  EXPECT_EQ(OriginMessageId("x.y", "k"), OriginMessageId("x.y", "k"));
  EXPECT_NE(OriginMessageId("x.y", "k"), OriginMessageId("x.z", "k"));
}

}  // namespace
}  // namespace paypipe::messages
