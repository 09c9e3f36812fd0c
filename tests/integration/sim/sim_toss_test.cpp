// The Toss API of a running sim, over HTTP: authentication, idempotency, cancels, timeouts.
#include <cmath>
#include <future>

#include "sim_http_support.hpp"

namespace paypipe::sim::test {
namespace {

json Confirm(const std::string& key, const std::string& order, std::int64_t amount) {
  return {{"paymentKey", key}, {"orderId", order}, {"amount", amount}};
}

class SimToss : public SimTest {
 protected:
  void SetUp() override { StartSim(); }
};

TEST_F(SimToss, BasicAuthWithoutColonIs403AndUnknownKeyIs401) {
  auto no_colon =
      client().Must("GET", "/toss/v1/payments/x", "",
                    {{"Authorization", "Basic " + infra::crypto::Base64Encode(kTossKey)}});
  EXPECT_EQ(no_colon.status, 403);
  EXPECT_EQ(json::parse(no_colon.body)["code"], "INCORRECT_BASIC_AUTH_FORMAT");
  auto unknown = client().Must("GET", "/toss/v1/payments/x", "",
                               {{"Authorization", TossAuth("test_sk_unknown")}});
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(json::parse(unknown.body)["code"], "UNAUTHORIZED_KEY");
  auto known = client().Must("GET", "/toss/v1/payments/x", "", {{"Authorization", TossAuth()}});
  EXPECT_EQ(known.status, 404);  // authenticated; the payment does not exist
}

TEST_F(SimToss, IdempotentRepeatReturnsTheFirstResponseAndDoesNotExecuteAgain) {
  const std::string key = client().Paid("order-it-0001", 20000);
  const Headers idem = {{"Idempotency-Key", "cancel-it-0001"}};
  auto first = client().Toss("POST", "/v1/payments/" + key + "/cancel",
                             {{"cancelReason", "partial"}, {"cancelAmount", 5000}}, idem);
  ASSERT_EQ(first.status, 200);
  for (int i = 0; i < 3; ++i) {
    auto repeat = client().Toss("POST", "/v1/payments/" + key + "/cancel",
                                {{"cancelReason", "different body"}, {"cancelAmount", 1}}, idem);
    EXPECT_EQ(repeat.status, 200);
    EXPECT_EQ(repeat.body, first.body);
  }
  const json ledger = client().Ledger();
  ASSERT_EQ(ledger["cancels"].size(), 1u);
  EXPECT_EQ(ledger["cancels"][0]["amount"], 5000);
  EXPECT_EQ(ledger["cancels"][0]["idempotency_key"], "cancel-it-0001");
  EXPECT_EQ(ledger["idempotent_replays"].size(), 3u);
  EXPECT_EQ(ledger["toss"]["payments"][0]["balanceAmount"], 15000);
}

TEST_F(SimToss, RepeatWhileTheFirstIsRunningIs409) {
  const std::string key = client().Session("order-it-0002", 3000);
  client().Control("PUT", "/faults/endpoints/toss.confirm",
                   {{"latency", {{"kind", "fixed"}, {"ms", 1500}}}});
  const Headers headers = {{"Authorization", TossAuth()},
                           {"Idempotency-Key", "confirm-order-it-0002"}};
  const std::string body = Confirm(key, "order-it-0002", 3000).dump();
  auto first = std::async(std::launch::async, [&] {
    SimClient own(base_url());
    return own.Send("POST", "/toss/v1/payments/confirm", body, headers);
  });
  // The request is counted once its key is registered as running.
  ASSERT_TRUE(WaitFor([&] { return client().Ledger()["requests"].value("toss.confirm", 0) == 1; }));
  auto second = client().Must("POST", "/toss/v1/payments/confirm", body, headers);
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(json::parse(second.body)["code"], "IDEMPOTENT_REQUEST_PROCESSING");
  auto first_answer = first.get();
  ASSERT_TRUE(first_answer.ok());
  EXPECT_EQ(first_answer->status, 200);
  auto later = client().Must("POST", "/toss/v1/payments/confirm", body, headers);
  EXPECT_EQ(later.body, first_answer->body);
  const json ledger = client().Ledger();
  EXPECT_EQ(ledger["confirms"].size(), 1u);
  EXPECT_EQ(ledger["idempotency_conflicts"].size(), 1u);
}

TEST_F(SimToss, PartialCancelsAddUpAndOverCancelIsRefused) {
  const std::string key = client().Paid("order-it-0003", 10000);
  auto cancel = [&](const json& body) {
    return client().Toss("POST", "/v1/payments/" + key + "/cancel", body);
  };
  auto a = cancel({{"cancelReason", "a"}, {"cancelAmount", 2500}});
  auto b = cancel({{"cancelReason", "b"}, {"cancelAmount", 2500}});
  EXPECT_EQ(json::parse(b.body)["balanceAmount"], 5000);
  EXPECT_EQ(json::parse(b.body)["status"], "PARTIAL_CANCELED");
  auto over = cancel({{"cancelReason", "c"}, {"cancelAmount", 5001}});
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(json::parse(over.body)["code"], "NOT_CANCELABLE_AMOUNT");
  auto rest = cancel({{"cancelReason", "rest"}});
  const json done = json::parse(rest.body);
  EXPECT_EQ(done["status"], "CANCELED");
  EXPECT_EQ(done["balanceAmount"], 0);
  std::int64_t sum = 0;
  for (const json& c : done["cancels"]) sum += c["cancelAmount"].get<std::int64_t>();
  EXPECT_EQ(sum, 10000);
  auto again = cancel({{"cancelReason", "again"}});
  EXPECT_EQ(json::parse(again.body)["code"], "ALREADY_CANCELED_PAYMENT");
  EXPECT_EQ(client().Ledger()["cancels"].size(), 3u);
}

TEST_F(SimToss, TimeoutAfterApplyLeavesTheCancelAppliedWhileTheClientSawNoAnswer) {
  const std::string key = client().Paid("order-it-0004", 10000);
  client().Control("PUT", "/faults/endpoints/toss.cancel",
                   {{"faults", {{{"timeout", "after_apply"}, {"count", 1}}}}, {"hold_ms", 30000}});
  const Headers headers = {{"Authorization", TossAuth()}, {"Idempotency-Key", "cancel-it-0004"}};
  const std::string body = json{{"cancelReason", "r"}, {"cancelAmount", 4000}}.dump();
  auto lost = client().Send("POST", "/toss/v1/payments/" + key + "/cancel", body, headers, 400ms);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, infra::http_client::kTimeoutAfterSend);

