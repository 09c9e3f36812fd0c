#pragma once

// Shared by the runtime's chaos tests: `paypipe worker test-echo` as a child process that the
// test kills, stops or restarts, and the checks that a run lost and doubled nothing. Builds on
// RuntimeTest (own vhost and database, test-echo topology, schema), shared with the integration
// tests.

#include <signal.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "paypipe/testing/process.hpp"
#include "paypipe/testing/runtime_fixture.hpp"

namespace paypipe::runtime::test {

// Exit statuses as PaypipeProcess::Wait reports them.
inline constexpr int kExitKilled = 128 + SIGKILL;  // kill -9
inline constexpr int kExitFaultPoint = 137;        // FaultPoints: _exit(137)

struct WorkerSettings {
  int concurrency = 2;
  std::string shutdown_grace = "10s";
  std::string fault_point;  // "<point>:<n>", or empty
  int batch_size = 0;       // 0: the worker's default
  int prefetch = 0;         // 0: the worker's default
};

// `paypipe worker test-echo` with the environment of `settings`; SIGKILLed and reaped if the test
// ends first.
class WorkerProcess : public testing::PaypipeProcess {
 public:
  explicit WorkerProcess(std::vector<std::string> environment)
      : PaypipeProcess({"worker", "test-echo"}, std::move(environment)) {}

  // The end of the worker's stderr, to explain an unexpected exit status.
  [[nodiscard]] std::string ErrTail(std::size_t max = 4'000) const {
    const std::string err = Err();
    return err.size() <= max ? err : err.substr(err.size() - max);
  }
};

// What arrived on the sink queue: follow-ups, told apart by the message they echo.
struct SinkTally {
  std::set<std::string> echo_of;
  std::size_t deliveries = 0;
  std::size_t unreadable = 0;

  [[nodiscard]] std::size_t duplicates() const { return deliveries - unreadable - echo_of.size(); }
};

class ChaosTest : public RuntimeTest {
 protected:
  [[nodiscard]] std::vector<std::string> WorkerEnvironment(const WorkerSettings& settings) const {
    std::vector<std::string> environment = {
        "PAYPIPE_AMQP_URL=" + vhost_.amqp_url(), "PAYPIPE_MYSQL_URL=" + database_.url_string(),
        "PAYPIPE_HTTP_ADDR=127.0.0.1:0",
        "PAYPIPE_CONCURRENCY=" + std::to_string(settings.concurrency),
        "PAYPIPE_SHUTDOWN_GRACE=" + settings.shutdown_grace,
        // Rows a killed worker left unpublished are swept after a second, not ten.
        "PAYPIPE_RELAY_MIN_AGE=1s", "PAYPIPE_LOG_LEVEL=warn"};
    if (!settings.fault_point.empty()) {
      environment.push_back("PAYPIPE_FAULT_POINT=" + settings.fault_point);
    }
    if (settings.batch_size > 0) {
      environment.push_back("PAYPIPE_BATCH_SIZE=" + std::to_string(settings.batch_size));
    }
    if (settings.prefetch > 0) {
      environment.push_back("PAYPIPE_AMQP_PREFETCH=" + std::to_string(settings.prefetch));
    }
    return environment;
  }

  [[nodiscard]] std::unique_ptr<WorkerProcess> SpawnWorker(const WorkerSettings& settings = {}) {
    auto worker = std::make_unique<WorkerProcess>(WorkerEnvironment(settings));
    EXPECT_TRUE(worker->spawned());
    return worker;
  }

  // test.echo messages with the ids TestId(first) … TestId(first + count - 1).
  [[nodiscard]] static std::vector<OutboundMessage> EchoMessages(int first, int count) {
    std::vector<OutboundMessage> messages;
    messages.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) messages.push_back(EchoMessage(TestId(i)));
    return messages;
  }

  // Publishes (confirmed) in chunks, so that one confirm wait never covers thousands.
  void PublishRange(int first, int count) {
    constexpr int kChunk = 500;
    for (int at = first; at < first + count; at += kChunk) {
      Publish(EchoMessages(at, std::min(kChunk, first + count - at)));
    }
  }

