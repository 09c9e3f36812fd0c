#include <gtest/gtest.h>

#include "paypipe/sim/webhooks.hpp"
#include "sim_fakes.hpp"

namespace paypipe::sim {
namespace {

using nlohmann::json;
using testing::RecordingTransport;

constexpr const char* kSecretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSecretB = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=";

// The dispatcher alone, on a fake clock, delivering through a scripted transport.
struct DispatcherHarness {
  explicit DispatcherHarness(FaultPlan plan = {}) : faults(std::move(plan), 3) {
    WebhookTargets targets;
    targets.toss_url = "http://r.test/toss";
    targets.portone_v1_url = "http://r.test/v1";
    targets.portone_v2_url = "http://r.test/v2";
    targets.portone_v2_secrets = {kSecretA};
    targets.time_scale = 0.001;  // one minute -> 60 ms
    dispatcher =
        std::make_unique<WebhookDispatcher>(clock, ids, faults, ledger, transport, targets);
  }
  void EmitToss(const std::string& subject) {
    dispatcher->Emit(
        {Provider::kToss, "PAYMENT_STATUS_CHANGED", subject,
         json{{"eventType", "PAYMENT_STATUS_CHANGED"}, {"data", {{"paymentKey", subject}}}}
             .dump()});
  }
  json Deliveries() { return ledger.Snapshot()["webhooks"]; }