  json ledger = client().Ledger();
  ASSERT_EQ(ledger["cancels"].size(), 1u);
  EXPECT_EQ(ledger["cancels"][0]["amount"], 4000);
  EXPECT_EQ(ledger["toss"]["payments"][0]["balanceAmount"], 6000);
  ASSERT_EQ(ledger["faults"].size(), 1u);
  EXPECT_EQ(ledger["faults"][0]["kind"], "timeout_after_apply");
  EXPECT_EQ(ledger["faults"][0]["applied"], true);
  EXPECT_EQ(ledger["faults"][0]["answered"], false);
  EXPECT_EQ(ledger["faults"][0]["withheld_status"], 200);

  // Looking the payment up, or retrying with the same key, reveals the truth without a refund.
  auto retry = client().Must("POST", "/toss/v1/payments/" + key + "/cancel", body, headers);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(json::parse(retry.body)["balanceAmount"], 6000);
  EXPECT_EQ(client().Ledger()["cancels"].size(), 1u);
}

TEST_F(SimToss, InjectedErrorRateIsHonouredWithinFourSigma) {
  client().Control(
      "PUT", "/faults/endpoints/toss.get_payment",
      {{"faults", {{{"error", "FAILED_INTERNAL_SYSTEM_PROCESSING"}, {"probability", 0.2}}}}});
  const std::string key = client().Paid("order-it-0005", 1000);
  constexpr int kCalls = 2000;
  int errors = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto response = client().Toss("GET", "/v1/payments/" + key);
    if (response.status == 500) {
      ++errors;
      EXPECT_EQ(json::parse(response.body)["code"], "FAILED_INTERNAL_SYSTEM_PROCESSING");
    } else {
      EXPECT_EQ(response.status, 200);
    }
  }
  const double sd = std::sqrt(kCalls * 0.2 * 0.8);
  EXPECT_LE(std::abs(errors - kCalls * 0.2), 4 * sd) << errors;
  EXPECT_EQ(client().Ledger()["faults"].size(), static_cast<std::size_t>(errors));
}

