#include <gtest/gtest.h>

#include <regex>

#include "sim_fakes.hpp"

namespace paypipe::sim {
namespace {

using nlohmann::json;
using testing::Reply;
using testing::SimHarness;

json ConfirmBody(const std::string& key, const std::string& order, std::int64_t amount) {
  return {{"paymentKey", key}, {"orderId", order}, {"amount", amount}};
}

std::vector<json> WebhookBodies(SimHarness& h, const std::string& event_type) {
  h.sim().webhooks().RunDue();
  std::vector<json> out;
  for (const auto& sent : h.transport().sent()) {
    json body = json::parse(sent.body);
    const bool flat_deposit = !body.contains("eventType") && event_type == "DEPOSIT_CALLBACK";
    if (flat_deposit || body.value("eventType", "") == event_type) out.push_back(body);
  }
  return out;
}

TEST(TossAuth, MissingColonIs403IncorrectBasicAuthFormat) {
  SimHarness h;
  auto reply = h.Send("GET", "/toss/v1/payments/anything", "",
                      {{"Authorization", "Basic " + infra::crypto::Base64Encode("test_sk_unit")}});
  ASSERT_TRUE(reply->answered());
  EXPECT_EQ(reply->response->status, 403);
  EXPECT_EQ(reply->json()["code"], "INCORRECT_BASIC_AUTH_FORMAT");
}

TEST(TossAuth, UnknownKeyIs401UnauthorizedKey) {
  SimHarness h;
  auto reply = h.Send("GET", "/toss/v1/payments/anything", "",
                      {{"Authorization", testing::TossAuth("test_sk_someone_else")}});
  EXPECT_EQ(reply->response->status, 401);
  EXPECT_EQ(reply->json()["code"], "UNAUTHORIZED_KEY");
}

TEST(TossAuth, MissingHeaderIs401AndOtherSchemesAre403) {
  SimHarness h;
  EXPECT_EQ(h.Send("GET", "/toss/v1/payments/x")->response->status, 401);
  auto bearer =
      h.Send("GET", "/toss/v1/payments/x", "", {{"Authorization", "Bearer test_sk_unit"}});
  EXPECT_EQ(bearer->response->status, 403);
  auto garbage = h.Send("GET", "/toss/v1/payments/x", "", {{"Authorization", "Basic !!!"}});
  EXPECT_EQ(garbage->json()["code"], "INCORRECT_BASIC_AUTH_FORMAT");
}

TEST(TossConfirm, ConfirmsAnAuthenticatedSessionWithDocumentedFields) {
  SimHarness h;
  const std::string key = h.Session("order-000042", 15000);
  Reply reply =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000042", 15000).dump());
  ASSERT_EQ(reply.response->status, 200);
  const json p = reply.json();
  EXPECT_EQ(p["status"], "DONE");
  EXPECT_EQ(p["paymentKey"], key);
  EXPECT_EQ(p["orderId"], "order-000042");
  EXPECT_EQ(p["totalAmount"], 15000);
  EXPECT_EQ(p["balanceAmount"], 15000);
  EXPECT_EQ(p["vat"], 1364);  // round(15000 / 11)
  EXPECT_EQ(p["suppliedAmount"], 13636);
  EXPECT_EQ(p["method"], "카드");
  EXPECT_EQ(p["type"], "NORMAL");
  EXPECT_EQ(p["currency"], "KRW");
  EXPECT_TRUE(p["cancels"].is_null());
  EXPECT_TRUE(p["lastTransactionKey"].is_string());
  const std::regex kst(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00)");
  EXPECT_TRUE(std::regex_match(p["approvedAt"].get<std::string>(), kst)) << p["approvedAt"];
  EXPECT_TRUE(std::regex_match(p["requestedAt"].get<std::string>(), kst));
}

TEST(TossConfirm, UnknownPaymentKeyIsNotFoundPaymentSession) {
  SimHarness h;
  Reply reply =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody("tsim_nope", "order-000001", 1000).dump());
  EXPECT_EQ(reply.response->status, 404);
  EXPECT_EQ(reply.json()["code"], "NOT_FOUND_PAYMENT_SESSION");
}

TEST(TossConfirm, DifferentAmountIsRefusedAsInvalidRequestAndLeavesTheSessionOpen) {
  SimHarness h;
  const std::string key = h.Session("order-000043", 15000);
  Reply reply =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000043", 1500).dump());
  EXPECT_EQ(reply.response->status, 400);
  EXPECT_EQ(reply.json()["code"], "INVALID_REQUEST");
  Reply again =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000043", 15000).dump());
  EXPECT_EQ(again.json()["status"], "DONE");
}

TEST(TossConfirm, ValidatesOrderIdAmountAndPaymentKey) {
  SimHarness h;
  const std::string key = h.Session("order-000044", 1000);
  for (const json& body :
       {ConfirmBody(key, "short", 1000), ConfirmBody(key, "order 000044", 1000),
        ConfirmBody(key, std::string(65, 'a'), 1000), ConfirmBody(key, "order-000044", 0),
        json{{"paymentKey", key}, {"orderId", "order-000044"}, {"amount", 1000.5}},
        json{{"paymentKey", key}, {"orderId", "order-000044"}, {"amount", "1000"}},
        ConfirmBody(std::string(201, 'k'), "order-000044", 1000)}) {
    Reply reply = h.Toss("POST", "/v1/payments/confirm", body.dump());
    EXPECT_EQ(reply.response->status, 400) << body;
    EXPECT_EQ(reply.json()["code"], "INVALID_REQUEST") << body;
  }
  EXPECT_EQ(h.Toss("POST", "/v1/payments/confirm", "{broken").response->status, 400);
}

TEST(TossConfirm, SecondConfirmIsAlreadyProcessed) {
  SimHarness h;
  const std::string key = h.Paid("order-000045", 1000);
  Reply reply =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000045", 1000).dump());
  EXPECT_EQ(reply.json()["code"], "ALREADY_PROCESSED_PAYMENT");
  EXPECT_EQ(h.Truth()["confirms"].size(), 1u);
}

TEST(TossConfirm, SessionExpiresAfterTenMinutes) {
  SimHarness h;
  const std::string key = h.Session("order-000046", 1000);
  h.clock().Advance(std::chrono::minutes(11));
  Reply reply =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000046", 1000).dump());
  EXPECT_EQ(reply.json()["code"], "NOT_FOUND_PAYMENT_SESSION");
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + key).json()["status"], "EXPIRED");
  auto changed = WebhookBodies(h, "PAYMENT_STATUS_CHANGED");
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["data"]["status"], "EXPIRED");
}