  infra::clock::FakeClock clock;
  SeededRandom ids{11};
  FaultInjector faults;
  TruthLedger ledger{clock};
  RecordingTransport transport;
  std::unique_ptr<WebhookDispatcher> dispatcher;
};

TEST(StandardWebhooks, SignatureMatchesAnIndependentlyComputedVector) {
  // Computed outside paypipe (Python hmac + base64) for this id, timestamp and body.
  const std::string body = R"({"test": 2432232314})";
  auto one = SignStandardWebhook({kSecretA}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  auto two =
      SignStandardWebhook({kSecretA, kSecretB}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= "
            "v1,H1dghkiigkIfP2+S0A4rDaNYD9ZpZynI1PDk3tSUiqY=");
  EXPECT_FALSE(SignStandardWebhook({"whsec_not base64!"}, "id", 1, body).ok());
}

TEST(WebhookSchedules, FollowEachProvidersDocumentedRetries) {
  SeededRandom random(1);
  const std::int64_t toss_minutes[] = {1, 4, 16, 64, 256, 1024, 4096};
  for (int retry = 1; retry <= 7; ++retry) {
    EXPECT_EQ(RetryDelay(Provider::kToss, retry, random),
              Millis(std::chrono::minutes(toss_minutes[retry - 1])));
  }
  EXPECT_FALSE(RetryDelay(Provider::kToss, 8, random));
  for (int retry = 1; retry <= 5; ++retry) {
    EXPECT_EQ(RetryDelay(Provider::kPortOneV1, retry, random), Millis(std::chrono::minutes(1)));
    const Millis v2 = *RetryDelay(Provider::kPortOneV2, retry, random);
    const Millis base = std::chrono::minutes(1LL << (retry - 1));
    EXPECT_GE(v2, base * 3 / 4);
    EXPECT_LE(v2, base * 5 / 4);
  }
  EXPECT_FALSE(RetryDelay(Provider::kPortOneV1, 6, random));
  EXPECT_FALSE(RetryDelay(Provider::kPortOneV2, 6, random));
}

TEST(WebhookDispatcher, TossRetriesOnTheScaledScheduleUntilAnswered200) {
  DispatcherHarness h;
  h.transport.Script({{500, ""}, {std::nullopt, "timeout"}, {204, ""}, {200, ""}});
  h.EmitToss("pk-1");
  EXPECT_EQ(h.dispatcher->RunDue(), 1u);
  h.clock.Advance(Millis(59));
  EXPECT_EQ(h.dispatcher->RunDue(), 0u);  // the first retry is due after 1 minute x 0.001
  h.clock.Advance(Millis(1));
  EXPECT_EQ(h.dispatcher->RunDue(), 1u);
  h.clock.Advance(Millis(240));           // 4 minutes
  EXPECT_EQ(h.dispatcher->RunDue(), 1u);  // answered 204: Toss wants exactly 200
  h.clock.Advance(Millis(960));           // 16 minutes
  EXPECT_EQ(h.dispatcher->RunDue(), 1u);
  h.clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(h.dispatcher->RunDue(), 0u);

  const auto sent = h.transport.sent();
  ASSERT_EQ(sent.size(), 4u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].body, sent[0].body);
    EXPECT_EQ(sent[i].headers.Get("tosspayments-webhook-transmission-retried-count"),
              std::to_string(i));
    ids.insert(std::string(*sent[i].headers.Get("tosspayments-webhook-transmission-id")));
  }
  EXPECT_EQ(ids.size(), 4u);
  const json delivery = h.Deliveries()[0];
  EXPECT_EQ(delivery["state"], "delivered");
  EXPECT_EQ(delivery["attempts"].size(), 4u);
  EXPECT_EQ(delivery["attempts"][1]["error"], "timeout");
}

TEST(WebhookDispatcher, TossGivesUpAfterSevenRetries) {
  DispatcherHarness h;
  h.transport.Script({{503, ""}});
  h.EmitToss("pk-2");
  for (int i = 0; i < 20; ++i) {
    h.dispatcher->RunDue();
    h.clock.Advance(std::chrono::seconds(60));
  }
  EXPECT_EQ(h.transport.sent().size(), 8u);
  EXPECT_EQ(h.Deliveries()[0]["state"], "failed");
  EXPECT_EQ(h.dispatcher->pending(), 0u);
}

TEST(WebhookDispatcher, StandardWebhooksKeepTheIdAndResignEachAttempt) {
  DispatcherHarness h;
  ASSERT_TRUE(h.dispatcher
                  ->SetTargets([&] {
                    WebhookTargets t = h.dispatcher->targets();
                    t.portone_v2_secrets = {kSecretA, kSecretB};
                    t.time_scale = 1.0;
                    return t;
                  }())
                  .ok());
  h.transport.Script({{502, ""}, {200, ""}});
  h.dispatcher->Emit({Provider::kPortOneV2, "Transaction.Paid", "p-1",
                      R"({"type":"Transaction.Paid","data":{"paymentId":"p-1"}})"});
  h.dispatcher->RunDue();
  h.clock.Advance(std::chrono::minutes(2));
  h.dispatcher->RunDue();
  const auto sent = h.transport.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].headers.Get("webhook-id"), sent[1].headers.Get("webhook-id"));
  EXPECT_NE(sent[0].headers.Get("webhook-timestamp"), sent[1].headers.Get("webhook-timestamp"));
  auto decode = [](const char* secret) {
    return *infra::crypto::Base64Decode(std::string_view(secret).substr(6));
  };
  for (const auto& attempt : sent) {
    const std::string content = std::string(*attempt.headers.Get("webhook-id")) + "." +
                                std::string(*attempt.headers.Get("webhook-timestamp")) + "." +
                                attempt.body;
    const std::string expected =
        "v1," + infra::crypto::Base64Encode(infra::crypto::HmacSha256(decode(kSecretA), content)) +
        " v1," + infra::crypto::Base64Encode(infra::crypto::HmacSha256(decode(kSecretB), content));
    EXPECT_EQ(attempt.headers.Get("webhook-signature"), expected);
  }
}

TEST(WebhookDispatcher, StandardWebhooksStopOn410) {
  DispatcherHarness h;
  h.transport.Script({{410, ""}});
  h.dispatcher->Emit({Provider::kPortOneV2, "Transaction.Paid", "p-1", "{}"});
  h.dispatcher->RunDue();
  h.clock.Advance(std::chrono::hours(2));
  h.dispatcher->RunDue();
  EXPECT_EQ(h.transport.sent().size(), 1u);
  EXPECT_EQ(h.Deliveries()[0]["state"], "gone");
}

