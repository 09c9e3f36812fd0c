#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "paypipe/gateway/requests.hpp"
#include "paypipe/gateway/webhook_reader.hpp"
#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::gateway {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const json kCheckout = {{"orderId", "order-000042"},
                        {"orderName", "월간 구독 1개월"},
                        {"amount", 15000},
                        {"partnerId", "partner-1"},
                        {"customerId", "cust-7"},
                        {"provider", "toss"},
                        {"subscription", {{"plan", "basic"}, {"cycle", "MONTHLY"}}}};

std::string With(json body, const std::string& field, const json& value) {
  if (value.is_null()) {
    body.erase(field);
  } else {
    body[field] = value;
  }
  return body.dump();
}

TEST(CheckoutRequest, ParsesEveryField) {
  const auto parsed = ParseCheckoutRequest(kCheckout.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->order_id.str(), "order-000042");
  EXPECT_EQ(parsed->order_name, "월간 구독 1개월");
  EXPECT_EQ(parsed->amount.krw(), 15000);
  EXPECT_EQ(parsed->partner_id.str(), "partner-1");
  EXPECT_EQ(parsed->customer_id.str(), "cust-7");
  EXPECT_EQ(parsed->provider, messages::Provider::kToss);
  ASSERT_TRUE(parsed->subscription.has_value());
  EXPECT_EQ(parsed->subscription->cycle, "MONTHLY");
  EXPECT_FALSE(ParseCheckoutRequest(With(kCheckout, "subscription", nullptr))->subscription);
}

TEST(CheckoutRequest, RefusesEachBadFieldByName) {
  const std::vector<std::pair<std::string, json>> cases = {
      {"orderId", "bad id"},
      {"orderId", "abc"},
      {"orderName", ""},
      {"amount", 15000.0},
      {"amount", "15000"},
      {"amount", 0},
      {"partnerId", 7},
      {"customerId", ""},
      {"provider", "paypal"},
      {"subscription", "monthly"},
      {"subscription", json{{"plan", "p"}, {"cycle", "DAILY"}}},
      {"subscription", json{{"cycle", "MONTHLY"}}},
  };
  for (const auto& [field, value] : cases) {
    const auto refused = ParseCheckoutRequest(With(kCheckout, field, value));
    ASSERT_FALSE(refused.ok()) << field << "=" << value.dump();
    EXPECT_EQ(refused.error().code, kInvalidRequest);
    EXPECT_THAT(refused.error().message, HasSubstr("'" + field)) << value.dump();
  }
  for (const char* field : {"orderId", "orderName", "amount", "partnerId", "customerId"}) {
    EXPECT_THAT(ParseCheckoutRequest(With(kCheckout, field, nullptr)).error().message,
                HasSubstr("is required"));
  }
}

TEST(CheckoutRequest, RefusesWhatIsNotAJsonObject) {
  for (const char* body : {"", "not json", "[1]", "\"text\"", "{\"orderId\":"}) {
    EXPECT_EQ(ParseCheckoutRequest(body).error().code, kInvalidJson) << body;
  }
}

TEST(ConfirmRequest, ParsesAndRefuses) {
  const json body = {{"provider", "portone"},
                     {"paymentKey", "pay_01"},
                     {"orderId", "order-000042"},
                     {"amount", 15000}};
  const auto parsed = ParseConfirmRequest(body.dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->provider, messages::Provider::kPortOne);
  EXPECT_EQ(parsed->payment_key.str(), "pay_01");
  EXPECT_EQ(ParseConfirmRequest(With(body, "amount", -1)).error().code, kInvalidRequest);
  EXPECT_EQ(ParseConfirmRequest(With(body, "paymentKey", std::string(201, 'k'))).error().code,
            kInvalidRequest);
  EXPECT_EQ(ParseConfirmRequest(With(body, "provider", nullptr)).error().code, kInvalidRequest);
}