TEST(TossLookup, ByPaymentKeyAndByOrderId) {
  SimHarness h;
  const std::string key = h.Paid("order-000047", 2000);
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + key).json()["orderId"], "order-000047");
  EXPECT_EQ(h.Toss("GET", "/v1/payments/orders/order-000047").json()["paymentKey"], key);
  Reply missing = h.Toss("GET", "/v1/payments/orders/order-404404");
  EXPECT_EQ(missing.response->status, 404);
  EXPECT_EQ(missing.json()["code"], "NOT_FOUND_PAYMENT");
}

TEST(TossCancel, PartialCancelsKeepBalanceAndCancelsArithmetic) {
  SimHarness h;
  const std::string key = h.Paid("order-000050", 10000);
  Reply first = h.Toss("POST", "/v1/payments/" + key + "/cancel",
                       json{{"cancelReason", "size"}, {"cancelAmount", 3000}}.dump());
  ASSERT_EQ(first.response->status, 200);
  EXPECT_EQ(first.json()["status"], "PARTIAL_CANCELED");
  EXPECT_EQ(first.json()["balanceAmount"], 7000);
  EXPECT_EQ(first.json()["totalAmount"], 10000);
  ASSERT_EQ(first.json()["cancels"].size(), 1u);
  EXPECT_EQ(first.json()["cancels"][0]["cancelAmount"], 3000);
  EXPECT_EQ(first.json()["cancels"][0]["refundableAmount"], 7000);
  EXPECT_EQ(first.json()["lastTransactionKey"], first.json()["cancels"][0]["transactionKey"]);

  Reply over = h.Toss("POST", "/v1/payments/" + key + "/cancel",
                      json{{"cancelReason", "too much"}, {"cancelAmount", 7001}}.dump());
  EXPECT_EQ(over.response->status, 403);
  EXPECT_EQ(over.json()["code"], "NOT_CANCELABLE_AMOUNT");

  Reply rest =
      h.Toss("POST", "/v1/payments/" + key + "/cancel", json{{"cancelReason", "the rest"}}.dump());
  EXPECT_EQ(rest.json()["status"], "CANCELED");
  EXPECT_EQ(rest.json()["balanceAmount"], 0);
  ASSERT_EQ(rest.json()["cancels"].size(), 2u);
  EXPECT_EQ(rest.json()["cancels"][1]["cancelAmount"], 7000);

  Reply again =
      h.Toss("POST", "/v1/payments/" + key + "/cancel", json{{"cancelReason", "again"}}.dump());
  EXPECT_EQ(again.response->status, 400);
  EXPECT_EQ(again.json()["code"], "ALREADY_CANCELED_PAYMENT");

  const json cancels = h.Truth()["cancels"];
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[0]["amount"].get<std::int64_t>() + cancels[1]["amount"].get<std::int64_t>(),
            10000);
}