TEST_F(SimToss, SameSeedReproducesTheSameFaults) {
  const json plan = {{"endpoints",
                      {{"toss.get_payment",
                        {{"faults", {{{"error", "PROVIDER_ERROR"}, {"probability", 0.3}}}}}}}}};
  auto run = [&] {
    client().Control("POST", "/reset");
    client().Control("PUT", "/faults", plan);
    const std::string key = client().Paid("order-it-0006", 1000);
    std::string pattern;
    for (int i = 0; i < 200; ++i) {
      pattern.push_back(client().Toss("GET", "/v1/payments/" + key).status == 200 ? '.' : 'x');
    }
    return pattern;
  };
  const std::string first = run();
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_EQ(run(), first);
}

// A client that retries with the same Idempotency-Key until it gets an answer, as paypipe must,
// against a sim that refuses, loses answers and delays: the truth ledger shows exactly one
// confirm per order and every payment DONE.
TEST_F(SimToss, TruthLedgerAfterAFaultedRunHasExactlyOneConfirmPerOrder) {
  client().Control("PUT", "/faults/endpoints/toss.confirm",
                   {{"latency", {{"kind", "uniform"}, {"min_ms", 0}, {"max_ms", 5}}},
                    {"faults",
                     {{{"error", "PROVIDER_ERROR"}, {"probability", 0.2}},
                      {{"error", "FAILED_INTERNAL_SYSTEM_PROCESSING"}, {"probability", 0.1}},
                      {{"timeout", "after_apply"}, {"probability", 0.1}},
                      {{"timeout", "before_apply"}, {"probability", 0.05}}}},
                    {"hold_ms", 2000}});
  constexpr int kOrders = 40;
  int lost_answers = 0;
  for (int i = 0; i < kOrders; ++i) {
    const std::string order = "order-run-" + std::to_string(1000 + i);
    const std::string key = client().Session(order, 1000 + i);
    const Headers headers = {{"Authorization", TossAuth()},
                             {"Idempotency-Key", "confirm-" + order}};
    const std::string body = Confirm(key, order, 1000 + i).dump();
    bool done = false;
    for (int attempt = 0; attempt < 50 && !done; ++attempt) {
      auto response = client().Send("POST", "/toss/v1/payments/confirm", body, headers, 250ms);
      if (!response.ok()) {
        ++lost_answers;
        continue;
      }
      done = response->status == 200;
      if (!done) {
        const std::string code = json::parse(response->body)["code"];
        EXPECT_TRUE(code == "PROVIDER_ERROR" || code == "FAILED_INTERNAL_SYSTEM_PROCESSING" ||
                    code == "IDEMPOTENT_REQUEST_PROCESSING")
            << code;
      }
    }
    EXPECT_TRUE(done) << order;
  }
  EXPECT_GT(lost_answers, 0);
  const json ledger = client().Ledger();
  EXPECT_EQ(ledger["confirms"].size(), static_cast<std::size_t>(kOrders));
  std::set<std::string> orders;
  for (const json& c : ledger["confirms"]) orders.insert(c["order_id"].get<std::string>());
  EXPECT_EQ(orders.size(), static_cast<std::size_t>(kOrders));
  for (const json& p : ledger["toss"]["payments"]) EXPECT_EQ(p["status"], "DONE") << p["orderId"];
  std::size_t applied_but_unanswered = 0;
  for (const json& f : ledger["faults"]) {
    if (f["kind"] == "timeout_after_apply" && f["applied"] == true) ++applied_but_unanswered;
    if (f["kind"] == "timeout_before_apply") {
      EXPECT_EQ(f["applied"], false);
    }
  }
  EXPECT_GT(applied_but_unanswered, 0u);
}

}  // namespace
}  // namespace paypipe::sim::test