TEST(CancelRequest, NeedsAnIdempotencyKey) {
  const std::string body = R"({"cancelReason":"고객 변심","cancelAmount":5000})";
  const auto parsed = ParseCancelRequest("pay_01", body, "key-1");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->cancel_amount->krw(), 5000);
  EXPECT_EQ(parsed->idempotency_key.str(), "key-1");
  EXPECT_FALSE(ParseCancelRequest("pay_01", R"({"cancelReason":"r"})", "k")->cancel_amount);
  EXPECT_EQ(ParseCancelRequest("pay_01", body, std::nullopt).error().code, kIdempotencyKeyRequired);
  EXPECT_EQ(ParseCancelRequest("pay_01", body, "").error().code, kIdempotencyKeyRequired);
  EXPECT_EQ(ParseCancelRequest("pay_01", body, "has space").error().code, kInvalidRequest);
  EXPECT_EQ(ParseCancelRequest("pay_01", body, std::string(301, 'k')).error().code,
            kInvalidRequest);
  EXPECT_EQ(ParseCancelRequest("pay_01", R"({"cancelAmount":5000})", "k").error().code,
            kInvalidRequest);
  EXPECT_EQ(ParseCancelRequest("", body, "k").error().code, kInvalidRequest);
  EXPECT_EQ(ParseCancelRequest("pay_01", "nope", "k").error().code, kInvalidJson);
}

// --- webhooks -------------------------------------------------------------------------------

using infra::clock::WallTime;
constexpr std::int64_t kNow = 1'772'326'800;
const std::string kKey = "portone-webhook-key";

WallTime Now() { return WallTime(std::chrono::seconds(kNow)); }

infra::http::Request Post(std::string body, std::string content_type = "application/json") {
  infra::http::Request request;
  request.method = "POST";
  request.target = "/webhooks/x";
  request.body = std::move(body);
  request.remote_address = "203.0.113.7:50123";
  request.headers.Add("Content-Type", std::move(content_type));
  request.headers.Add("Authorization", "Bearer should-not-travel");
  return request;
}

infra::http::Request SignedPortOne(const std::string& body, const std::string& key = kKey) {
  infra::http::Request request = Post(body);
  const std::string content = "msg_1." + std::to_string(kNow) + "." + body;
  request.headers.Add("webhook-id", "msg_1");
  request.headers.Add("webhook-timestamp", std::to_string(kNow));
  request.headers.Add("webhook-signature",
                      "v1," + infra::crypto::Base64Encode(infra::crypto::HmacSha256(key, content)));
  return request;
}

WebhookReader Reader() { return WebhookReader(StandardWebhookVerifier({kKey})); }

WebhookRefusal Refused(const WebhookVerdict& verdict) {
  if (!std::holds_alternative<WebhookRefusal>(verdict)) throw std::runtime_error("accepted");
  return std::get<WebhookRefusal>(verdict);
}

AcceptedWebhook Accepted(const WebhookVerdict& verdict) {
  if (const auto* refusal = std::get_if<WebhookRefusal>(&verdict)) {
    throw std::runtime_error("refused: " + refusal->code + " " + refusal->message);
  }
  return std::get<AcceptedWebhook>(verdict);
}

TEST(WebhookReader, AcceptsAnyTossJsonObject) {
  const std::string body =
      R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"orderId":"order-000042","status":"DONE"}})";
  const AcceptedWebhook accepted = Accepted(Reader().ReadToss(Post(body), Now()));
  EXPECT_EQ(accepted.correlation_id, "order-000042");
  EXPECT_EQ(accepted.webhook.format, messages::WebhookFormat::kToss);
  EXPECT_EQ(accepted.webhook.body, body);
  EXPECT_EQ(accepted.webhook.remote_address, "203.0.113.7:50123");
  EXPECT_EQ(accepted.webhook.verification, messages::WebhookVerification::kNone);
  EXPECT_EQ(accepted.webhook.headers.count("content-type"), 1u);
  EXPECT_EQ(accepted.webhook.headers.count("authorization"), 0u);
  EXPECT_EQ(Accepted(Reader().ReadToss(Post(R"({"orderId":"vbank-order-1","secret":"s"})"), Now()))
                .correlation_id,
            "vbank-order-1");
  EXPECT_EQ(Accepted(Reader().ReadToss(Post(R"({"anything":[1,2]})"), Now())).correlation_id, "");
}

