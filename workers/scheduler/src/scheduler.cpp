#include "paypipe/scheduler/scheduler.hpp"

#include <utility>

#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/runtime/amqp_ports.hpp"
#include "paypipe/runtime/db_store.hpp"
#include "paypipe/scheduler/lease.hpp"

namespace paypipe::scheduler {

namespace {

namespace log = infra::log;

std::int64_t Millis(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// One job on its thread: its connections, whether it holds the lease, and its runs.
class JobRunner {
 public:
  JobRunner(Job& job, const SchedulerOptions& options, runtime::FaultPoints& faults,
            JobMetrics metrics, const infra::clock::Clock& clock, log::Logger logger,
            const std::atomic<bool>& stop)
      : job_(job),
        options_(options),
        faults_(faults),
        metrics_(metrics),
        clock_(clock),
        logger_(std::move(logger)),
        stop_(stop),
        amqp_publisher_(options.amqp_url, PublisherOptionsFor(options, job.Name())),
        publisher_(amqp_publisher_) {}

  // Takes or renews the lease; returns whether the database answered.
  bool Renew() {
    runtime::MessageStore* store = Store();
    if (store == nullptr) {
      SetHeld(false, {});
      return false;
    }
    auto lease = AcquireLease(store->Outside().Db(), job_.Name(), options_.holder, options_.lease);
    if (!lease.ok()) {
      logger_.Warn("cannot take or renew the job's lease",
                   {{log::key::kError, lease.error().ToString()}});
      DropBrokenStore();
      SetHeld(false, {});
      return false;
    }
    SetHeld(lease->held, lease->holder);
    return true;
  }

  // Keeps the broker connection alive, connecting when it is down; returns whether it is up.
  bool CheckBroker() {
    if (amqp_publisher_.connected()) return amqp_publisher_.KeepAlive().ok();
    return amqp_publisher_.Connect(std::chrono::seconds(1)).ok();
  }

  void Run() {
    runtime::MessageStore* store = Store();
    if (store == nullptr) return;
    const auto started = clock_.Monotonic();
    JobContext context({std::string(job_.Name()), options_.holder, options_.lease}, *store,
                       publisher_, faults_, metrics_, logger_, clock_, stop_);
    domain::Status status = domain::Ok();
    if (auto leftovers = context.PublishLeftovers(); !leftovers.ok()) status = leftovers.error();
    if (status.ok()) status = job_.Run(context);
    const auto elapsed = clock_.Monotonic() - started;
    metrics_.run_seconds.ObserveDuration(elapsed);
    if (status.ok()) {
      metrics_.runs_ok.Increment();
      logger_.Debug("job run finished", {{log::key::kDurationMs, Millis(elapsed)}});
      return;
    }
    if (status.error().code == kLeaseLost) {
      metrics_.runs_lease_lost.Increment();
      logger_.Warn("job run stopped: the lease passed to another replica");
      SetHeld(false, {});
    } else {
      metrics_.runs_failed.Increment();
      logger_.Warn("job run failed; the next run starts over",
                   {{log::key::kError, status.error().ToString()},
                    {log::key::kDurationMs, Millis(elapsed)}});
    }
    DropBrokenStore();
  }

  // Gives the lease up so that another replica need not wait for it to expire.
  void Release() {
    if (held_ && store_) {
      if (auto released = ReleaseLease(store_->Outside().Db(), job_.Name(), options_.holder);
          released.ok()) {
        logger_.Info("lease released");
      } else {
        logger_.Warn("cannot release the lease; it expires by itself",
                     {{log::key::kError, released.error().ToString()}});
      }
    }
    held_ = false;
    metrics_.lease_held.Set(0);
  }

  [[nodiscard]] bool held() const { return held_; }

 private:
  static infra::amqp::PublisherOptions PublisherOptionsFor(const SchedulerOptions& options,
                                                           std::string_view job) {
    infra::amqp::PublisherOptions publisher;
    publisher.connection.heartbeat = options.heartbeat;
    publisher.connection.connection_name = "paypipe scheduler " + std::string(job);
    return publisher;
  }

  runtime::MessageStore* Store() {
    if (store_) return store_.get();
    infra::db::ConnectOptions connect;
    connect.connect_timeout = std::chrono::seconds(5);
    auto connection = infra::db::Connection::Open(options_.mysql_url, connect);
    if (!connection.ok()) {
      logger_.Warn("cannot connect to the database",
                   {{log::key::kError, connection.error().ToString()}});
      return nullptr;
    }
    store_ = std::make_unique<runtime::DbMessageStore>(std::move(connection).value());
    return store_.get();
  }

  void DropBrokenStore() {
    if (store_ && store_->Outside().Db().IsBroken()) store_.reset();
  }

  void SetHeld(bool held, const std::string& holder) {
    if (held != held_) {
      if (held) {
        logger_.Info("lease acquired: running the job");
      } else {
        logger_.Info("lease not held: standing by", {{"lease_holder", holder}});
      }
    } else if (!held && holder != last_other_holder_ && !holder.empty()) {
      logger_.Info("lease held by another replica: standing by", {{"lease_holder", holder}});
    }
    if (!held) last_other_holder_ = holder;
    held_ = held;
    metrics_.lease_held.Set(held ? 1 : 0);
  }

  Job& job_;
  const SchedulerOptions& options_;
  runtime::FaultPoints& faults_;
  JobMetrics metrics_;
  const infra::clock::Clock& clock_;
  log::Logger logger_;
  const std::atomic<bool>& stop_;
  infra::amqp::Publisher amqp_publisher_;
  runtime::AmqpPublisher publisher_;
  std::unique_ptr<runtime::MessageStore> store_;
  bool held_ = false;
  std::string last_other_holder_;
};

}  // namespace

Scheduler::Scheduler(std::vector<std::unique_ptr<Job>> jobs, SchedulerOptions options,
                     runtime::FaultPoints& faults, SchedulerMetrics& metrics,
                     const infra::clock::Clock& clock, const infra::log::Logger& logger)
    : options_(std::move(options)),
      faults_(faults),
      metrics_(metrics),
      clock_(clock),
      logger_(logger.With({{"holder", options_.holder}})) {
  for (auto& job : jobs) states_.emplace_back().job = std::move(job);
}

Scheduler::~Scheduler() {
  stop_.store(true);
  for (JobState& state : states_) {
    if (state.thread.joinable()) state.thread.join();
  }
}

void Scheduler::Start() {
  // Connector/C++ must be initialised before threads open connections concurrently.
  infra::db::InitDriver();
  for (JobState& state : states_) state.thread = std::thread([this, &state] { JobThread(state); });
  started_.store(true);
}

bool Scheduler::Stop(std::chrono::milliseconds grace) {
  stop_.store(true);
  const auto deadline = clock_.Monotonic() + grace;
  for (JobState& state : states_) {
    if (state.ended_future.wait_until(deadline) != std::future_status::ready) return false;
  }
  for (JobState& state : states_) state.thread.join();
  return true;
}

SchedulerReadiness Scheduler::CheckReadiness() const {
  SchedulerReadiness readiness;
  readiness.started = started_.load();
  readiness.stopping = stop_.load();
  readiness.database = !states_.empty();
  readiness.broker = !states_.empty();
  for (const JobState& state : states_) {
    readiness.started = readiness.started && state.checked.load();
    readiness.database = readiness.database && state.database.load();
    readiness.broker = readiness.broker && state.broker.load();
  }
  return readiness;
}

void Scheduler::JobThread(JobState& state) {
  {
    const infra::db::ThreadScope db_thread;
    Job& job = *state.job;
    const std::string name(job.Name());
    JobRunner runner(job, options_, faults_, metrics_.ForJob(name), clock_,
                     logger_.Child(name, {{"job", name}}), stop_);
    auto next_renewal = clock_.Monotonic();
    auto next_run = next_renewal;
    while (!stop_.load(std::memory_order_relaxed)) {
      const auto now = clock_.Monotonic();
      if (now >= next_renewal) {
        next_renewal = now + options_.lease / 3;
        state.database.store(runner.Renew());
        state.broker.store(runner.CheckBroker());
        state.checked.store(true);
      }
      if (runner.held() && now >= next_run) {
        next_run = now + job.Interval();
        runner.Run();
        // A lost lease is taken again (or seen taken) at once rather than a third of a lease
        // later.
        if (!runner.held()) next_renewal = clock_.Monotonic();
      }
      std::this_thread::sleep_for(options_.poll);
    }
    runner.Release();
  }
  state.ended.set_value();
}

}  // namespace paypipe::scheduler
