#pragma once

// Shared by the runtime's and the stages' integration tests and the chaos tests: a vhost with a
// topology (the test-echo one, or production's), a database with the runtime's tables, an
// in-process worker, and helpers to publish, drain queues and count effects.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/cli/migrate/migration_source.hpp"
#include "paypipe/cli/migrate/migrator.hpp"
#include "paypipe/infra/amqp/admin.hpp"
#include "paypipe/infra/amqp/consumer.hpp"
#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/infra/log/sink.hpp"
#include "paypipe/runtime/amqp_ports.hpp"
#include "paypipe/runtime/envelope.hpp"
#include "paypipe/runtime/topology/topology.hpp"
#include "paypipe/runtime/worker.hpp"
#include "paypipe/test_stage/echo_stage.hpp"
#include "paypipe/testing/rabbitmq.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace paypipe::runtime::test {

using namespace std::chrono_literals;

inline const std::string kSinkQueue = "paypipe.test-echo-sink";

// The test-echo stage with two 1 s retry tiers, so that retries and exhaustion take seconds.
inline constexpr std::string_view kTestTopologyJson = R"({
  "version": 1,
  "exchanges": {"work": "paypipe.work", "retry": "paypipe.retry", "dead_letter": "paypipe.dlx"},
  "defaults": {"delivery_limit": 5, "max_length": 100000, "retry_max_length": 100000,
               "dlq_max_length": 100000},
  "stages": [{"name": "test-echo", "retry_tiers_seconds": [1, 1]}]
})";

inline void ExecuteOrThrow(infra::db::Connection& db, std::string_view sql) {
  auto done = db.Execute(std::string(sql));
  if (!done.ok()) throw std::runtime_error(done.error().ToString() + " in: " + std::string(sql));
}

// The schema `paypipe migrate up` creates (the migrations embedded in the binary, applied by
// the real migrator), plus the test-echo stage's own table.
inline void ApplySchema(infra::db::Connection& db) {
  auto migrations = cli::migrate::LoadMigrations(std::nullopt);
  if (!migrations.ok()) throw std::runtime_error(migrations.error().ToString());
  cli::migrate::Migrator migrator(db, std::move(migrations).value());
  std::ostringstream progress;
  auto applied = migrator.Up(progress);
  if (!applied.ok()) throw std::runtime_error(applied.error().ToString());
  ExecuteOrThrow(db, test_stage::kEchoSchema);
}

inline infra::amqp::ConnectionOptions FastConnectionOptions() {
  infra::amqp::ConnectionOptions options;
  options.connect_timeout = 2s;
  options.rpc_timeout = 10s;
  options.backoff.initial = 50ms;
  options.backoff.max = 500ms;
  options.connection_name = "paypipe-runtime-test";
  return options;
}

inline infra::amqp::FieldTable ToFieldTable(const topology::Arguments& arguments) {
  infra::amqp::FieldTable table;
  for (const auto& [key, value] : arguments) {
    std::visit([&](const auto& v) { table.Set(key, v); }, value);
  }
  return table;
}

// Declares the topology of `spec` plus the sink queue the echo stage publishes to.
inline void DeclareTopology(infra::amqp::Admin& admin, const topology::TopologySpec& spec) {
  const topology::Topology expanded = topology::Expand(spec);
  for (const auto& exchange : expanded.exchanges) {
    infra::amqp::ExchangeSpec exchange_spec;
    exchange_spec.name = exchange.name;
    const auto declared = admin.DeclareExchange(exchange_spec);
    if (!declared.ok()) throw std::runtime_error(declared.error().ToString());
  }
  for (const auto& queue : expanded.queues) {
    infra::amqp::QueueSpec queue_spec;
    queue_spec.name = queue.name;
    queue_spec.arguments = ToFieldTable(queue.arguments);
    const auto declared = admin.DeclareQueue(queue_spec);
    if (!declared.ok()) throw std::runtime_error(declared.error().ToString());
  }
  for (const auto& binding : expanded.bindings) {
    const auto bound = admin.Bind(binding.queue, binding.exchange, binding.routing_key);
    if (!bound.ok()) throw std::runtime_error(bound.error().ToString());
  }
  infra::amqp::QueueSpec sink_spec;
  sink_spec.name = kSinkQueue;
  sink_spec.arguments.Set("x-queue-type", std::string("quorum"));
  const auto sink = admin.DeclareQueue(sink_spec);
  if (!sink.ok()) throw std::runtime_error(sink.error().ToString());
  const auto bound =
      admin.Bind(kSinkQueue, spec.work_exchange, std::string(test_stage::kSinkRoutingKey));
  if (!bound.ok()) throw std::runtime_error(bound.error().ToString());
}

