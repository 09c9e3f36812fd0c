#pragma once

#include <string_view>

#include "paypipe/infra/metrics/registry.hpp"

namespace paypipe::scheduler {

// The series of one job, looked up once when its runner is built.
struct JobMetrics {
  // 1 while this replica holds the job's lease, else 0.
  infra::metrics::Gauge& lease_held;
  infra::metrics::Counter& runs_ok;
  // Runs that ended on an error (database or broker trouble); the next run starts over.
  infra::metrics::Counter& runs_failed;
  // Runs cut short because another replica had taken the lease.
  infra::metrics::Counter& runs_lease_lost;
  infra::metrics::Histogram& run_seconds;
  // Outbox rows the broker did not confirm; they are published again by a later run.
  infra::metrics::Counter& publish_failures;
  // Messages the job committed to the outbox, by type: the family, since types vary by job.
  infra::metrics::CounterFamily& messages;
};

// Every metric of `paypipe scheduler`, registered in one place. Label values come from fixed
// sets: job names, message types, reconciliation outcomes.
struct SchedulerMetrics {
  explicit SchedulerMetrics(infra::metrics::Registry& registry);

  [[nodiscard]] JobMetrics ForJob(std::string_view job);

  infra::metrics::GaugeFamily& lease_held;
  infra::metrics::CounterFamily& runs;
  infra::metrics::HistogramFamily& run_seconds;
  infra::metrics::CounterFamily& publish_failures;
  infra::metrics::CounterFamily& messages;
  // Stuck payments by what the reconciliation did with them: look_up (payment.verify emitted),
  // alert (schedule exhausted, alert.slack emitted), resolved (no longer stuck, dropped).
  infra::metrics::CounterFamily& reconciled;
};

}  // namespace paypipe::scheduler
