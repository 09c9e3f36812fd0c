// Two `paypipe scheduler` replicas against one database: one holds the job's lease, every
// look-up and alert is emitted exactly once, and the other takes over when the holder stops.
#include <signal.h>

#include <set>

#include "scheduler_fixture.hpp"

namespace paypipe::scheduler::test {
namespace {

const std::string kLeaseHeld =
    std::string("paypipe_scheduler_lease_held{job=\"reconcile-payments\"}");

TEST_F(SchedulerTest, TwoReplicasEmitEachLookUpOnceAndOneHoldsTheLease) {
  constexpr int kPayments = 6;
  std::vector<Payment> payments;
  for (int i = 0; i < kPayments; ++i) {
    payments.push_back(
        AddPayment("twice-000" + std::to_string(i), i % 2 == 0 ? "UNKNOWN" : "IN_PROGRESS"));
  }
  // Two steps; batches of two payments, so that a run takes several transactions; a lease long
  // enough that a loaded machine does not pass it back and forth.
  const std::vector<std::string> settings = {"PAYPIPE_RECONCILE_SCHEDULE=2s,4s",
                                             "PAYPIPE_BATCH_SIZE=2", "PAYPIPE_SCHEDULER_LEASE=6s"};
  auto first = StartScheduler(settings);
  auto second = StartScheduler(settings);
  const int first_port = MetricsPort(*first);
  const int second_port = MetricsPort(*second);

  const auto verifies = Drain(kConfirmQueue, kPayments * 2, 30s);
  const auto alerts = Drain(kNotifySlackQueue, kPayments, 20s);
  ASSERT_EQ(verifies.size(), static_cast<std::size_t>(kPayments * 2)) << first->Err();
  ASSERT_EQ(alerts.size(), static_cast<std::size_t>(kPayments)) << second->Err();
  std::set<std::string> expected;
  for (const Payment& payment : payments) {
    expected.insert(messages::ReconcileVerifyMessageId(payment.id, 1));
    expected.insert(messages::ReconcileVerifyMessageId(payment.id, 2));
  }
  std::set<std::string> received;
  for (const auto& delivery : verifies) received.insert(delivery.properties.message_id);
  EXPECT_EQ(received, expected) << "every look-up once, no other";
  std::set<std::string> alerted;
  for (const auto& delivery : alerts) alerted.insert(delivery.properties.message_id);
  EXPECT_EQ(alerted.size(), static_cast<std::size_t>(kPayments));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM outbox"), kPayments * 3);

  // One replica holds the lease and did the work; the other stood by.
  const double first_held = Metric(first_port, kLeaseHeld);
  const double second_held = Metric(second_port, kLeaseHeld);
  EXPECT_EQ(first_held + second_held, 1) << first_held << " + " << second_held;
  const bool first_holds = first_held == 1;
  const std::string ok_runs =
      Series("paypipe_scheduler_job_runs_total", R"(job="reconcile-payments",outcome="ok")");
  EXPECT_EQ(Metric(first_holds ? second_port : first_port, ok_runs), 0);
  const std::string holder = "/" + std::to_string((first_holds ? first : second)->pid()) + "/";
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM scheduler_leases WHERE job = 'reconcile-payments' AND "
                   "LOCATE(?, holder) > 0 AND expires_at > NOW(6)",
                   {holder}),
            1);

  // The holder stops (giving the lease up): the other replica takes the job over and reconciles
  // what becomes stuck next.
  auto& holding = first_holds ? first : second;
  auto& standing_by = first_holds ? second : first;
  const int standby_port = first_holds ? second_port : first_port;
  holding->Signal(SIGTERM);
  ASSERT_EQ(holding->Wait(15s), 0) << holding->Err();
  ASSERT_TRUE(Eventually([&] { return Metric(standby_port, kLeaseHeld) == 1; }, 10s))
      << standing_by->Err();
  const Payment later = AddPayment("later-0001", "UNKNOWN");
  const auto taken_over = Drain(kConfirmQueue, 1, 20s);
  ASSERT_EQ(taken_over.size(), 1u) << standing_by->Err();
  ExpectLookUp(taken_over[0], later, 1, "UNKNOWN");
  EXPECT_EQ(Ready(kConfirmQueue), 0u);

  standing_by->Signal(SIGTERM);
  EXPECT_EQ(standing_by->Wait(15s), 0) << standing_by->Err();
}

}  // namespace
}  // namespace paypipe::scheduler::test