TEST(TossCancel, RefusesMissingReasonFractionalAmountAndUnpaidPayments) {
  SimHarness h;
  const std::string paid = h.Paid("order-000051", 10000);
  EXPECT_EQ(h.Toss("POST", "/v1/payments/" + paid + "/cancel", "{}").json()["code"],
            "INVALID_REQUEST");
  EXPECT_EQ(h.Toss("POST", "/v1/payments/" + paid + "/cancel",
                   json{{"cancelReason", "x"}, {"cancelAmount", 10.5}}.dump())
                .json()["code"],
            "INVALID_REQUEST");
  const std::string open = h.Session("order-000052", 1000);
  Reply not_paid =
      h.Toss("POST", "/v1/payments/" + open + "/cancel", json{{"cancelReason", "x"}}.dump());
  EXPECT_EQ(not_paid.response->status, 403);
  EXPECT_EQ(not_paid.json()["code"], "NOT_CANCELABLE_PAYMENT");
  EXPECT_EQ(h.Toss("POST", "/v1/payments/tsim_missing/cancel", json{{"cancelReason", "x"}}.dump())
                .json()["code"],
            "NOT_FOUND_PAYMENT");
}

TEST(TossIdempotency, RepeatReturnsTheFirstResponseWithoutExecutingAgain) {
  SimHarness h;
  const std::string key = h.Paid("order-000060", 10000);
  const std::vector<std::pair<std::string, std::string>> idem = {
      {"Idempotency-Key", "cancel-60-a"}};
  Reply first = h.Toss("POST", "/v1/payments/" + key + "/cancel",
                       json{{"cancelReason", "r"}, {"cancelAmount", 1000}}.dump(), idem);
  // Same key, URL and method: the body is not part of the match.
  Reply repeat = h.Toss("POST", "/v1/payments/" + key + "/cancel",
                        json{{"cancelReason", "r"}, {"cancelAmount", 5000}}.dump(), idem);
  EXPECT_EQ(repeat.response->status, 200);
  EXPECT_EQ(repeat.response->body, first.response->body);
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + key).json()["balanceAmount"], 9000);
  const json truth = h.Truth();
  EXPECT_EQ(truth["cancels"].size(), 1u);
  EXPECT_EQ(truth["cancels"][0]["idempotency_key"], "cancel-60-a");
  EXPECT_EQ(truth["idempotent_replays"].size(), 1u);
}

