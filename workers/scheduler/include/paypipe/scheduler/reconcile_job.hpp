#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "paypipe/scheduler/job.hpp"
#include "paypipe/scheduler/reconcile_schedule.hpp"
#include "paypipe/scheduler/scheduler_metrics.hpp"

namespace paypipe::scheduler {

inline constexpr std::string_view kReconcileJobName = "reconcile-payments";

struct ReconcileOptions {
  ReconcileSchedule schedule;
  std::chrono::milliseconds interval{15'000};
  std::size_t batch_size = 64;  // payments per transaction
};

// `reconcile-payments`: re-verifies payments stuck in IN_PROGRESS or UNKNOWN, the requirement
// that unknown outcomes are resolved by looking the payment up, never by guessing.
//
// A payment whose last change (payments.updated_at) is older than the schedule's stuck_after is
// stuck from that moment on; it gets a payment_reconciliations row and is looked up at each step
// of the schedule (payment.verify to the confirm stage, message id ReconcileVerifyMessageId of
// the payment row and the attempt, reason "reconcile:<status>"). When every step has passed and
// it is still stuck stuck_after after the last look-up: one critical alert.slack (dedupe key
// "reconcile-exhausted:<payments.id>", message id derived from it) naming the payment, the order,
// the provider, the status and what an operator should do; then the payment is left alone. A
// payment that has left IN_PROGRESS and UNKNOWN is dropped from the schedule when next due.
//
// Each batch (at most batch_size new rows and batch_size due rows, FOR UPDATE SKIP LOCKED) is
// one JobContext::Transact: the step, the attempt count and the outbox rows commit together.
class ReconcilePaymentsJob final : public Job {
 public:
  ReconcilePaymentsJob(ReconcileOptions options, SchedulerMetrics& metrics);

  [[nodiscard]] std::string_view Name() const override { return kReconcileJobName; }
  [[nodiscard]] std::chrono::milliseconds Interval() const override { return options_.interval; }
  [[nodiscard]] domain::Status Run(JobContext& context) override;

 private:
  const ReconcileOptions options_;
  infra::metrics::Counter& looked_up_;
  infra::metrics::Counter& alerted_;
  infra::metrics::Counter& resolved_;
};

}  // namespace paypipe::scheduler
