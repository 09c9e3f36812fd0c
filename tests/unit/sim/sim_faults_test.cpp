#include <gtest/gtest.h>

#include <cmath>

#include "paypipe/sim/faults.hpp"
#include "sim_fakes.hpp"

namespace paypipe::sim {
namespace {

using nlohmann::json;

FaultPlan Plan(const json& j) {
  auto plan = FaultPlan::FromJson(j);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
  return plan.ok() ? *plan : FaultPlan{};
}

// Within `sigmas` standard deviations of a binomial(n, p) mean.
void ExpectBinomial(int hits, int n, double p, double sigmas) {
  const double mean = n * p;
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_LE(std::abs(hits - mean), sigmas * sd) << hits << " of " << n << " at p=" << p;
}

TEST(FaultPlan, ParsesEndpointsAndWebhooksAndRoundTrips) {
  const json j = {{"endpoints",
                   {{"toss.confirm",
                     {{"latency", {{"kind", "uniform"}, {"min_ms", 10}, {"max_ms", 20}}},
                      {"faults",
                       {{{"error", "PROVIDER_ERROR"}, {"probability", 0.2}},
                        {{"timeout", "after_apply"}, {"probability", 0.1}},
                        {{"error", "UNKNOWN_PAYMENT_ERROR"}, {"count", 2}, {"after_apply", true}}}},
                      {"hold_ms", 5000}}}}},
                  {"webhooks", {{"duplicate", 0.5}, {"out_of_order", 0.25}}}};
  FaultPlan plan = Plan(j);
  ASSERT_EQ(plan.endpoints.size(), 1u);
  const EndpointFaults& f = plan.endpoints.at("toss.confirm");
  EXPECT_EQ(f.latency.kind, LatencyKind::kUniform);
  ASSERT_EQ(f.rules.size(), 3u);
  EXPECT_EQ(f.rules[1].kind, FaultKind::kTimeoutAfterApply);
  EXPECT_EQ(f.rules[2].count, 2);
  EXPECT_TRUE(f.rules[2].after_apply);
  EXPECT_EQ(f.hold, Millis(5000));
  EXPECT_DOUBLE_EQ(plan.webhooks.duplicate, 0.5);
  FaultPlan again = Plan(plan.ToJson());
  EXPECT_EQ(again.ToJson(), plan.ToJson());
}

TEST(FaultPlan, RefusesWhatCannotBeHonoured) {
  const json bad[] = {
      {{"endpoints", {{"toss.nothing", json::object()}}}},
      {{"endpoints", {{"toss.confirm", {{"faults", {{{"error", "NOT_A_TOSS_CODE"}}}}}}}}},
      {{"endpoints",
        {{"toss.confirm",
          {{"faults",
            {{{"error", "PROVIDER_ERROR"}, {"probability", 0.7}},
             {{"error", "COMMON_ERROR"}, {"probability", 0.4}}}}}}}}},
      {{"endpoints",
        {{"toss.cancel", {{"faults", {{{"error", "PROVIDER_ERROR"}, {"probability", 1.5}}}}}}}}},
      {{"endpoints", {{"toss.cancel", {{"latency", {{"kind", "gaussian"}}}}}}}},
      {{"endpoints", {{"slack.post", {{"faults", {{{"timeout", "sometimes"}}}}}}}}},
  };
  for (const json& j : bad) EXPECT_FALSE(FaultPlan::FromJson(j).ok()) << j;
  // An undocumented code is fine with an explicit status.
  EXPECT_TRUE(FaultPlan::FromJson(
                  {{"endpoints",
                    {{"toss.confirm", {{"faults", {{{"error", "NEW_CODE"}, {"status", 502}}}}}}}}})
                  .ok());
}

TEST(FaultInjector, CountedRulesFireExactlyThatManyTimes) {
  FaultInjector injector(
      Plan({{"endpoints",
             {{"toss.cancel", {{"faults", {{{"error", "PROVIDER_ERROR"}, {"count", 3}}}}}}}}}),
      1);
  int hits = 0;
  for (int i = 0; i < 10; ++i) hits += injector.Decide("toss.cancel").fault.has_value();
  EXPECT_EQ(hits, 3);
  EXPECT_FALSE(injector.Decide("toss.confirm").fault.has_value());
}

TEST(FaultInjector, ProbabilityIsHonouredWithinFourSigma) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    FaultInjector injector(Plan({{"endpoints",
                                  {{"toss.confirm",
                                    {{"faults",
                                      {{{"error", "PROVIDER_ERROR"}, {"probability", 0.2}},
                                       {{"timeout", "after_apply"}, {"probability", 0.05}}}}}}}}}),
                           seed);
    int errors = 0;
    int timeouts = 0;
    constexpr int kCalls = 2000;
    for (int i = 0; i < kCalls; ++i) {
      const FaultDecision d = injector.Decide("toss.confirm");
      if (!d.fault) continue;
      if (d.fault->kind == FaultKind::kError) ++errors;
      if (d.fault->kind == FaultKind::kTimeoutAfterApply) ++timeouts;
    }
    ExpectBinomial(errors, kCalls, 0.2, 4);
    ExpectBinomial(timeouts, kCalls, 0.05, 4);
  }
}