inline infra::amqp::AmqpUrl ParseAmqpOrThrow(const std::string& text) {
  auto url = infra::amqp::AmqpUrl::Parse(text);
  if (!url.ok()) throw std::runtime_error(url.error().ToString());
  return *url;
}

inline topology::TopologySpec TestSpec() {
  auto spec = topology::TopologySpec::FromJson(kTestTopologyJson);
  if (!spec.ok()) throw std::runtime_error(spec.error().ToString());
  return *spec;
}

// A test.echo message with a fresh UUID-shaped id.
inline OutboundMessage EchoMessage(const std::string& id, const nlohmann::json& extra = {}) {
  nlohmann::json body = {{"schema_version", 1}, {"payload", "p-" + id}};
  if (extra.is_object()) body.update(extra);
  OutboundMessage out;
  out.exchange = std::string(kWorkExchange);
  out.routing_key = std::string(test_stage::kEchoStageName);
  out.message.message_id = id;
  out.message.correlation_id = "corr-" + id;
  out.message.type = std::string(test_stage::kEchoType);
  out.message.timestamp = 1'700'000'000;
  out.message.body = body.dump();
  return out;
}

inline std::string TestId(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012d", n);
  return text;
}

// Waits until `done` holds or `timeout` passes; returns the last value of `done`.
template <typename Predicate>
bool Eventually(Predicate done, std::chrono::milliseconds timeout = 20s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

// Consumes (and acks) messages from `queue` until `count` arrived or `timeout` passed.
inline std::vector<infra::amqp::Delivery> DrainQueue(const infra::amqp::AmqpUrl& url,
                                                     const std::string& queue, std::size_t count,
                                                     std::chrono::milliseconds timeout = 20s) {
  infra::amqp::ConsumerOptions options;
  options.connection = FastConnectionOptions();
  options.queues = {queue};
  options.prefetch = 100;
  infra::amqp::Consumer consumer(url, options);
  std::vector<infra::amqp::Delivery> out;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < until) {
    auto next = consumer.Next(200ms);
    if (!next.ok() || !next->has_value()) continue;
    EXPECT_TRUE(consumer.Ack((*next)->tag).ok());
    out.push_back(std::move(**next));
  }
  return out;
}

// A vhost with the topology of a spec, a database with the runtime's tables, a confirming
// publisher, and an in-process Worker for the stage a test runs. The fixture that owns the stage
// stops the worker in its destructor (StopWorker), before the stage goes away.
class WorkerTest : public ::testing::Test {
 protected:
  explicit WorkerTest(const topology::TopologySpec& spec)
      : amqp_url_(ParseAmqpOrThrow(vhost_.amqp_url())),
        admin_(amqp_url_, FastConnectionOptions()),
        db_(database_.Connect()),
        logger_(log_sink_, clock_, infra::log::Level::kInfo, "test") {
    ApplySchema(*db_);
    DeclareTopology(admin_, spec);
    infra::amqp::PublisherOptions publisher_options;
    publisher_options.connection = FastConnectionOptions();
    publisher_ = std::make_unique<infra::amqp::Publisher>(amqp_url_, publisher_options);
  }

  ~WorkerTest() override { StopWorker(); }

  WorkerOptions Options(std::size_t concurrency = 2) {
    WorkerOptions options;
    options.amqp_url = amqp_url_;
    options.mysql_url = database_.url();
    options.concurrency = concurrency;
    options.prefetch = 16;
    options.heartbeat = 30s;
    options.loop.poll = 100ms;
    options.relay.min_age = 1s;
    options.relay.interval = 200ms;
    return options;
  }