TEST(WebhookDispatcher, PortOneV1RetriesFiveTimesAMinuteApartAndCanSendForms) {
  DispatcherHarness h;
  WebhookTargets t = h.dispatcher->targets();
  t.portone_v1_form = true;
  ASSERT_TRUE(h.dispatcher->SetTargets(t).ok());
  h.transport.Script({{500, ""}});
  h.dispatcher->Emit({Provider::kPortOneV1, "paid", "imp_1",
                      R"({"imp_uid":"imp_1","merchant_uid":"m 1","status":"paid"})"});
  for (int i = 0; i < 10; ++i) {
    h.dispatcher->RunDue();
    h.clock.Advance(Millis(60));
  }
  const auto sent = h.transport.sent();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(sent[0].headers.Get("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(sent[0].body, "imp_uid=imp_1&merchant_uid=m%201&status=paid");
}

TEST(WebhookDispatcher, DuplicateFaultDeliversTheSameEventTwice) {
  FaultPlan plan;
  plan.webhooks.duplicate = 1.0;
  DispatcherHarness h(plan);
  h.dispatcher->Emit({Provider::kPortOneV2, "Transaction.Paid", "p-1", "{}"});
  h.dispatcher->RunDue();
  const auto sent = h.transport.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].headers.Get("webhook-id"), sent[1].headers.Get("webhook-id"));
  const json deliveries = h.Deliveries();
  EXPECT_EQ(deliveries[1]["duplicate"], true);
  EXPECT_EQ(deliveries[0]["event_id"], deliveries[1]["event_id"]);
}

TEST(WebhookDispatcher, OutOfOrderFaultLetsTheNextEventOvertake) {
  FaultPlan plan;
  plan.webhooks.out_of_order = 1.0;
  DispatcherHarness h(plan);
  h.EmitToss("first");
  h.faults.SetWebhooks(WebhookFaults{});
  h.EmitToss("second");
  h.dispatcher->RunDue();
  h.clock.Advance(Millis(1));
  h.dispatcher->RunDue();
  const auto sent = h.transport.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(json::parse(sent[0].body)["data"]["paymentKey"], "second");
  EXPECT_EQ(json::parse(sent[1].body)["data"]["paymentKey"], "first");
}

TEST(WebhookDispatcher, HeldEventIsReleasedAfterTheMaximumHold) {
  FaultPlan plan;
  plan.webhooks.out_of_order = 1.0;
  plan.webhooks.reorder_max_hold = Millis(2000);
  DispatcherHarness h(plan);
  h.EmitToss("alone");
  EXPECT_EQ(h.dispatcher->RunDue(), 0u);
  h.clock.Advance(Millis(2000));
  EXPECT_EQ(h.dispatcher->RunDue(), 1u);
}

TEST(WebhookDispatcher, DropDelayAndMissingTargetAreRecorded) {
  FaultPlan plan;
  plan.webhooks.drop = 1.0;
  DispatcherHarness dropped(plan);
  dropped.EmitToss("lost");
  EXPECT_EQ(dropped.dispatcher->RunDue(), 0u);
  EXPECT_EQ(dropped.Deliveries()[0]["state"], "dropped");

  FaultPlan slow;
  slow.webhooks.delay = {LatencyKind::kFixed, Millis(500)};
  DispatcherHarness delayed(slow);
  delayed.EmitToss("late");
  EXPECT_EQ(delayed.dispatcher->RunDue(), 0u);
  delayed.clock.Advance(Millis(500));
  EXPECT_EQ(delayed.dispatcher->RunDue(), 1u);

  DispatcherHarness nowhere;
  WebhookTargets t = nowhere.dispatcher->targets();
  t.toss_url.clear();
  ASSERT_TRUE(nowhere.dispatcher->SetTargets(t).ok());
  nowhere.EmitToss("x");
  EXPECT_EQ(nowhere.Deliveries()[0]["state"], "unrouted");
}

}  // namespace
}  // namespace paypipe::sim
