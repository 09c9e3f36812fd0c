#include "paypipe/webhook_intake/webhook_parser.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace paypipe::webhook_intake {
namespace {

using messages::WebhookFormat;
using nlohmann::json;

messages::WebhookReceived Webhook(WebhookFormat format, std::string body,
                                  std::string content_type = "application/json") {
  messages::WebhookReceived webhook;
  webhook.format = format;
  webhook.body = std::move(body);
  webhook.content_type = std::move(content_type);
  return webhook;
}

TEST(TossWebhook, PaymentStatusChangedAsksForALookUpKeyedByStatusAndTransaction) {
  const json body = {{"eventType", "PAYMENT_STATUS_CHANGED"},
                     {"createdAt", "2026-03-01T10:00:00.123456"},
                     {"data",
                      {{"paymentKey", "tgen_1"},
                       {"orderId", "order-000042"},
                       {"status", "DONE"},
                       {"lastTransactionKey", "txrd_a01"}}}};
  auto parsed = ParseWebhook(Webhook(WebhookFormat::kToss, body.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->event_key, "PAYMENT_STATUS_CHANGED:tgen_1:DONE:txrd_a01");
  ASSERT_TRUE(parsed->verify.has_value());
  EXPECT_EQ(parsed->verify->payment_key.str(), "tgen_1");
  EXPECT_EQ(parsed->verify->order_id->str(), "order-000042");
  EXPECT_EQ(parsed->verify->provider, messages::Provider::kToss);
}

TEST(TossWebhook, ARetryOfOneEventHasTheSameKeyAndANewStatusANewOne) {
  auto body = [](const char* status, const char* created) {
    return json{{"eventType", "PAYMENT_STATUS_CHANGED"},
                {"createdAt", created},
                {"data", {{"paymentKey", "k"}, {"status", status}, {"lastTransactionKey", "t"}}}}
        .dump();
  };
  const auto a = ParseWebhook(Webhook(WebhookFormat::kToss, body("DONE", "2026-03-01T10:00:00")));
  const auto b = ParseWebhook(Webhook(WebhookFormat::kToss, body("DONE", "2026-03-01T10:04:00")));
  const auto c =
      ParseWebhook(Webhook(WebhookFormat::kToss, body("CANCELED", "2026-03-01T10:05:00")));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->event_key, b->event_key);
  EXPECT_NE(a->event_key, c->event_key);
}

TEST(TossWebhook, DepositCallbackCarriesItsSecretForTheStageToCheck) {
  const json body = {{"createdAt", "2026-03-01T10:00:00"},
                     {"secret", "ps_secret"},
                     {"status", "DONE"},
                     {"transactionKey", "tx1"},
                     {"orderId", "order-va-01"}};
  auto parsed = ParseWebhook(Webhook(WebhookFormat::kToss, body.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->event_type, "DEPOSIT_CALLBACK");
  EXPECT_EQ(parsed->deposit_secret, "ps_secret");
  EXPECT_EQ(parsed->order_id, "order-va-01");
  EXPECT_FALSE(parsed->verify.has_value());  // the stage finds the payment by order first
}

TEST(TossWebhook, CancelStatusChangedAndBillingDeleted) {
  auto cancel = ParseWebhook(Webhook(
      WebhookFormat::kToss,
      json{{"eventType", "CANCEL_STATUS_CHANGED"},
           {"data", {{"paymentKey", "k1"}, {"transactionKey", "c1"}, {"cancelStatus", "DONE"}}}}
          .dump()));
  ASSERT_TRUE(cancel.ok());
  EXPECT_TRUE(cancel->verify.has_value());
  auto billing = ParseWebhook(Webhook(
      WebhookFormat::kToss,
      json{{"eventType", "BILLING_DELETED"}, {"data", {{"billingKey", "b1"}, {"customerKey", "c"}}}}
          .dump()));
  ASSERT_TRUE(billing.ok());
  EXPECT_EQ(billing->event_key, "BILLING_DELETED:b1:c");
  EXPECT_FALSE(billing->verify.has_value());
}

TEST(TossWebhook, UnknownTypesAreRecordedNotActedOn) {
  auto parsed = ParseWebhook(
      Webhook(WebhookFormat::kToss, json{{"eventType", "seller.changed"}, {"data", {}}}.dump()));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->verify.has_value());
  EXPECT_TRUE(parsed->event_key.starts_with("seller.changed:"));
}

TEST(TossWebhook, GarbledBodiesArePermanent) {
  for (const char* body :
       {"{not json", "[]", R"({"eventType":"PAYMENT_STATUS_CHANGED"})", R"({"status":"DONE"})"}) {
    auto parsed = ParseWebhook(Webhook(WebhookFormat::kToss, body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code, kWebhookMalformed);
    EXPECT_EQ(parsed.error().kind, domain::ErrorKind::kPermanent);
  }
}

TEST(PortOneV1Webhook, JsonAndFormGiveTheSameEvent) {
  auto from_json = ParseWebhook(Webhook(
      WebhookFormat::kPortOneV1,
      json{{"imp_uid", "imp_1"}, {"merchant_uid", "order-0001"}, {"status", "paid"}}.dump()));
  auto from_form = ParseWebhook(Webhook(WebhookFormat::kPortOneV1,
                                        "imp_uid=imp_1&merchant_uid=order-0001&status=paid",
                                        "application/x-www-form-urlencoded"));
  ASSERT_TRUE(from_json.ok() && from_form.ok());
  EXPECT_EQ(from_json->event_key, from_form->event_key);
  ASSERT_TRUE(from_form->verify.has_value());
  EXPECT_EQ(from_form->verify->provider, messages::Provider::kPortOneV1);
  EXPECT_EQ(from_form->verify->payment_key.str(), "imp_1");
  EXPECT_FALSE(ParseWebhook(Webhook(WebhookFormat::kPortOneV1, R"({"status":"paid"})")).ok());
}

TEST(PortOneV2Webhook, SignedEventsDedupeOnTheWebhookId) {
  auto webhook = Webhook(WebhookFormat::kPortOneV2,
                         json{{"type", "Transaction.Paid"},
                              {"timestamp", "2026-03-01T01:00:00Z"},
                              {"data", {{"paymentId", "pay-1"}, {"transactionId", "tx-1"}}}}
                             .dump());
  webhook.verification = messages::WebhookVerification::kSignature;
  webhook.webhook_id = "msg_1";
  auto parsed = ParseWebhook(webhook);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->event_key, "webhook-id:msg_1");
  ASSERT_TRUE(parsed->verify.has_value());
  EXPECT_EQ(parsed->verify->provider, messages::Provider::kPortOne);
  auto billing = ParseWebhook(
      Webhook(WebhookFormat::kPortOneV2,
              json{{"type", "BillingKey.Issued"}, {"data", {{"billingKey", "b"}}}}.dump()));
  ASSERT_TRUE(billing.ok());
  EXPECT_FALSE(billing->verify.has_value());
}

using namespace std::chrono_literals;

// 2026-03-01T01:00:00Z
constexpr messages::WebhookTime kEventTime{std::chrono::sys_days{2026y / 3 / 1} + 1h};

json TossStatusChanged(const char* status, json created_at) {
  json body = {{"eventType", "PAYMENT_STATUS_CHANGED"},
               {"data", {{"paymentKey", "tgen_1"}, {"status", status}}}};
  if (!created_at.is_null()) body["createdAt"] = std::move(created_at);
  return body;
}

TEST(TossWebhook, PaymentStatusChangedClaimsItsStatusAtItsKstCreationTime) {
  auto parsed = ParseWebhook(Webhook(
      WebhookFormat::kToss, TossStatusChanged("CANCELED", "2026-03-01T10:00:00.123456").dump()));
  ASSERT_TRUE(parsed.ok() && parsed->verify.has_value());
  EXPECT_EQ(parsed->verify->claimed_status, domain::PaymentStatus::kCanceled);
  // 10:00:00.123456 KST, rounded up to the millisecond.
  EXPECT_EQ(parsed->verify->event_at, kEventTime + 124ms);
}

TEST(TossWebhook, AClaimWithoutTimeOrWithAnUnreadableOneOrStatus) {
  auto untimed =
      ParseWebhook(Webhook(WebhookFormat::kToss, TossStatusChanged("DONE", json()).dump()));
  ASSERT_TRUE(untimed.ok() && untimed->verify.has_value());
  EXPECT_EQ(untimed->verify->claimed_status, domain::PaymentStatus::kDone);
  EXPECT_FALSE(untimed->verify->event_at.has_value());
  // Still looked up, but with no claim: the time is there and cannot be read, or the status is
  // not one Toss defines.
  for (const json& body :
       {TossStatusChanged("DONE", "yesterday"), TossStatusChanged("DONE", 1772326800),
        TossStatusChanged("SETTLED", "2026-03-01T10:00:00")}) {
    auto parsed = ParseWebhook(Webhook(WebhookFormat::kToss, body.dump()));
    ASSERT_TRUE(parsed.ok() && parsed->verify.has_value()) << body.dump();
    EXPECT_FALSE(parsed->verify->claimed_status.has_value()) << body.dump();
    EXPECT_FALSE(parsed->verify->event_at.has_value()) << body.dump();
  }
}

TEST(TossWebhook, CancelStatusChangedClaimsNothing) {
  auto cancel = ParseWebhook(Webhook(
      WebhookFormat::kToss,
      json{{"eventType", "CANCEL_STATUS_CHANGED"},
           {"createdAt", "2026-03-01T10:00:00"},
           {"data", {{"paymentKey", "k1"}, {"transactionKey", "c1"}, {"cancelStatus", "DONE"}}}}
          .dump()));
  ASSERT_TRUE(cancel.ok() && cancel->verify.has_value());
  EXPECT_FALSE(cancel->verify->claimed_status.has_value());
}

TEST(PortOneV2Webhook, TransactionEventsNamingAStatusClaimItAtTheirTimestamp) {
  auto event = [](const char* type) {
    return ParseWebhook(
        Webhook(WebhookFormat::kPortOneV2, json{{"type", type},
                                                {"timestamp", "2026-03-01T01:00:00.5Z"},
                                                {"data", {{"paymentId", "pay-1"}}}}
                                               .dump()));
  };
  const std::pair<const char*, domain::PaymentStatus> kClaims[] = {
      {"Transaction.Paid", domain::PaymentStatus::kDone},
      {"Transaction.Cancelled", domain::PaymentStatus::kCanceled},
      {"Transaction.PartialCancelled", domain::PaymentStatus::kPartialCanceled},
      {"Transaction.Failed", domain::PaymentStatus::kFailed}};
  for (const auto& [type, status] : kClaims) {
    auto parsed = event(type);
    ASSERT_TRUE(parsed.ok() && parsed->verify.has_value()) << type;
    EXPECT_EQ(parsed->verify->claimed_status, status) << type;
    EXPECT_EQ(parsed->verify->event_at, kEventTime + 500ms) << type;
  }
  for (const char* type : {"Transaction.Ready", "Transaction.PayPending",
                           "Transaction.VirtualAccountIssued", "Transaction.CancelPending"}) {
    auto parsed = event(type);
    ASSERT_TRUE(parsed.ok() && parsed->verify.has_value()) << type;
    EXPECT_FALSE(parsed->verify->claimed_status.has_value()) << type;
  }
}

TEST(PortOneV1Webhook, PaidAndFailedClaimTheirStatusWithoutATime) {
  auto notified = [](const char* status) {
    return ParseWebhook(Webhook(
        WebhookFormat::kPortOneV1,
        json{{"imp_uid", "imp_1"}, {"merchant_uid", "order-0001"}, {"status", status}}.dump()));
  };
  auto paid = notified("paid");
  ASSERT_TRUE(paid.ok() && paid->verify.has_value());
  EXPECT_EQ(paid->verify->claimed_status, domain::PaymentStatus::kDone);
  EXPECT_FALSE(paid->verify->event_at.has_value());
  auto failed = notified("failed");
  ASSERT_TRUE(failed.ok() && failed->verify.has_value());
  EXPECT_EQ(failed->verify->claimed_status, domain::PaymentStatus::kFailed);
  // "cancelled" is said of partial cancels too.
  auto cancelled = notified("cancelled");
  ASSERT_TRUE(cancelled.ok() && cancelled->verify.has_value());
  EXPECT_FALSE(cancelled->verify->claimed_status.has_value());
}

}  // namespace
}  // namespace paypipe::webhook_intake
