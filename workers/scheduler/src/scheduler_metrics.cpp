#include "paypipe/scheduler/scheduler_metrics.hpp"

namespace paypipe::scheduler {

namespace metrics = infra::metrics;

SchedulerMetrics::SchedulerMetrics(metrics::Registry& registry)
    : lease_held(registry.AddGauge({.name = "paypipe_scheduler_lease_held",
                                    .help = "1 while this replica holds the job's lease.",
                                    .labels = {"job"}})),
      runs(registry.AddCounter({.name = "paypipe_scheduler_job_runs_total",
                                .help = "Runs of a scheduler job, by outcome (ok, failed, "
                                        "lease_lost).",
                                .labels = {"job", "outcome"}})),
      run_seconds(registry.AddHistogram({.name = "paypipe_scheduler_job_run_seconds",
                                         .help = "Duration of a scheduler job's runs.",
                                         .labels = {"job"},
                                         .buckets = metrics::LatencyBuckets()})),
      publish_failures(
          registry.AddCounter({.name = "paypipe_scheduler_publish_failures_total",
                               .help = "Outbox rows of a job the broker did not confirm (a "
                                       "later run publishes them again).",
                               .labels = {"job"}})),
      messages(registry.AddCounter({.name = "paypipe_scheduler_messages_total",
                                    .help = "Messages a job committed to the outbox, by type.",
                                    .labels = {"job", "type"}})),
      reconciled(registry.AddCounter(
          {.name = "paypipe_reconcile_payments_total",
           .help = "Stuck payments handled by the reconciliation, by outcome (look_up, alert, "
                   "resolved).",
           .labels = {"outcome"}})) {}

JobMetrics SchedulerMetrics::ForJob(std::string_view job) {
  return {lease_held.WithLabels({job}),
          runs.WithLabels({job, "ok"}),
          runs.WithLabels({job, "failed"}),
          runs.WithLabels({job, "lease_lost"}),
          run_seconds.WithLabels({job}),
          publish_failures.WithLabels({job}),
          messages};
}

}  // namespace paypipe::scheduler