TEST(TossIdempotency, KeyIsScopedByUrlAndApiKey) {
  SimOptions options = SimHarness::DefaultOptions();
  options.toss.secret_keys = {SimHarness::kTossKey, "test_sk_other"};
  SimHarness h(options);
  const std::string a = h.Paid("order-000061", 10000);
  const std::string b = h.Paid("order-000062", 10000);
  const std::vector<std::pair<std::string, std::string>> idem = {{"Idempotency-Key", "same-key"}};
  const std::string body = json{{"cancelReason", "r"}, {"cancelAmount", 1000}}.dump();
  h.Toss("POST", "/v1/payments/" + a + "/cancel", body, idem);
  h.Toss("POST", "/v1/payments/" + b + "/cancel", body, idem);
  auto other_key = h.Send(
      "POST", "/toss/v1/payments/" + a + "/cancel", body,
      {{"Idempotency-Key", "same-key"}, {"Authorization", testing::TossAuth("test_sk_other")}});
  EXPECT_EQ(other_key->json()["balanceAmount"], 8000);
  EXPECT_EQ(h.Truth()["cancels"].size(), 3u);
}

TEST(TossIdempotency, RepeatWhileTheFirstRunsIs409) {
  SimOptions options = SimHarness::DefaultOptions();
  options.faults.endpoints["toss.confirm"].latency = {LatencyKind::kFixed, Millis(500)};
  SimHarness h(options);
  const std::string key = h.Session("order-000063", 1000);
  const std::string body = ConfirmBody(key, "order-000063", 1000).dump();
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Idempotency-Key", "confirm-order-000063"},
      {"Authorization", testing::TossAuth(SimHarness::kTossKey)}};
  auto first = h.Send("POST", "/toss/v1/payments/confirm", body, headers);
  EXPECT_FALSE(first->answered());
  auto second = h.Send("POST", "/toss/v1/payments/confirm", body, headers);
  ASSERT_TRUE(second->answered());
  EXPECT_EQ(second->response->status, 409);
  EXPECT_EQ(second->json()["code"], "IDEMPOTENT_REQUEST_PROCESSING");
  h.scheduler().RunAll();
  ASSERT_TRUE(first->answered());
  EXPECT_EQ(first->json()["status"], "DONE");
  auto third = h.Send("POST", "/toss/v1/payments/confirm", body, headers);
  ASSERT_TRUE(third->answered());  // a replay answers at once, without latency
  EXPECT_EQ(third->response->body, first->response->body);
  EXPECT_EQ(h.Truth()["confirms"].size(), 1u);
}

TEST(TossIdempotency, RefusedRequestIsNotRemembered) {
  SimHarness h;
  const std::string key = h.Session("order-000064", 1000);
  const std::vector<std::pair<std::string, std::string>> idem = {{"Idempotency-Key", "k-64"}};
  Reply wrong =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000064", 999).dump(), idem);
  EXPECT_EQ(wrong.response->status, 400);
  Reply right =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000064", 1000).dump(), idem);
  EXPECT_EQ(right.json()["status"], "DONE");
}

TEST(TossTestCode, HeaderForcesTheDocumentedError) {
  SimHarness h;
  const std::string key = h.Session("order-000070", 1000);
  Reply reply =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(key, "order-000070", 1000).dump(),
             {{"TossPayments-Test-Code", "REJECT_CARD_COMPANY"}});
  EXPECT_EQ(reply.response->status, 403);
  EXPECT_EQ(reply.json()["code"], "REJECT_CARD_COMPANY");
  // A card refusal ends the payment and is announced.
  const json p = h.Toss("GET", "/v1/payments/" + key).json();
  EXPECT_EQ(p["status"], "ABORTED");
  EXPECT_EQ(p["failure"]["code"], "REJECT_CARD_COMPANY");
  auto changed = WebhookBodies(h, "PAYMENT_STATUS_CHANGED");
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["data"]["status"], "ABORTED");

  const std::string other = h.Session("order-000071", 1000);
  Reply transient =
      h.Toss("POST", "/v1/payments/confirm", ConfirmBody(other, "order-000071", 1000).dump(),
             {{"TossPayments-Test-Code", "PROVIDER_ERROR"}});
  EXPECT_EQ(transient.response->status, 400);
  EXPECT_EQ(transient.json()["code"], "PROVIDER_ERROR");
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + other).json()["status"], "IN_PROGRESS");
}