TEST(FaultInjector, SameSeedGivesTheSameDecisionsAndResetRewinds) {
  const FaultPlan plan =
      Plan({{"endpoints",
             {{"*",
               {{"latency", {{"kind", "exponential"}, {"mean_ms", 20}}},
                {"faults", {{{"timeout", "before_apply"}, {"probability", 0.3}}}}}}}}});
  FaultInjector a(plan, 99);
  FaultInjector b(plan, 99);
  std::vector<std::pair<bool, Millis>> first;
  for (int i = 0; i < 200; ++i) {
    const FaultDecision x = a.Decide("portone_v2.cancel");
    const FaultDecision y = b.Decide("portone_v2.cancel");
    EXPECT_EQ(x.fault.has_value(), y.fault.has_value());
    EXPECT_EQ(x.latency, y.latency);
    first.emplace_back(x.fault.has_value(), x.latency);
  }
  a.Reset();
  for (int i = 0; i < 200; ++i) {
    const FaultDecision x = a.Decide("portone_v2.cancel");
    EXPECT_EQ(first[static_cast<std::size_t>(i)], std::make_pair(x.fault.has_value(), x.latency));
  }
}

TEST(FaultInjector, MostSpecificKeyWins) {
  FaultInjector injector(Plan({{"endpoints",
                                {{"*", {{"latency", {{"kind", "fixed"}, {"ms", 1}}}}},
                                 {"toss.*", {{"latency", {{"kind", "fixed"}, {"ms", 2}}}}},
                                 {"toss.cancel", {{"latency", {{"kind", "fixed"}, {"ms", 3}}}}}}}}),
                         1);
  EXPECT_EQ(injector.Decide("toss.cancel").latency, Millis(3));
  EXPECT_EQ(injector.Decide("toss.confirm").latency, Millis(2));
  EXPECT_EQ(injector.Decide("slack.post").latency, Millis(1));
}

TEST(LatencySpec, UniformAndExponentialStayInBounds) {
  SeededRandom random(5);
  const LatencySpec uniform{LatencyKind::kUniform, Millis(0), Millis(10), Millis(20), Millis(0)};
  const LatencySpec exponential{LatencyKind::kExponential, Millis(0), Millis(0), Millis(100),
                                Millis(10)};
  std::int64_t sum = 0;
  for (int i = 0; i < 5000; ++i) {
    const Millis u = uniform.Draw(random);
    EXPECT_GE(u, Millis(10));
    EXPECT_LE(u, Millis(20));
    const Millis e = exponential.Draw(random);
    EXPECT_LE(e, Millis(100));
    sum += e.count();
  }
  // Truncated to whole ms the mean of Exp(10) is about 9.5.
  EXPECT_NEAR(static_cast<double>(sum) / 5000, 9.5, 1.0);
}

