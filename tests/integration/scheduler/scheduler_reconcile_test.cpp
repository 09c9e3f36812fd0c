// `paypipe scheduler` reconciling stuck payments against the real broker and database: a look-up
// at each step of the schedule and never before, one alert when the schedule runs out, nothing
// for payments that are not (or no longer) stuck, and nothing lost when the process dies between
// commit and publish.
#include <signal.h>

#include "paypipe/messages/alert_slack.hpp"
#include "paypipe/messages/origin.hpp"
#include "scheduler_fixture.hpp"

namespace paypipe::scheduler::test {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

TEST_F(SchedulerTest, StuckPaymentIsLookedUpAtEachStepThenAlertedOnce) {
  const Payment stuck = AddPayment("stuck-0001", "UNKNOWN");
  // Long unchanged but DONE: never stuck, whatever its age.
  const Payment done = AddPayment("done-00001", "DONE");
  Exec("UPDATE payments SET updated_at = NOW(6) - INTERVAL 1 HOUR WHERE id = ?", {done.id});
  auto scheduler = StartScheduler();
  const int port = MetricsPort(*scheduler);

  const auto verifies = Drain(kConfirmQueue, kSteps.size(), 30s);
  ASSERT_EQ(verifies.size(), kSteps.size()) << scheduler->Err();
  for (std::size_t i = 0; i < verifies.size(); ++i) {
    const auto attempt = static_cast<std::int64_t>(i + 1);
    ExpectLookUp(verifies[i], stuck, attempt, "UNKNOWN");
    // Written once its step had come, and before the next one: at its step.
    const std::int64_t written = WrittenAfterStuckMs(stuck, verifies[i].properties.message_id);
    EXPECT_GE(written, duration_cast<milliseconds>(kSteps[i]).count()) << attempt;
    if (i + 1 < kSteps.size()) {
      EXPECT_LT(written, duration_cast<milliseconds>(kSteps[i + 1]).count()) << attempt;
    }
  }
  // The schedule counts from the last change plus PAYPIPE_RECONCILE_STUCK_AFTER.
  EXPECT_EQ(Scalar("SELECT TIMESTAMPDIFF(MICROSECOND, p.updated_at, r.stuck_since) FROM payments "
                   "p JOIN payment_reconciliations r ON r.payment_id = p.id WHERE p.id = ?",
                   {stuck.id}),
            duration_cast<std::chrono::microseconds>(kStuckAfter).count());

  const auto alerts = Drain(kNotifySlackQueue, 1, 15s);
  ASSERT_EQ(alerts.size(), 1u) << scheduler->Err();
  const std::string dedupe_key = "reconcile-exhausted:" + std::to_string(stuck.id);
  EXPECT_EQ(alerts[0].properties.type, "alert.slack");
  EXPECT_EQ(alerts[0].routing_key, "notify-slack");
  EXPECT_EQ(alerts[0].properties.message_id,
            messages::OriginMessageId(messages::kAlertSlackType, dedupe_key));
  EXPECT_EQ(alerts[0].properties.correlation_id, stuck.order_id);
  const auto alert = messages::ParseSlackAlert(json::parse(alerts[0].body));
  ASSERT_TRUE(alert.ok()) << alert.error().ToString();
  EXPECT_EQ(alert->severity, messages::AlertSeverity::kCritical);
  EXPECT_EQ(alert->dedupe_key, dedupe_key);
  EXPECT_EQ(alert->fields.at("paymentKey"), stuck.payment_key);
  EXPECT_EQ(alert->fields.at("orderId"), stuck.order_id);
  EXPECT_EQ(alert->fields.at("provider"), "toss");
  EXPECT_EQ(alert->fields.at("status"), "UNKNOWN");
  EXPECT_EQ(alert->fields.at("lookUps"), 3);
  EXPECT_NE(alert->text.find("What to do"), std::string::npos) << alert->text;
  // Raised stuck_after after the last look-up, not before.
  const auto last_look_up = messages::ReconcileVerifyMessageId(stuck.id, 3);
  EXPECT_GE(WrittenAfterStuckMs(stuck, alerts[0].properties.message_id) -
                WrittenAfterStuckMs(stuck, last_look_up),
            duration_cast<milliseconds>(kStuckAfter).count());

  // Then the payment is left alone: further runs emit nothing more.
  const std::string runs =
      Series("paypipe_scheduler_job_runs_total", R"(job="reconcile-payments",outcome="ok")");
  const double runs_at_alert = Metric(port, runs);
  ASSERT_TRUE(Eventually([&] { return Metric(port, runs) >= runs_at_alert + 5; }, 15s));
  EXPECT_EQ(Ready(kConfirmQueue), 0u);
  EXPECT_EQ(Ready(kNotifySlackQueue), 0u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM outbox"), 4);
  EXPECT_EQ(UnpublishedOutbox(), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payment_reconciliations WHERE payment_id = ? AND "
                   "attempts = 3 AND alerted_at IS NOT NULL AND next_due_at IS NULL",
                   {stuck.id}),
            1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payment_reconciliations WHERE payment_id = ?", {done.id}),
            0);
  EXPECT_EQ(Metric(port, Series("paypipe_reconcile_payments_total", R"(outcome="look_up")")), 3);
  EXPECT_EQ(Metric(port, Series("paypipe_reconcile_payments_total", R"(outcome="alert")")), 1);
  EXPECT_EQ(Metric(port, Series("paypipe_scheduler_lease_held", R"(job="reconcile-payments")")), 1);

  scheduler->Signal(SIGTERM);
  EXPECT_EQ(scheduler->Wait(15s), 0) << scheduler->Err();
}

TEST_F(SchedulerTest, PaymentThatLeavesInProgressIsDroppedFromTheSchedule) {
  const Payment payment = AddPayment("moves-0001", "IN_PROGRESS");
  auto scheduler = StartScheduler();

  const auto first = Drain(kConfirmQueue, 1, 20s);
  ASSERT_EQ(first.size(), 1u) << scheduler->Err();
  ExpectLookUp(first[0], payment, 1, "IN_PROGRESS");

  // The confirm stage learns the payment is DONE before the next step.
  Exec("UPDATE payments SET status = 'DONE' WHERE id = ?", {payment.id});
  ASSERT_TRUE(Eventually([&] {
    return Scalar(
               "SELECT COUNT(*) FROM payment_reconciliations WHERE payment_id = ? AND "
               "resolved_at IS NOT NULL AND next_due_at IS NULL",
               {payment.id}) == 1;
  })) << scheduler->Err();
  EXPECT_EQ(
      Scalar("SELECT attempts FROM payment_reconciliations WHERE payment_id = ?", {payment.id}), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM outbox"), 1);
  EXPECT_EQ(Ready(kConfirmQueue), 0u);
  EXPECT_EQ(Ready(kNotifySlackQueue), 0u);

  scheduler->Signal(SIGTERM);
  EXPECT_EQ(scheduler->Wait(15s), 0) << scheduler->Err();
}

TEST_F(SchedulerTest, DeathBetweenCommitAndPublishStillPublishesAfterRestart) {
  const Payment payment = AddPayment("crash-0001", "UNKNOWN");
  // Dies like kill -9 (exit 137, nothing flushed) right after committing the first look-up.
  auto doomed = StartScheduler(
      {"PAYPIPE_FAULT_POINT=after_commit_before_publish:1", "PAYPIPE_RECONCILE_SCHEDULE=2s,1h"});
  ASSERT_EQ(doomed->Wait(20s), 137) << doomed->Err();

  const std::string id = messages::ReconcileVerifyMessageId(payment.id, 1);
  EXPECT_EQ(
      Scalar("SELECT COUNT(*) FROM outbox WHERE message_id = ? AND published_at IS NULL", {id}), 1);
  EXPECT_EQ(
      Scalar("SELECT attempts FROM payment_reconciliations WHERE payment_id = ?", {payment.id}), 1);
  EXPECT_EQ(Ready(kConfirmQueue), 0u) << "nothing was published before the crash";

  // The dead process's lease expires (3 s); the next scheduler publishes what it left.
  auto successor = StartScheduler({"PAYPIPE_RECONCILE_SCHEDULE=2s,1h"});
  const auto delivered = Drain(kConfirmQueue, 1, 20s);
  ASSERT_EQ(delivered.size(), 1u) << successor->Err();
  ExpectLookUp(delivered[0], payment, 1, "UNKNOWN");
  ASSERT_TRUE(Eventually([&] { return UnpublishedOutbox() == 0; })) << successor->Err();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM outbox"), 1) << "the rerun emitted nothing new";
  EXPECT_EQ(Ready(kConfirmQueue), 0u);

  successor->Signal(SIGTERM);
  EXPECT_EQ(successor->Wait(15s), 0) << successor->Err();
}

}  // namespace
}  // namespace paypipe::scheduler::test