TEST(TossWebhooks, PaymentStatusChangedCarriesTheWholePaymentAndUnsignedHeaders) {
  SimHarness h;
  const std::string key = h.Paid("order-000080", 5000);
  h.sim().webhooks().RunDue();
  const auto sent = h.transport().sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].url, "http://receiver.test/toss");
  const json body = json::parse(sent[0].body);
  EXPECT_EQ(body["eventType"], "PAYMENT_STATUS_CHANGED");
  EXPECT_EQ(body["data"]["status"], "DONE");
  EXPECT_EQ(body["data"]["paymentKey"], key);
  EXPECT_EQ(body["data"]["totalAmount"], 5000);
  // createdAt: KST wall time without offset, 0-6 fraction digits.
  const std::regex created(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?)");
  EXPECT_TRUE(std::regex_match(body["createdAt"].get<std::string>(), created)) << body["createdAt"];
  EXPECT_TRUE(sent[0].headers.Get("tosspayments-webhook-transmission-time"));
  EXPECT_EQ(sent[0].headers.Get("tosspayments-webhook-transmission-retried-count"), "0");
  EXPECT_TRUE(sent[0].headers.Get("tosspayments-webhook-transmission-id"));
  EXPECT_FALSE(sent[0].headers.Get("tosspayments-webhook-signature"));
  EXPECT_FALSE(sent[0].headers.Get("webhook-signature"));
}

TEST(TossWebhooks, CreatedAtFractionDigitsVary) {
  SimHarness h;
  for (int i = 0; i < 30; ++i) h.Paid("order-0009" + std::to_string(10 + i), 1000);
  std::set<std::size_t> lengths;
  for (const json& body : WebhookBodies(h, "PAYMENT_STATUS_CHANGED")) {
    lengths.insert(body["createdAt"].get<std::string>().size());
  }
  EXPECT_GE(lengths.size(), 3u);
}

TEST(TossBilling, ChargeCreatesADonePaymentAndSendsNoWebhook) {
  SimHarness h;
  Reply issued = h.Toss("POST", "/v1/billing/authorizations/issue",
                        json{{"authKey", "auth-1"}, {"customerKey", "customer-1"}}.dump());
  ASSERT_EQ(issued.response->status, 200);
  const std::string billing_key = issued.json()["billingKey"];
  EXPECT_EQ(issued.json()["customerKey"], "customer-1");
  Reply charged = h.Toss("POST", "/v1/billing/" + billing_key,
                         json{{"customerKey", "customer-1"},
                              {"amount", 9900},
                              {"orderId", "sub-000001"},
                              {"orderName", "monthly"}}
                             .dump(),
                         {{"Idempotency-Key", "renewal-sub-000001"}});
  ASSERT_EQ(charged.response->status, 200);
  EXPECT_EQ(charged.json()["status"], "DONE");
  EXPECT_EQ(charged.json()["type"], "BILLING");
  Reply mismatch = h.Toss("POST", "/v1/billing/" + billing_key,
                          json{{"customerKey", "customer-2"},
                               {"amount", 9900},
                               {"orderId", "sub-000002"},
                               {"orderName", "monthly"}}
                              .dump());
  EXPECT_EQ(mismatch.json()["code"], "NOT_MATCHES_CUSTOMER_KEY");
  Reply duplicate = h.Toss("POST", "/v1/billing/" + billing_key,
                           json{{"customerKey", "customer-1"},
                                {"amount", 9900},
                                {"orderId", "sub-000001"},
                                {"orderName", "monthly"}}
                               .dump());
  EXPECT_EQ(duplicate.json()["code"], "DUPLICATED_ORDER_ID");
  EXPECT_EQ(h.sim().webhooks().RunDue(), 0u);
  const json charges = h.Truth()["billing_charges"];
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(charges[0]["idempotency_key"], "renewal-sub-000001");
  EXPECT_EQ(charges[0]["amount"], 9900);
}