TEST(WebhookReader, RefusesTossBodiesThatAreNotJsonObjects) {
  for (const char* body : {"", "not json", "[1,2]", "42"}) {
    const WebhookRefusal refusal = Refused(Reader().ReadToss(Post(body), Now()));
    EXPECT_EQ(refusal.status, 400);
    EXPECT_EQ(refusal.code, kInvalidJson);
    EXPECT_EQ(refusal.reason, "invalid_json");
  }
  EXPECT_EQ(Refused(Reader().ReadToss(Post("{\"a\":\"\xff\"}"), Now())).code, kInvalidEncoding);
}

TEST(WebhookReader, FindsTheTossOrderIdWhereverItSitsInTheBody) {
  const auto correlation = [](const std::string& body) {
    return Accepted(Reader().ReadToss(Post(body), Now())).correlation_id;
  };
  // Members before and after it, nested objects and arrays around it.
  EXPECT_EQ(correlation(R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"card":{"orderId":"no",)"
                        R"("x":[{"orderId":"no"}]},"orderId":"order-000042","n":1.5,"b":true}})"),
            "order-000042");
  // data.orderId wins over a top-level orderId, in either order.
  EXPECT_EQ(correlation(R"({"orderId":"flat","data":{"orderId":"nested"}})"), "nested");
  EXPECT_EQ(correlation(R"({"data":{"orderId":"nested"},"orderId":"flat"})"), "nested");
  // A repeated member counts by its last occurrence, as in a parsed value.
  EXPECT_EQ(correlation(R"({"data":{"orderId":"first","orderId":"second"}})"), "second");
  EXPECT_EQ(correlation(R"({"data":{"orderId":"first"},"data":{"status":"DONE"},"orderId":"f"})"),
            "f");
  EXPECT_EQ(correlation(R"({"orderId":"first","orderId":7})"), "");
  // Only strings fit to be ids count; an unfit data.orderId falls back to the flat one.
  EXPECT_EQ(correlation(R"({"data":{"orderId":42},"orderId":"flat"})"), "flat");
  EXPECT_EQ(correlation(R"({"data":{"orderId":""},"orderId":"flat"})"), "flat");
  EXPECT_EQ(correlation(R"({"data":{"orderId":"tab\there"}})"), "");
  EXPECT_EQ(correlation(R"({"data":[{"orderId":"in-array"}],"x":{"orderId":"elsewhere"}})"), "");
  EXPECT_EQ(correlation(R"({"data":"text","orderId":{"orderId":"deeper"}})"), "");
  // Escapes are decoded before the id is taken.
  EXPECT_EQ(correlation(R"({"data":{"order\u0049d":"order-\u0034\u0032"}})"), "order-42");
}

TEST(WebhookReader, RefusesTossBodiesThatAreNotWholeJson) {
  for (const char* body : {R"({"data":{"orderId":"o"}} {})", R"({"data":{"orderId":"o"})",
                           R"({"data":{"orderId":"o"}}})", R"({"a":1,})", "{\"a\":01}",
                           R"({"a":"unterminated})", "\"just a string\"", "null"}) {
    const WebhookRefusal refusal = Refused(Reader().ReadToss(Post(body), Now()));
    EXPECT_EQ(refusal.code, kInvalidJson) << body;
  }
}

