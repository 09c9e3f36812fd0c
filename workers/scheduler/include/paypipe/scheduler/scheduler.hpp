#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/infra/amqp/url.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/db/mysql_url.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/scheduler/job.hpp"
#include "paypipe/scheduler/scheduler_metrics.hpp"

namespace paypipe::scheduler {

struct SchedulerOptions {
  infra::amqp::AmqpUrl amqp_url;
  infra::db::MysqlUrl mysql_url;
  // This replica's name in scheduler_leases: unique per process (host/pid/random).
  std::string holder;
  // How long each taking or renewal of a lease lasts. The runner renews every third of it, so
  // that a live replica keeps its jobs and a dead one loses them after at most this long.
  std::chrono::milliseconds lease{30'000};
  std::chrono::seconds heartbeat{30};
  // Bounds how late a stop request or a due run is noticed.
  std::chrono::milliseconds poll{50};
};

// What /readyz reports: the database counts as reachable when every job's last lease statement
// succeeded, the broker when every job's publisher connection is up.
struct SchedulerReadiness {
  bool started = false;
  bool stopping = false;
  bool database = false;
  bool broker = false;
  [[nodiscard]] bool ready() const { return started && !stopping && database && broker; }
};

// Runs the jobs of `paypipe scheduler`, each on a thread of its own with its own database and
// broker connections (rebuilt after they break). A job's thread takes or renews the job's lease
// every third of the lease time and runs the job every Interval() while it holds the lease; on
// Stop it finishes the unit in hand and gives the lease up, so that another replica takes the
// job over at once instead of after the lease time.
//
// Thread safety: Start/Stop from one controlling thread; CheckReadiness from any thread.
class Scheduler {
 public:
  Scheduler(std::vector<std::unique_ptr<Job>> jobs, SchedulerOptions options,
            runtime::FaultPoints& faults, SchedulerMetrics& metrics,
            const infra::clock::Clock& clock, const infra::log::Logger& logger);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start();
  // Requests a stop and waits until every job's thread has ended or `grace` has passed; returns
  // whether all ended. Threads still running after a failed Stop keep references to this object:
  // the caller must then end the process instead of destroying it.
  [[nodiscard]] bool Stop(std::chrono::milliseconds grace);

  [[nodiscard]] SchedulerReadiness CheckReadiness() const;

 private:
  struct JobState {
    std::unique_ptr<Job> job;
    std::atomic<bool> checked{false};  // a first lease statement and broker check were made
    std::atomic<bool> database{false};
    std::atomic<bool> broker{false};
    std::thread thread;
    std::promise<void> ended;  // set when the thread has released everything it held
    std::future<void> ended_future = ended.get_future();
  };

  void JobThread(JobState& state);

  SchedulerOptions options_;
  runtime::FaultPoints& faults_;
  SchedulerMetrics& metrics_;
  const infra::clock::Clock& clock_;
  infra::log::Logger logger_;
  std::deque<JobState> states_;  // deque: addresses stay valid for the threads
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
};

}  // namespace paypipe::scheduler