  // A fresh database connection for the checks: a database restart breaks the old one.
  void ReconnectDatabase() { db_ = database_.Connect(); }

  std::int64_t OutboxRows() { return Scalar("SELECT COUNT(*) FROM outbox"); }
  std::int64_t InboxRows() {
    return Scalar("SELECT COUNT(*) FROM inbox WHERE consumer = ?",
                  {std::string(test_stage::kEchoStageName)});
  }
  std::int64_t DistinctEffects() {
    return Scalar("SELECT COUNT(DISTINCT message_id) FROM test_echo_effects");
  }

  std::uint32_t WorkQueueReady() {
    return Ready(topology::WorkQueueName(test_stage::kEchoStageName));
  }
  std::uint32_t DeadLetterQueueReady() {
    return Ready(topology::DeadLetterQueueName(test_stage::kEchoStageName));
  }

  // True once every one of `count` messages has its effect and no outbox row waits for
  // publication (the run is over: nothing is left to retry or relay).
  bool AwaitSettled(std::int64_t count, std::chrono::milliseconds timeout) {
    return Eventually([&] { return DistinctEffects() == count && UnpublishedOutbox() == 0; },
                      timeout);
  }

  // Consumes (and acks) the sink until `distinct` different messages were echoed and nothing
  // more arrived for a second, or until `timeout`.
  SinkTally DrainSink(std::size_t distinct, std::chrono::milliseconds timeout) {
    infra::amqp::ConsumerOptions options;
    options.connection = FastConnectionOptions();
    options.queues = {kSinkQueue};
    options.prefetch = 500;
    infra::amqp::Consumer consumer(amqp_url_, options);
    SinkTally tally;
    const auto until = std::chrono::steady_clock::now() + timeout;
    auto last_arrival = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < until) {
      if (tally.echo_of.size() >= distinct &&
          std::chrono::steady_clock::now() - last_arrival > 1s) {
        break;
      }
      auto next = consumer.Next(200ms);
      if (!next.ok() || !next->has_value()) continue;
      last_arrival = std::chrono::steady_clock::now();
      EXPECT_TRUE(consumer.Ack((*next)->tag).ok());
      ++tally.deliveries;
      const auto body = nlohmann::json::parse((*next)->body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object() || !body.contains("echo_of") || !body["echo_of"].is_string()) {
        ++tally.unreadable;
        continue;
      }
      tally.echo_of.insert(body["echo_of"].get<std::string>());
    }
    return tally;
  }

  // The end state of a run of TestId(0) … TestId(count - 1) after every worker settled: each
  // message's effect exactly once, one outbox row per message and every row published, every
  // follow-up on the sink (duplicates allowed on the wire), nothing left in or dead-lettered from
  // the work queue.
  void ExpectExactlyOnce(int count, const SinkTally& tally) {
    const auto n = static_cast<std::int64_t>(count);
    EXPECT_EQ(DistinctEffects(), n) << "messages without an effect (lost)";
    EXPECT_EQ(EffectRows(), n) << "effect rows; more than " << n << " means doubled effects";
    EXPECT_EQ(MaxEffectsPerMessage(), 1);
    EXPECT_EQ(InboxRows(), n);
    EXPECT_EQ(OutboxRows(), n) << "one follow-up row per message";
    EXPECT_EQ(UnpublishedOutbox(), 0);

    std::set<std::string> expected;
    for (int i = 0; i < count; ++i) expected.insert(TestId(i));
    EXPECT_EQ(tally.unreadable, 0u);
    EXPECT_EQ(tally.echo_of.size(), expected.size()) << "distinct follow-ups on the sink";
    EXPECT_TRUE(tally.echo_of == expected) << "the sink holds follow-ups of unknown messages";

    EXPECT_EQ(WorkQueueReady(), 0u);
    EXPECT_EQ(DeadLetterQueueReady(), 0u);
  }
};

}  // namespace paypipe::runtime::test