  // Runs `stage` on its work queue with the retry tiers `spec` gives it.
  void StartStage(const Stage& stage, const topology::TopologySpec& spec, WorkerOptions options) {
    const topology::StageSpec* stage_spec = spec.FindStage(stage.Name());
    ASSERT_NE(stage_spec, nullptr) << stage.Name();
    StageBinding binding{&stage, PolicyFromTiers(stage_spec->retry_tiers),
                         topology::WorkQueueName(stage_spec->name)};
    worker_ = std::make_unique<Worker>(std::vector<StageBinding>{binding}, std::move(options),
                                       faults_, clock_, logger_);
    worker_->Start();
  }

  void StopWorker() {
    if (worker_ && !worker_->Stop(20s)) std::abort();  // threads still hold this fixture
  }

  void Publish(const std::vector<OutboundMessage>& messages) {
    std::vector<infra::amqp::OutgoingMessage> wire;
    for (const auto& message : messages) wire.push_back(ToAmqp(message));
    const auto result = publisher_->PublishBatch(wire);
    ASSERT_TRUE(result.AllConfirmed()) << (result.error ? result.error->ToString() : "not all");
  }

  std::int64_t Scalar(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = db_->Query(sql, params);
    if (!rows.ok()) throw std::runtime_error(rows.error().ToString());
    return rows->front().Int64(0);
  }
  std::int64_t UnpublishedOutbox() {
    return Scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL");
  }

  std::uint32_t Ready(const std::string& queue) {
    auto counts = admin_.InspectQueue(queue);
    if (!counts.ok()) throw std::runtime_error(counts.error().ToString());
    return counts->messages;
  }

  // Consumes (and acks) messages from `queue` until `count` arrived or `timeout` passed.
  std::vector<infra::amqp::Delivery> Drain(const std::string& queue, std::size_t count,
                                           std::chrono::milliseconds timeout = 20s) {
    return DrainQueue(amqp_url_, queue, count, timeout);
  }

  testing::rabbitmq::ScopedVhost vhost_;
  testing::mysql::ScopedDatabase database_;
  infra::amqp::AmqpUrl amqp_url_;
  infra::amqp::Admin admin_;
  std::unique_ptr<infra::db::Connection> db_;
  infra::clock::SystemClock clock_;
  // Logs go to stderr: they explain failures, tests never assert on them.
  infra::log::FileDescriptorSink log_sink_{2};
  infra::log::Logger logger_;
  FaultPoints faults_;
  std::unique_ptr<infra::amqp::Publisher> publisher_;
  std::unique_ptr<Worker> worker_;
};

// The test-echo stage on its own topology (two 1 s retry tiers).
class RuntimeTest : public WorkerTest {
 protected:
  RuntimeTest() : WorkerTest(TestSpec()) {}

  ~RuntimeTest() override {
    if (!worker_) return;
    StopWorker();
    const StageStats& s = Stats();
    std::fprintf(stderr,
                 "test-echo stats: received=%llu committed=%llu acked=%llu retried=%llu "
                 "dead_lettered=%llu duplicates=%llu unit_failures=%llu publish_failures=%llu\n",
                 static_cast<unsigned long long>(s.received.load()),
                 static_cast<unsigned long long>(s.committed.load()),
                 static_cast<unsigned long long>(s.acked.load()),
                 static_cast<unsigned long long>(s.retried.load()),
                 static_cast<unsigned long long>(s.dead_lettered.load()),
                 static_cast<unsigned long long>(s.inbox_duplicates.load()),
                 static_cast<unsigned long long>(s.unit_failures.load()),
                 static_cast<unsigned long long>(s.publish_failures.load()));
  }

  void StartWorker(WorkerOptions options) { StartStage(stage_, TestSpec(), std::move(options)); }

  std::int64_t EffectRows() { return Scalar("SELECT COUNT(*) FROM test_echo_effects"); }
  std::int64_t EffectsOf(const std::string& id) {
    return Scalar("SELECT COUNT(*) FROM test_echo_effects WHERE message_id = ?", {id});
  }
  std::int64_t MaxEffectsPerMessage() {
    return Scalar(
        "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM test_echo_effects GROUP BY "
        "message_id) counts");
  }

  const StageStats& Stats() { return *worker_->Stats(test_stage::kEchoStageName); }

  test_stage::EchoStage stage_;
};

}  // namespace paypipe::runtime::test
