#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/runtime/envelope.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/runtime/ports.hpp"
#include "paypipe/scheduler/scheduler_metrics.hpp"

namespace paypipe::scheduler {

// outbox.source_consumer of the rows scheduler jobs write; source_message_id is the job's name.
inline constexpr std::string_view kOutboxSource = "scheduler";

// Who runs a job: the lease it holds and for how long each renewal extends it.
struct LeaseIdentity {
  std::string job;
  std::string holder;
  std::chrono::milliseconds duration{30'000};
};

// What one run of a job may use. Built by the scheduler for each run, on the job's thread; not
// thread-safe.
class JobContext {
 public:
  JobContext(LeaseIdentity lease, runtime::MessageStore& store, runtime::Publisher& publisher,
             runtime::FaultPoints& faults, JobMetrics& metrics, const infra::log::Logger& logger,
             const infra::clock::Clock& clock, const std::atomic<bool>& stop);

  // Effects of a unit of work, given its open transaction, and the messages they cause (built
  // with deterministic ids, so that a unit run again cannot emit one of them twice).
  using Work =
      std::function<domain::Result<std::vector<runtime::OutboundMessage>>(infra::db::Transaction&)>;

  // Runs `work` as one unit: in one transaction that first proves and renews this replica's
  // lease on the job (HoldLease), so that its effects are committed by the lease holder or not
  // at all; its messages go to the outbox in the same transaction, are published with confirms
  // after the commit and marked published. A message the broker does not confirm stays in the
  // outbox for PublishLeftovers (or any worker's relay). Deadlocks rerun the unit at once, a few
  // times. Returns how many messages were committed. A failed COMMIT leaves the outcome unknown:
  // the next run finds out from the database.
  [[nodiscard]] domain::Result<std::size_t> Transact(const Work& work);

  // Publishes the job's outbox rows that an earlier run committed but did not get confirmed (the
  // process died between commit and publish, or the broker was away). Called before every run.
  [[nodiscard]] domain::Result<std::size_t> PublishLeftovers();

  // True once the process is stopping: finish the unit in hand and return.
  [[nodiscard]] bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }
  [[nodiscard]] const infra::log::Logger& logger() const { return logger_; }
  // For message timestamps (seconds since the Unix epoch).
  [[nodiscard]] std::int64_t NowSeconds() const;

 private:
  // Publishes with confirms and marks the confirmed rows; returns how many were confirmed.
  std::size_t PublishAndMark(std::span<const runtime::OutboundMessage> messages);

  LeaseIdentity lease_;
  runtime::MessageStore& store_;
  runtime::Publisher& publisher_;
  runtime::FaultPoints& faults_;
  JobMetrics& metrics_;
  infra::log::Logger logger_;
  const infra::clock::Clock& clock_;
  const std::atomic<bool>& stop_;
};

// A periodic job of `paypipe scheduler`. Adding one: implement this interface and add an
// instance to the jobs the scheduler command builds.
//
// The scheduler calls Run every Interval() on one thread of its own, and only while this replica
// holds the job's lease in the database: never two runs at once, in this replica or any other.
// A run works in bounded units through JobContext::Transact (each one renews the lease) and
// returns when nothing is left to do now or a stop is requested. An error ends the run; the next
// run starts over from what the database holds, so a run must keep all its state there.
class Job {
 public:
  virtual ~Job() = default;
  // The lease key, the outbox source and the `job` label of metrics: "reconcile-payments".
  [[nodiscard]] virtual std::string_view Name() const = 0;
  [[nodiscard]] virtual std::chrono::milliseconds Interval() const = 0;
  [[nodiscard]] virtual domain::Status Run(JobContext& context) = 0;
};

}  // namespace paypipe::scheduler
