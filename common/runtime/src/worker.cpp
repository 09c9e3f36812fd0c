#include "paypipe/runtime/worker.hpp"

#include <utility>

#include "paypipe/infra/amqp/consumer.hpp"
#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/runtime/amqp_ports.hpp"
#include "paypipe/runtime/batch_processor.hpp"
#include "paypipe/runtime/db_store.hpp"

namespace paypipe::runtime {

FailurePolicy PolicyFromTiers(const std::vector<std::chrono::seconds>& tiers) {
  FailurePolicy policy;
  policy.tiers.clear();
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    policy.tiers.push_back({std::to_string(i + 1), tiers[i]});
  }
  // Without wait queues a transient failure has nowhere to wait: dead-letter it at once.
  policy.max_attempts = static_cast<int>(tiers.size()) + 1;
  if (policy.tiers.empty()) policy.tiers.push_back({"1", std::chrono::seconds(0)});
  return policy;
}

Worker::Worker(std::vector<StageBinding> stages, WorkerOptions options, FaultPoints& faults,
               const infra::clock::Clock& clock, const infra::log::Logger& logger)
    : stages_(std::move(stages)),
      options_(std::move(options)),
      faults_(faults),
      clock_(clock),
      logger_(logger.Child("worker")) {
  for (const StageBinding& binding : stages_) states_.emplace_back().binding = binding;
}

Worker::~Worker() {
  stop_.store(true);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void Worker::Start() {
  // Connector/C++ must be initialised before threads open connections concurrently.
  infra::db::InitDriver();
  const std::lock_guard lock(mutex_);
  for (StageState& state : states_) {
    for (std::size_t i = 0; i < options_.concurrency; ++i) {
      ++running_;
      ++consume_threads_;
      threads_.emplace_back([this, &state, i] { ConsumeThread(state, i); });
    }
  }
  if (options_.run_relay) {
    ++running_;
    threads_.emplace_back([this] { RelayThread(); });
  }
  ++running_;
  threads_.emplace_back([this] { HealthThread(); });
}

bool Worker::Stop(std::chrono::milliseconds grace) {
  stop_.store(true);
  std::unique_lock lock(mutex_);
  const bool all_ended = ended_.wait_for(lock, grace, [this] { return running_ == 0; });
  lock.unlock();
  if (all_ended) {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }
  return all_ended;
}

const StageStats* Worker::Stats(std::string_view stage) const {
  for (const StageState& state : states_) {
    if (state.binding.stage->Name() == stage) return &state.stats;
  }
  return nullptr;
}

Readiness Worker::CheckReadiness() const {
  Readiness readiness;
  readiness.started = Started();
  readiness.stopping = stopping();
  readiness.broker = readiness.started && disconnected_threads_.load() == 0;
  readiness.database = database_reachable_.load();
  return readiness;
}

bool Worker::Started() const {
  return consume_threads_ > 0 && connected_threads_.load() >= consume_threads_;
}

void Worker::ThreadEnded() {
  const std::lock_guard lock(mutex_);
  --running_;
  ended_.notify_all();
}

namespace {

StoreFactory MakeStoreFactory(const infra::db::MysqlUrl& url, const infra::log::Logger& logger) {
  return [url, &logger]() -> domain::Result<std::unique_ptr<MessageStore>> {
    auto connection = infra::db::Connection::Open(url);
    if (!connection.ok()) {
      logger.Warn("cannot connect to the database", {{"error", connection.error().ToString()}});
      return connection.error();
    }
    return std::unique_ptr<MessageStore>(
        std::make_unique<DbMessageStore>(std::move(connection).value()));
  };
}

infra::amqp::ConnectionOptions ConnectionOptionsFor(const WorkerOptions& options,
                                                    std::string name) {
  infra::amqp::ConnectionOptions connection;
  connection.heartbeat = options.heartbeat;
  connection.connection_name = std::move(name);
  return connection;
}

}  // namespace

void Worker::ConsumeThread(StageState& state, std::size_t index) {
  {
    const infra::db::ThreadScope db_thread;
    const std::string stage_name(state.binding.stage->Name());
    const std::string thread_name = "paypipe worker " + stage_name + "#" + std::to_string(index);

    infra::amqp::ConsumerOptions consumer_options;
    consumer_options.connection = ConnectionOptionsFor(options_, thread_name + " consume");
    consumer_options.queues = {state.binding.queue};
    consumer_options.prefetch = options_.prefetch;
    infra::amqp::Consumer consumer(options_.amqp_url, consumer_options);

    infra::amqp::PublisherOptions publisher_options;
    publisher_options.connection = ConnectionOptionsFor(options_, thread_name + " publish");
    infra::amqp::Publisher amqp_publisher(options_.amqp_url, publisher_options);

    AmqpDeliverySource source(consumer);
    AmqpPublisher publisher(amqp_publisher);
    const infra::log::Logger stage_logger = logger_.Child(stage_name, {{"stage", stage_name}});
    BatchProcessor processor(
        *state.binding.stage, state.binding.policy, state.stats, faults_,
        [this] {
          return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch())
              .count();
        },
        &stage_logger);
    ConsumeLoop loop(processor, source, publisher, MakeStoreFactory(options_.mysql_url, logger_),
                     options_.loop, state.stats);

    bool counted = false;
    bool down = false;
    std::uint64_t reported_failures = 0;
    std::uint64_t reported_reconnects = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      (void)loop.RunOnce(stop_);
      const bool connected = consumer.connected();
      if (!counted && connected) {
        counted = true;
        connected_threads_.fetch_add(1);
      }
      if (counted && connected == down) {
        down = !connected;
        if (down) {
          disconnected_threads_.fetch_add(1);
        } else {
          disconnected_threads_.fetch_sub(1);
        }
      }
      const std::uint64_t reconnects = consumer.reconnects() + amqp_publisher.reconnects();
      if (reconnects != reported_reconnects) {
        state.stats.broker_reconnects.fetch_add(reconnects - reported_reconnects,
                                                std::memory_order_relaxed);
        reported_reconnects = reconnects;
      }
      const std::uint64_t failures = state.stats.unit_failures.load(std::memory_order_relaxed);
      if (failures != reported_failures) {
        reported_failures = failures;
        logger_.Warn("unit of work abandoned on a broken connection; it will be rerun",
                     {{"stage", stage_name}, {"thread", static_cast<std::int64_t>(index)}});
      }
    }
    loop.FlushCarried();
    if (down) disconnected_threads_.fetch_sub(1);
  }
  ThreadEnded();
}

