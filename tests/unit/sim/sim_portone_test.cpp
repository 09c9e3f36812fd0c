#include <gtest/gtest.h>

#include "sim_fakes.hpp"

namespace paypipe::sim {
namespace {

using nlohmann::json;
using testing::SimHarness;

std::string V1Token(SimHarness& h) {
  auto reply =
      h.Send("POST", "/portone/v1/users/getToken", "imp_key=imp_sim_key&imp_secret=imp_sim_secret",
             {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(reply->response->status, 200);
  return reply->json()["response"]["access_token"];
}

std::vector<std::pair<std::string, std::string>> V2Auth() {
  return {{"Authorization", std::string("PortOne ") + SimHarness::kV2Secret}};
}

TEST(PortOneV1, TokenIsIssuedForValidCredentialsOnlyAndLastsThirtyMinutes) {
  SimHarness h;
  auto wrong = h.Send("POST", "/portone/v1/users/getToken",
                      R"({"imp_key":"imp_sim_key","imp_secret":"no"})");
  EXPECT_EQ(wrong->response->status, 401);
  EXPECT_EQ(wrong->json()["code"], -1);

  auto json_token = h.Send("POST", "/portone/v1/users/getToken",
                           R"({"imp_key":"imp_sim_key","imp_secret":"imp_sim_secret"})");
  ASSERT_EQ(json_token->response->status, 200);
  const json r = json_token->json()["response"];
  EXPECT_EQ(r["expired_at"].get<std::int64_t>() - r["now"].get<std::int64_t>(), 1800);

  const std::string token = V1Token(h);
  ASSERT_EQ(h.Control("POST", "/portone/v1/payments",
                      {{"merchant_uid", "m-1"}, {"amount", 1000}, {"imp_uid", "imp_1"}})
                .response->status,
            201);
  auto ok = h.Send("GET", "/portone/v1/payments/imp_1", "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(ok->response->status, 200);
  EXPECT_EQ(ok->json()["code"], 0);
  EXPECT_EQ(ok->json()["response"]["status"], "paid");
  EXPECT_EQ(ok->json()["response"]["amount"], 1000);

  h.clock().Advance(std::chrono::minutes(30));
  auto expired =
      h.Send("GET", "/portone/v1/payments/imp_1", "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(expired->response->status, 401);
  EXPECT_EQ(h.Send("GET", "/portone/v1/payments/imp_1")->response->status, 401);
}

TEST(PortOneV1, ChecksumMismatchIsRefusedAndNothingIsCancelled) {
  SimHarness h;
  const std::string token = V1Token(h);
  ASSERT_EQ(h.Control("POST", "/portone/v1/payments",
                      {{"merchant_uid", "m-2"}, {"amount", 10000}, {"imp_uid", "imp_2"}})
                .response->status,
            201);
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token}, {"Content-Type", "application/x-www-form-urlencoded"}};
  auto partial = h.Send("POST", "/portone/v1/payments/cancel",
                        "imp_uid=imp_2&amount=3000&checksum=10000&reason=size", auth);
  ASSERT_EQ(partial->json()["code"], 0);
  EXPECT_EQ(partial->json()["response"]["cancel_amount"], 3000);
  EXPECT_EQ(partial->json()["response"]["status"], "paid");  // partial cancels stay "paid"

  // A second client still believes 10000 is cancellable: refused, nothing executed.
  auto stale = h.Send("POST", "/portone/v1/payments/cancel",
                      "imp_uid=imp_2&amount=3000&checksum=10000&reason=dup", auth);
  EXPECT_EQ(stale->response->status, 200);
  EXPECT_EQ(stale->json()["code"], 1);
  EXPECT_TRUE(stale->json()["response"].is_null());
  EXPECT_EQ(h.Truth()["cancels"].size(), 1u);

  auto rest = h.Send("POST", "/portone/v1/payments/cancel", "merchant_uid=m-2&checksum=7000", auth);
  EXPECT_EQ(rest->json()["response"]["status"], "cancelled");
  EXPECT_EQ(rest->json()["response"]["cancel_history"].size(), 2u);
  auto again = h.Send("POST", "/portone/v1/payments/cancel", "imp_uid=imp_2", auth);
  EXPECT_EQ(again->json()["code"], 1);
}

TEST(PortOneV1, WebhooksCarryImpUidMerchantUidAndStatus) {
  SimHarness h;
  ASSERT_EQ(h.Control("POST", "/portone/v1/payments",
                      {{"merchant_uid", "m-3"}, {"amount", 500}, {"imp_uid", "imp_3"}})
                .response->status,
            201);
  ASSERT_EQ(h.Control("POST", "/portone/v1/payments",
                      {{"merchant_uid", "m-4"}, {"amount", 500}, {"status", "failed"}})
                .response->status,
            201);
  h.sim().webhooks().RunDue();
  const auto sent = h.transport().sent();
  ASSERT_EQ(sent.size(), 1u);  // none for the failed payment
  EXPECT_EQ(json::parse(sent[0].body),
            (json{{"imp_uid", "imp_3"}, {"merchant_uid", "m-3"}, {"status", "paid"}}));
}

TEST(PortOneV2, ErrorsAreTypeAndMessageWithDocumentedStatuses) {
  SimHarness h;
  auto unauthorized =
      h.Send("GET", "/portone/v2/payments/p-1", "", {{"Authorization", "PortOne wrong"}});
  EXPECT_EQ(unauthorized->response->status, 401);
  EXPECT_EQ(unauthorized->json()["type"], "UNAUTHORIZED");
  EXPECT_TRUE(unauthorized->json()["message"].is_string());

  auto missing = h.Send("GET", "/portone/v2/payments/p-1", "", V2Auth());
  EXPECT_EQ(missing->response->status, 404);
  EXPECT_EQ(missing->json()["type"], "PAYMENT_NOT_FOUND");

  ASSERT_EQ(h.Control("POST", "/portone/v2/payments", {{"paymentId", "p-1"}, {"amount", 10000}})
                .response->status,
            201);
  ASSERT_EQ(h.Control("POST", "/portone/v2/payments",
                      {{"paymentId", "p-2"}, {"amount", 10000}, {"status", "READY"}})
                .response->status,
            201);
  auto cancel = [&](const std::string& id, const json& body) {
    return h.Send("POST", "/portone/v2/payments/" + id + "/cancel", body.dump(), V2Auth());
  };
  auto not_paid = cancel("p-2", {{"reason", "x"}});
  EXPECT_EQ(not_paid->response->status, 409);
  EXPECT_EQ(not_paid->json()["type"], "PAYMENT_NOT_PAID");
  auto broken =
      cancel("p-1", {{"reason", "x"}, {"amount", 1000}, {"currentCancellableAmount", 9000}});
  EXPECT_EQ(broken->response->status, 409);
  EXPECT_EQ(broken->json()["type"], "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN");
  auto exceeds = cancel("p-1", {{"reason", "x"}, {"amount", 10001}});
  EXPECT_EQ(exceeds->json()["type"], "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT");
  auto partial =
      cancel("p-1", {{"reason", "x"}, {"amount", 4000}, {"currentCancellableAmount", 10000}});
  ASSERT_EQ(partial->response->status, 200);
  EXPECT_EQ(partial->json()["cancellation"]["status"], "SUCCEEDED");
  EXPECT_EQ(partial->json()["cancellation"]["totalAmount"], 4000);
  auto full = cancel("p-1", {{"reason", "x"}});
  EXPECT_EQ(full->json()["cancellation"]["totalAmount"], 6000);
  auto already = cancel("p-1", {{"reason", "x"}});
  EXPECT_EQ(already->response->status, 409);
  EXPECT_EQ(already->json()["type"], "PAYMENT_ALREADY_CANCELLED");
  auto invalid = cancel("p-1", {{"amount", 1}});
  EXPECT_EQ(invalid->response->status, 400);
  EXPECT_EQ(invalid->json()["type"], "INVALID_REQUEST");

  const json payment = h.Send("GET", "/portone/v2/payments/p-1", "", V2Auth())->json();
  EXPECT_EQ(payment["status"], "CANCELLED");
  EXPECT_EQ(payment["amount"]["total"], 10000);
  EXPECT_EQ(payment["amount"]["cancelled"], 10000);
  EXPECT_EQ(payment["cancellations"].size(), 2u);
}

TEST(PortOneV2, IdempotencyKeyMustBeQuotedAndSixteenToTwoHundredFiftySixChars) {
  SimHarness h;
  ASSERT_EQ(h.Control("POST", "/portone/v2/payments", {{"paymentId", "p-3"}, {"amount", 10000}})
                .response->status,
            201);
  auto cancel = [&](const std::string& key) {
    auto headers = V2Auth();
    headers.emplace_back("Idempotency-Key", key);
    return h.Send("POST", "/portone/v2/payments/p-3/cancel",
                  json{{"reason", "x"}, {"amount", 1000}}.dump(), headers);
  };
  EXPECT_EQ(cancel("cancel-p3-000000001")->json()["type"], "INVALID_REQUEST");  // unquoted
  EXPECT_EQ(cancel("\"short\"")->json()["type"], "INVALID_REQUEST");
  EXPECT_EQ(cancel("\"" + std::string(257, 'k') + "\"")->json()["type"], "INVALID_REQUEST");
  auto first = cancel("\"cancel-p3-000000001\"");
  ASSERT_EQ(first->response->status, 200);
  auto repeat = cancel("\"cancel-p3-000000001\"");
  EXPECT_EQ(repeat->response->body, first->response->body);
  const json truth = h.Truth();
  ASSERT_EQ(truth["cancels"].size(), 1u);
  EXPECT_EQ(truth["cancels"][0]["idempotency_key"], "cancel-p3-000000001");
}

TEST(PortOneV2, OutstandingIdempotentRequestIs409) {
  SimOptions options = SimHarness::DefaultOptions();
  options.faults.endpoints["portone_v2.cancel"].latency = {LatencyKind::kFixed, Millis(300)};
  SimHarness h(options);
  ASSERT_EQ(h.Control("POST", "/portone/v2/payments", {{"paymentId", "p-4"}, {"amount", 10000}})
                .response->status,
            201);
  auto headers = V2Auth();
  headers.emplace_back("Idempotency-Key", "\"cancel-p4-0000000001\"");
  const std::string body = json{{"reason", "x"}}.dump();
  auto first = h.Send("POST", "/portone/v2/payments/p-4/cancel", body, headers);
  auto second = h.Send("POST", "/portone/v2/payments/p-4/cancel", body, headers);
  ASSERT_TRUE(second->answered());
  EXPECT_EQ(second->response->status, 409);
  EXPECT_EQ(second->json()["type"], "IDEMPOTENCY_OUTSTANDING_REQUEST");
  h.scheduler().RunAll();
  EXPECT_EQ(first->response->status, 200);
}

TEST(PortOneV2, WebhookBodiesFollowTheDocumentedShape) {
  SimHarness h;
  ASSERT_EQ(h.Control("POST", "/portone/v2/payments", {{"paymentId", "p-5"}, {"amount", 10000}})
                .response->status,
            201);
  h.Send("POST", "/portone/v2/payments/p-5/cancel", json{{"reason", "x"}, {"amount", 100}}.dump(),
         V2Auth());
  h.sim().webhooks().RunDue();
  const auto sent = h.transport().sent();
  ASSERT_EQ(sent.size(), 2u);
  const json paid = json::parse(sent[0].body);
  EXPECT_EQ(paid["type"], "Transaction.Paid");
  EXPECT_EQ(paid["data"]["paymentId"], "p-5");
  EXPECT_TRUE(paid["data"].contains("storeId"));
  EXPECT_TRUE(paid["data"].contains("transactionId"));
  EXPECT_FALSE(paid["data"].contains("cancellationId"));
  const json cancelled = json::parse(sent[1].body);
  EXPECT_EQ(cancelled["type"], "Transaction.PartialCancelled");
  EXPECT_TRUE(cancelled["data"]["cancellationId"].is_string());
  EXPECT_TRUE(cancelled["timestamp"].is_string());
  EXPECT_NE(sent[0].headers.Get("webhook-id"), sent[1].headers.Get("webhook-id"));
}

}  // namespace
}  // namespace paypipe::sim