TEST(TossVirtualAccount, WaitsForDepositThenDepositCallbackCarriesTheSecret) {
  SimHarness h;
  Reply issued = h.Toss("POST", "/v1/virtual-accounts",
                        json{{"amount", 30000},
                             {"orderId", "va-000001"},
                             {"orderName", "x"},
                             {"customerName", "Kim"},
                             {"bank", "88"}}
                            .dump());
  ASSERT_EQ(issued.response->status, 200);
  const json p = issued.json();
  EXPECT_EQ(p["status"], "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(p["method"], "가상계좌");
  const std::string secret = p["secret"];
  EXPECT_FALSE(secret.empty());
  EXPECT_EQ(p["virtualAccount"]["accountNumber"].get<std::string>().front(), 'X');

  Reply deposit = h.Control(
      "POST", "/toss/payments/" + p["paymentKey"].get<std::string>() + "/deposit", nullptr);
  EXPECT_EQ(deposit.json()["status"], "DONE");
  auto callbacks = WebhookBodies(h, "DEPOSIT_CALLBACK");
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(callbacks[0]["status"], "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(callbacks[1]["status"], "DONE");
  for (const json& callback : callbacks) {
    EXPECT_EQ(callback["secret"], secret);
    EXPECT_EQ(callback["orderId"], "va-000001");
    EXPECT_FALSE(callback.contains("eventType"));
    EXPECT_TRUE(callback.contains("transactionKey"));
  }
  // Refunding deposited money needs the customer's account.
  const std::string key = p["paymentKey"];
  EXPECT_EQ(h.Toss("POST", "/v1/payments/" + key + "/cancel", json{{"cancelReason", "x"}}.dump())
                .json()["code"],
            "INVALID_REFUND_ACCOUNT_INFO");
  Reply refunded = h.Toss("POST", "/v1/payments/" + key + "/cancel",
                          json{{"cancelReason", "x"},
                               {"refundReceiveAccount",
                                {{"bank", "88"}, {"accountNumber", "123"}, {"holderName", "Kim"}}}}
                              .dump());
  EXPECT_EQ(refunded.json()["status"], "CANCELED");
}

TEST(TossVirtualAccount, DepositErrorMovesDoneBackToWaiting) {
  SimHarness h;
  Reply issued = h.Toss("POST", "/v1/virtual-accounts",
                        json{{"amount", 1000},
                             {"orderId", "va-000002"},
                             {"orderName", "x"},
                             {"customerName", "Kim"},
                             {"bank", "88"}}
                            .dump());
  const std::string key = issued.json()["paymentKey"];
  ASSERT_EQ(h.Control("POST", "/toss/payments/" + key + "/deposit", nullptr).response->status, 200);
  Reply reversed = h.Control("POST", "/toss/payments/" + key + "/deposit-error", nullptr);
  EXPECT_EQ(reversed.json()["status"], "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(WebhookBodies(h, "DEPOSIT_CALLBACK").back()["status"], "WAITING_FOR_DEPOSIT");
}

}  // namespace
}  // namespace paypipe::sim

namespace paypipe::sim {
namespace {

TEST(TruthSummary, CountsPaymentsByStatusAndSumsCancels) {
  testing::SimHarness h;
  const std::string a = h.Paid("order-000200", 10000);
  h.Paid("order-000201", 5000);
  h.Session("order-000202", 1000);
  h.Toss("POST", "/v1/payments/" + a + "/cancel",
         nlohmann::json{{"cancelReason", "r"}, {"cancelAmount", 2500}}.dump());
  const nlohmann::json summary = h.Control("GET", "/ledger/summary", nullptr).json();
  EXPECT_EQ(summary["payments"]["toss"]["DONE"], 1);
  EXPECT_EQ(summary["payments"]["toss"]["PARTIAL_CANCELED"], 1);
  EXPECT_EQ(summary["payments"]["toss"]["IN_PROGRESS"], 1);
  EXPECT_EQ(summary["confirms"], 2);
  EXPECT_EQ(summary["cancels"]["count"], 1);
  EXPECT_EQ(summary["cancels"]["amount"], 2500);
  EXPECT_EQ(summary["webhooks"]["by_state"]["pending"], 3);
}

}  // namespace
}  // namespace paypipe::sim