// Through the simulator: the fault answers carry each provider's documented status and shape.
TEST(SimulatorFaults, InjectedErrorsUseTheDocumentedStatusAndShape) {
  SimOptions options = testing::SimHarness::DefaultOptions();
  options.faults =
      Plan({{"endpoints",
             {{"toss.get_payment",
               {{"faults",
                 {{{"error", "FAILED_INTERNAL_SYSTEM_PROCESSING"}, {"count", 1}},
                  {{"error", "PROVIDER_ERROR"}, {"count", 1}}}}}},
              {"portone_v2.get_payment", {{"faults", {{{"error", "PG_PROVIDER"}, {"count", 1}}}}}},
              {"slack.post",
               {{"faults", {{{"error", "rate_limited"}, {"count", 1}, {"retry_after_s", 7}}}}}}}}});
  testing::SimHarness h(options);
  auto first = h.Toss("GET", "/v1/payments/x");
  EXPECT_EQ(first.response->status, 500);
  EXPECT_EQ(first.json()["code"], "FAILED_INTERNAL_SYSTEM_PROCESSING");
  auto second = h.Toss("GET", "/v1/payments/x");
  EXPECT_EQ(second.response->status, 400);  // PROVIDER_ERROR is a transient 400
  EXPECT_EQ(second.json()["code"], "PROVIDER_ERROR");
  auto v2 = h.Send("GET", "/portone/v2/payments/p1", "",
                   {{"Authorization", std::string("PortOne ") + testing::SimHarness::kV2Secret}});
  EXPECT_EQ(v2->response->status, 502);
  EXPECT_EQ(v2->json()["type"], "PG_PROVIDER");
  EXPECT_TRUE(v2->json().contains("message"));
  auto slack = h.Send("POST", "/slack/services/T/B/C", R"({"text":"hi"})");
  EXPECT_EQ(slack->response->status, 429);
  EXPECT_EQ(slack->response->headers.Get("Retry-After"), "7");
}

TEST(SimulatorFaults, TimeoutAfterApplyAppliesButNeverAnswersInTime) {
  testing::SimHarness h;
  const std::string key = h.Paid("order-000100", 10000);
  ASSERT_EQ(
      h.Control("PUT", "/faults/endpoints/toss.cancel",
                {{"faults", {{{"timeout", "after_apply"}, {"count", 1}}}}, {"hold_ms", 60000}})
          .response->status,
      200);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", testing::TossAuth(testing::SimHarness::kTossKey)},
      {"Idempotency-Key", "cancel-100"}};
  const std::string body = json{{"cancelReason", "r"}, {"cancelAmount", 4000}}.dump();
  auto lost = h.Send("POST", "/toss/v1/payments/" + key + "/cancel", body, headers);
  EXPECT_FALSE(lost->answered());
  // The refund happened: the truth and a lookup both show it.
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + key).json()["balanceAmount"], 6000);
  json truth = h.Truth();
  ASSERT_EQ(truth["cancels"].size(), 1u);
  ASSERT_EQ(truth["faults"].size(), 1u);
  EXPECT_EQ(truth["faults"][0]["kind"], "timeout_after_apply");
  EXPECT_EQ(truth["faults"][0]["applied"], true);
  EXPECT_EQ(truth["faults"][0]["answered"], false);
  // The retry with the same key gets the first (never delivered) answer and changes nothing.
  auto retry = h.Send("POST", "/toss/v1/payments/" + key + "/cancel", body, headers);
  ASSERT_TRUE(retry->answered());
  EXPECT_EQ(retry->json()["balanceAmount"], 6000);
  EXPECT_EQ(h.Truth()["cancels"].size(), 1u);
  // Eventually the held request is given up on, like a proxy would.
  h.scheduler().RunAll();
  ASSERT_TRUE(lost->answered());
  EXPECT_EQ(lost->response->status, 504);
}