TEST(WebhookReader, VerifiesPortOneV2Signatures) {
  const std::string body = R"({"type":"Transaction.Paid","data":{"paymentId":"pay_01"}})";
  const AcceptedWebhook accepted = Accepted(Reader().ReadPortOne(SignedPortOne(body), Now()));
  EXPECT_EQ(accepted.webhook.format, messages::WebhookFormat::kPortOneV2);
  EXPECT_EQ(accepted.webhook.verification, messages::WebhookVerification::kSignature);
  EXPECT_EQ(accepted.webhook.webhook_id, "msg_1");
  EXPECT_EQ(accepted.webhook.webhook_timestamp, kNow);
  EXPECT_EQ(accepted.webhook.headers.at("webhook-id"), "msg_1");
  EXPECT_EQ(accepted.correlation_id, "pay_01");

  const WebhookRefusal forged =
      Refused(Reader().ReadPortOne(SignedPortOne(body, "another-key"), Now()));
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.code, kInvalidSignature);
  EXPECT_EQ(forged.reason, "signature_mismatch");

  const WebhookRefusal late =
      Refused(Reader().ReadPortOne(SignedPortOne(body), Now() + std::chrono::seconds(301)));
  EXPECT_EQ(late.reason, "timestamp_out_of_tolerance");

  const WebhookRefusal garbled = Refused(Reader().ReadPortOne(SignedPortOne("not json"), Now()));
  EXPECT_EQ(garbled.status, 400);
  EXPECT_EQ(garbled.code, kInvalidJson);
  EXPECT_EQ(Refused(Reader().ReadPortOne(SignedPortOne("[1]"), Now())).code, kInvalidJson);
  EXPECT_EQ(Accepted(Reader().ReadPortOne(
                         SignedPortOne(R"({"data":{"x":{"paymentId":"no"},"paymentId":"pay_02"},)"
                                       R"("paymentId":"top"})"),
                         Now()))
                .correlation_id,
            "pay_02");
}

TEST(WebhookReader, RefusesSignedPortOneWebhooksWithoutASecret) {
  const WebhookRefusal refusal =
      Refused(WebhookReader(std::nullopt)
                  .ReadPortOne(SignedPortOne(R"({"type":"Transaction.Paid","data":{}})"), Now()));
  EXPECT_EQ(refusal.status, 503);
  EXPECT_EQ(refusal.code, kWebhookSecretNotConfigured);
}

TEST(WebhookReader, AcceptsPortOneV1AsJsonOrForm) {
  const AcceptedWebhook json_v1 = Accepted(Reader().ReadPortOne(
      Post(R"({"imp_uid":"imp_1","merchant_uid":"order-000042","status":"paid"})"), Now()));
  EXPECT_EQ(json_v1.webhook.format, messages::WebhookFormat::kPortOneV1);
  EXPECT_EQ(json_v1.webhook.verification, messages::WebhookVerification::kNone);
  EXPECT_EQ(json_v1.correlation_id, "order-000042");
  const AcceptedWebhook form_v1 =
      Accepted(Reader().ReadPortOne(Post("imp_uid=imp_1&merchant_uid=order-000042&status=paid",
                                         "application/x-www-form-urlencoded"),
                                    Now()));
  EXPECT_EQ(form_v1.webhook.body, "imp_uid=imp_1&merchant_uid=order-000042&status=paid");
  EXPECT_EQ(form_v1.webhook.content_type, "application/x-www-form-urlencoded");
}

TEST(WebhookReader, RefusesUnsignedV2AndGarbledV1) {
  const WebhookRefusal unsigned_v2 = Refused(Reader().ReadPortOne(
      Post(R"({"type":"Transaction.Paid","data":{"paymentId":"pay_01"}})"), Now()));
  EXPECT_EQ(unsigned_v2.status, 401);
  EXPECT_EQ(unsigned_v2.reason, "signature_headers_missing");
  const WebhookRefusal not_json = Refused(Reader().ReadPortOne(Post("garbage"), Now()));
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.code, kInvalidJson);
  const WebhookRefusal incomplete =
      Refused(Reader().ReadPortOne(Post(R"({"merchant_uid":"o"})"), Now()));
  EXPECT_EQ(incomplete.status, 400);
  EXPECT_EQ(incomplete.code, kInvalidWebhook);
  EXPECT_THAT(incomplete.message, HasSubstr("'imp_uid'"));
  const WebhookRefusal bad_form = Refused(Reader().ReadPortOne(
      Post("imp_uid=%zz&status=paid", "application/x-www-form-urlencoded"), Now()));
  EXPECT_EQ(bad_form.code, kInvalidWebhook);
}

}  // namespace
}  // namespace paypipe::gateway