void Worker::HealthThread() {
  {
    const infra::db::ThreadScope db_thread;
    infra::db::ConnectOptions probe_options;
    probe_options.connect_timeout = std::chrono::seconds(2);
    probe_options.read_timeout = std::chrono::seconds(2);
    probe_options.write_timeout = std::chrono::seconds(2);
    probe_options.lock_wait_timeout = std::chrono::seconds(1);
    std::unique_ptr<infra::db::Connection> probe;
    bool first = true;
    while (!stop_.load(std::memory_order_relaxed)) {
      domain::Status checked = domain::Ok();
      if (!probe || probe->IsBroken()) {
        auto opened = infra::db::Connection::Open(options_.mysql_url, probe_options);
        if (opened.ok()) {
          probe = std::move(opened).value();
        } else {
          probe.reset();
          checked = opened.error();
        }
      }
      if (probe) {
        if (auto rows = probe->Query("SELECT 1"); !rows.ok()) checked = rows.error();
      }
      const bool reachable = checked.ok();
      if (reachable != database_reachable_.exchange(reachable) || (first && !reachable)) {
        if (reachable) {
          logger_.Info("database reachable");
        } else {
          logger_.Warn("database unreachable", {{"error", checked.error().ToString()}});
        }
      }
      first = false;
      const auto until = std::chrono::steady_clock::now() + options_.health_interval;
      while (!stop_.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  ThreadEnded();
}

void Worker::RelayThread() {
  {
    const infra::db::ThreadScope db_thread;
    infra::amqp::PublisherOptions publisher_options;
    publisher_options.connection = ConnectionOptionsFor(options_, "paypipe worker relay");
    infra::amqp::Publisher amqp_publisher(options_.amqp_url, publisher_options);
    AmqpPublisher publisher(amqp_publisher);
    OutboxRelay relay(publisher, MakeStoreFactory(options_.mysql_url, logger_), options_.relay,
                      relay_stats_);
    relay.Run(stop_);
  }
  ThreadEnded();
}

}  // namespace paypipe::runtime