TEST(SimulatorFaults, TimeoutBeforeApplyChangesNothing) {
  testing::SimHarness h;
  const std::string key = h.Session("order-000101", 1000);
  h.sim().faults().SetEndpoint(
      "toss.confirm",
      *FaultPlan::EndpointFromJson("toss.confirm",
                                   {{"faults", {{{"timeout", "before_apply"}, {"count", 1}}}}}));
  auto lost =
      h.Send("POST", "/toss/v1/payments/confirm",
             json{{"paymentKey", key}, {"orderId", "order-000101"}, {"amount", 1000}}.dump(),
             {{"Authorization", testing::TossAuth(testing::SimHarness::kTossKey)}});
  EXPECT_FALSE(lost->answered());
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + key).json()["status"], "IN_PROGRESS");
  EXPECT_EQ(h.Truth()["confirms"].size(), 0u);
}

TEST(SimulatorFaults, ErrorAfterApplyTellsTheClientItFailedWhenItDidNot) {
  testing::SimHarness h;
  const std::string key = h.Session("order-000102", 1000);
  h.sim().faults().SetEndpoint(
      "toss.confirm",
      *FaultPlan::EndpointFromJson(
          "toss.confirm",
          {{"faults",
            {{{"error", "UNKNOWN_PAYMENT_ERROR"}, {"count", 1}, {"after_apply", true}}}}}));
  auto reply =
      h.Toss("POST", "/v1/payments/confirm",
             json{{"paymentKey", key}, {"orderId", "order-000102"}, {"amount", 1000}}.dump());
  EXPECT_EQ(reply.response->status, 500);
  EXPECT_EQ(reply.json()["code"], "UNKNOWN_PAYMENT_ERROR");
  EXPECT_EQ(h.Toss("GET", "/v1/payments/" + key).json()["status"], "DONE");
}

TEST(SimulatorFaults, TransientErrorIsNotRememberedSoTheRetrySucceeds) {
  testing::SimHarness h;
  const std::string key = h.Session("order-000103", 1000);
  h.sim().faults().SetEndpoint(
      "toss.confirm",
      *FaultPlan::EndpointFromJson("toss.confirm",
                                   {{"faults", {{{"error", "PROVIDER_ERROR"}, {"count", 1}}}}}));
  const std::string body =
      json{{"paymentKey", key}, {"orderId", "order-000103"}, {"amount", 1000}}.dump();
  const std::vector<std::pair<std::string, std::string>> idem = {{"Idempotency-Key", "c-103"}};
  EXPECT_EQ(h.Toss("POST", "/v1/payments/confirm", body, idem).json()["code"], "PROVIDER_ERROR");
  EXPECT_EQ(h.Toss("POST", "/v1/payments/confirm", body, idem).json()["status"], "DONE");
}

TEST(SimulatorFaults, ControlApiRejectsAnInvalidPlanAndKeepsTheOldOne) {
  testing::SimHarness h;
  ASSERT_EQ(
      h.Control("PUT", "/faults",
                {{"endpoints", {{"toss.cancel", {{"latency", {{"kind", "fixed"}, {"ms", 5}}}}}}}})
          .response->status,
      200);
  auto bad = h.Control("PUT", "/faults",
                       {{"endpoints", {{"toss.cancel", {{"faults", {{{"error", 1}}}}}}}}});
  EXPECT_EQ(bad.response->status, 400);
  EXPECT_EQ(
      h.Control("GET", "/faults", nullptr).json()["endpoints"]["toss.cancel"]["latency"]["ms"], 5);
}

}  // namespace
}  // namespace paypipe::sim

namespace paypipe::sim {
namespace {

TEST(SimulatorProbes, HealthAndMetricsAnswerLikeEveryPaypipeProcess) {
  testing::SimHarness h;
  EXPECT_EQ(h.Send("GET", "/healthz")->response->status, 200);
  EXPECT_EQ(h.Send("GET", "/readyz")->response->status, 200);
  h.Paid("order-000300", 1000);
  auto metrics = h.Send("GET", "/metrics");
  ASSERT_EQ(metrics->response->status, 200);
  const std::string& text = metrics->response->body;
  EXPECT_NE(text.find("paypipe_sim_requests_total{endpoint=\"toss.confirm\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("paypipe_sim_payments{provider=\"toss\",status=\"DONE\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace paypipe::sim
