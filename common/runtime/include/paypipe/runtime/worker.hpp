#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "paypipe/infra/amqp/url.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/db/mysql_url.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/runtime/consume_loop.hpp"
#include "paypipe/runtime/failure_policy.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/runtime/outbox_relay.hpp"
#include "paypipe/runtime/stage.hpp"
#include "paypipe/runtime/stage_stats.hpp"

namespace paypipe::runtime {

// A stage as the worker runs it: the logic, its failure policy and the queue it consumes.
struct StageBinding {
  const Stage* stage = nullptr;
  FailurePolicy policy;
  std::string queue;  // paypipe.<stage>
};

// The failure policy a stage's topology entry implies: one retry tier per wait queue (named by
// its 1-based index, which is how the topology names the routing keys), each used once, then
// the dead-letter queue.
[[nodiscard]] FailurePolicy PolicyFromTiers(const std::vector<std::chrono::seconds>& tiers);

struct WorkerOptions {
  infra::amqp::AmqpUrl amqp_url;
  infra::db::MysqlUrl mysql_url;
  std::size_t concurrency = 4;  // consume threads per stage, each with its own connections
  std::uint16_t prefetch = 128;
  std::chrono::seconds heartbeat{30};
  LoopOptions loop;
  bool run_relay = true;
  RelayOptions relay;
  // How often the database is probed for readiness (its own connection, `SELECT 1`).
  std::chrono::milliseconds health_interval{2'000};
};

// What /readyz reports: the broker counts as reachable when every consume thread's consumer
// connection is up; the database when the last probe succeeded.
struct Readiness {
  bool started = false;
  bool stopping = false;
  bool broker = false;
  bool database = false;
  [[nodiscard]] bool ready() const { return started && !stopping && broker && database; }
};

// Runs the consume threads of one or more stages plus one outbox relay thread in this process.
//
// Every thread owns its consumer, publisher and database connections (none is shared), and
// rebuilds them after they break. Stop() asks every thread to finish the batch in hand and waits
// up to a grace period; deliveries left unacked when the process ends are redelivered by the
// broker and recognised by the inbox.
//
// Thread safety: Start/Stop from one controlling thread; the stats may be read from any thread.
class Worker {
 public:
  Worker(std::vector<StageBinding> stages, WorkerOptions options, FaultPoints& faults,
         const infra::clock::Clock& clock, const infra::log::Logger& logger);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Start();
  // Requests a stop and waits until every thread has ended or `grace` has passed; returns
  // whether all threads ended. Threads still running after a failed Stop keep references to
  // this object: the caller must then end the process instead of destroying it.
  [[nodiscard]] bool Stop(std::chrono::milliseconds grace);

  // Counters of a stage given at construction; nullptr for another name.
  [[nodiscard]] const StageStats* Stats(std::string_view stage) const;
  [[nodiscard]] const RelayStats& relay_stats() const { return relay_stats_; }
  // True once every consume thread has connected to the broker at least once.
  [[nodiscard]] bool Started() const;
  [[nodiscard]] bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  [[nodiscard]] Readiness CheckReadiness() const;
  [[nodiscard]] const std::vector<StageBinding>& stages() const { return stages_; }

 private:
  struct StageState {
    StageBinding binding;
    StageStats stats;
  };

  void ConsumeThread(StageState& state, std::size_t index);
  void RelayThread();
  void HealthThread();
  void ThreadEnded();

  std::vector<StageBinding> stages_;
  WorkerOptions options_;
  FaultPoints& faults_;
  const infra::clock::Clock& clock_;
  infra::log::Logger logger_;
  std::deque<StageState> states_;  // deque: addresses stay valid for the threads
  RelayStats relay_stats_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connected_threads_{0};
  std::atomic<std::size_t> disconnected_threads_{0};  // consume threads whose broker link is down
  std::atomic<bool> database_reachable_{false};
  std::size_t consume_threads_ = 0;

  std::mutex mutex_;
  std::condition_variable ended_;
  std::size_t running_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace paypipe::runtime
