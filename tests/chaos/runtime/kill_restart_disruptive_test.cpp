// Chaos under load: 20,000 messages flow (part queued up front, the rest published while the
// chaos goes on) through two `paypipe worker test-echo` processes. Every few seconds one of them
// is killed with SIGKILL and restarted at once; meanwhile RabbitMQ is restarted, and later
// MariaDB. Afterwards: 0 messages lost, 0 effects doubled, every outbox row published, every
// follow-up on the sink (duplicates on the wire are allowed and counted).
//
// Disruptive: restarts the shared test services, so it runs alone.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <future>
#include <random>
#include <stop_token>
#include <thread>

#include "chaos_fixture.hpp"

namespace paypipe::runtime::test {
namespace {

// Publishes TestId(first) … TestId(first + count - 1) in chunks at a steady pace from its own
// thread and connection, republishing whatever the broker did not confirm (a broker restart
// happens meanwhile), so the queue may hold duplicates as in production.
class Feeder {
 public:
  Feeder(infra::amqp::AmqpUrl url, int first, int count, std::chrono::milliseconds pace)
      : thread_([=, this](std::stop_token stop) { Run(stop, url, first, count, pace); }) {}

  [[nodiscard]] bool done() const { return done_.load(); }
  // Messages published a second time because their first publication was not confirmed.
  [[nodiscard]] int republished() const { return republished_.load(); }
  [[nodiscard]] int published() const { return published_.load(); }

 private:
  static constexpr int kChunk = 100;

  void Run(const std::stop_token& stop, const infra::amqp::AmqpUrl& url, int first, int count,
           std::chrono::milliseconds pace) {
    infra::amqp::PublisherOptions options;
    options.connection = FastConnectionOptions();
    options.connection.connection_name = "paypipe-chaos-feeder";
    options.publish_timeout = 5s;
    infra::amqp::Publisher publisher(url, options);
    // Long enough to ride out a broker restart; bounded so that the test cannot hang.
    const auto give_up = std::chrono::steady_clock::now() + 150s;
    for (int at = first; at < first + count && !stop.stop_requested(); at += kChunk) {
      const auto chunk_started = std::chrono::steady_clock::now();
      std::vector<infra::amqp::OutgoingMessage> pending;
      for (int i = at; i < std::min(at + kChunk, first + count); ++i) {
        pending.push_back(ToAmqp(EchoMessage(TestId(i))));
      }
      bool retry = false;
      while (!pending.empty() && !stop.stop_requested()) {
        if (std::chrono::steady_clock::now() > give_up) {
          ADD_FAILURE() << "the feeder could not publish " << pending.size() << " messages";
          return;
        }
        if (retry) republished_.fetch_add(static_cast<int>(pending.size()));
        const infra::amqp::PublishBatchResult result = publisher.PublishBatch(pending);
        std::vector<infra::amqp::OutgoingMessage> unconfirmed;
        for (std::size_t i = 0; i < pending.size(); ++i) {
          const bool confirmed =
              i < result.outcomes.size() &&
              result.outcomes[i].status == infra::amqp::PublishStatus::kConfirmed;
          if (confirmed) {
            published_.fetch_add(1);
          } else {
            unconfirmed.push_back(std::move(pending[i]));
          }
        }
        pending = std::move(unconfirmed);
        retry = true;
        if (!pending.empty()) std::this_thread::sleep_for(250ms);
      }
      std::this_thread::sleep_until(chunk_started + pace);
    }
    done_.store(true);
  }

  std::atomic<bool> done_{false};
  std::atomic<int> republished_{0};
  std::atomic<int> published_{0};
  std::jthread thread_;  // last: joined (after a stop request) before the counters go away
};

// What the chaos did, recorded as test properties.
struct ChaosCounts {
  int kills = 0;
  int kills_sampled = 0;       // kills for which the work queue was inspected first
  int kills_with_backlog = 0;  // ... and held messages: the workers were busy
  int unexpected_exits = 0;
  std::int64_t effects_at_broker_restart = -1;
  std::int64_t effects_at_database_restart = -1;
};

class KillRestartChaosTest : public ChaosTest {
 protected:
  static bool Finished(const std::future<void>& restart) {
    return restart.valid() && restart.wait_for(0s) == std::future_status::ready;
  }

  // Kills one of `workers` (in turn) with SIGKILL and starts a replacement at once; first
  // replaces any worker that ended by itself, which is a defect whatever the cause.
  void KillOne(std::array<std::unique_ptr<WorkerProcess>, 2>& workers,
               const WorkerSettings& settings, bool broker_up, ChaosCounts& counts) {
    for (auto& worker : workers) {
      if (const auto status = worker->Wait(0ms)) {
        ++counts.unexpected_exits;
        ADD_FAILURE() << "a worker exited by itself with status " << *status << "\n"
                      << worker->ErrTail();
        worker = SpawnWorker(settings);
      }
    }
    if (broker_up) {  // while the broker restarts, the check would wait for it
      try {
        const std::uint32_t ready = WorkQueueReady();
        ++counts.kills_sampled;
        if (ready > 0) ++counts.kills_with_backlog;
      } catch (const std::exception&) {
        // The checks' broker connection was lost; it reconnects on the next call.
      }
    }
    auto& victim = workers[static_cast<std::size_t>(counts.kills % 2)];
    victim->Signal(SIGKILL);
    EXPECT_EQ(victim->Wait(10s), kExitKilled) << victim->ErrTail();
    victim = SpawnWorker(settings);
    ++counts.kills;
  }

  // True once the broker answers the checks' connection again.
  bool AwaitBroker(std::chrono::milliseconds timeout) {
    return Eventually(
        [&] {
          try {
            (void)WorkQueueReady();
            return true;
          } catch (const std::exception&) {
            return false;
          }
        },
        timeout);
  }
};

TEST_F(KillRestartChaosTest, KillsAndServiceRestartsUnderLoadLoseAndDoubleNothing) {
  constexpr int kMessages = 20'000;
  // Most are queued up front, more than the workers (small batches and prefetch) get through
  // before the broker restart: kills catch units of work in flight. The rest arrives while the
  // chaos goes on, at 100 messages per 0.3 s, i.e. over 24 s plus the broker's downtime, so that
  // both restarts happen while messages are still coming in.
  constexpr int kUpfront = 12'000;
  constexpr auto kFeedPace = 300ms;
  constexpr auto kBrokerRestartAt = 8s;
  constexpr auto kDatabaseRestartAt = 25s;  // and after the broker restart
  // Kills go on at least kMinChaos, and until the feeder and both restarts are done and at most a
  // tenth of the work is left; on a slow machine they stop after kMaxChaos and the workers
  // left running finish the rest.
  constexpr auto kMinChaos = 40s;
  constexpr auto kMaxChaos = 110s;

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> kill_interval_ms(1'500, 4'000);

  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::steady_clock::now() - started; };
  PublishRange(0, kUpfront);
  Feeder feeder(amqp_url_, kUpfront, kMessages - kUpfront, kFeedPace);

  WorkerSettings settings;
  settings.concurrency = 2;
  settings.batch_size = 4;
  settings.prefetch = 4;
  std::array<std::unique_ptr<WorkerProcess>, 2> workers = {SpawnWorker(settings),
                                                           SpawnWorker(settings)};
  ChaosCounts counts;
  std::future<void> broker_restart;
  std::future<void> database_restart;
  bool database_back = false;  // the checks reconnected after the database restart
  auto nearly_done = [&] {
    try {
      return database_back && DistinctEffects() >= kMessages * 9 / 10;
    } catch (const std::exception&) {
      return false;
    }
  };
  auto chaos_goes_on = [&] {
    if (elapsed() >= kMaxChaos) return false;
    return elapsed() < kMinChaos || !feeder.done() || !Finished(broker_restart) ||
           !Finished(database_restart) || !nearly_done();
  };

  while (chaos_goes_on()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_interval_ms(random)));
    if (!broker_restart.valid() && elapsed() >= kBrokerRestartAt) {
      counts.effects_at_broker_restart = DistinctEffects();
      broker_restart = std::async(std::launch::async, [] { testing::rabbitmq::RestartBroker(); });
    }
    if (!database_restart.valid() && Finished(broker_restart) && elapsed() >= kDatabaseRestartAt) {
      counts.effects_at_database_restart = DistinctEffects();
      database_restart = std::async(std::launch::async, [] { testing::mysql::RestartDatabase(); });
    }
    if (!database_back && Finished(database_restart)) {
      try {
        ReconnectDatabase();  // the old connection went with the old server
        database_back = true;
      } catch (const std::exception&) {
        // Not accepting connections yet: the next round tries again.
      }
    }
    KillOne(workers, settings, !broker_restart.valid() || Finished(broker_restart), counts);
  }
  const auto chaos_took = elapsed();
  ASSERT_TRUE(broker_restart.valid() && database_restart.valid()) << "the restarts never began";
  ASSERT_NO_THROW(broker_restart.get());
  ASSERT_NO_THROW(database_restart.get());
  if (!database_back) ReconnectDatabase();
  EXPECT_TRUE(Eventually([&] { return feeder.done(); }, 60s));
  EXPECT_EQ(feeder.published(), kMessages - kUpfront);

  // The two workers left running finish the work; the relay publishes what killed ones left.
  ASSERT_TRUE(AwaitBroker(30s));
  EXPECT_TRUE(AwaitSettled(kMessages, 100s)) << "effects " << DistinctEffects() << "/" << kMessages
                                             << ", unpublished " << UnpublishedOutbox() << "\n"
                                             << workers[0]->ErrTail() << "\n"
                                             << workers[1]->ErrTail();
  const SinkTally tally = DrainSink(kMessages, 60s);

  const std::int64_t lost = kMessages - DistinctEffects();
  const std::int64_t doubled = EffectRows() - DistinctEffects();
  auto seconds = [](auto duration) {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(duration).count());
  };
  RecordProperty("kills", counts.kills);
  RecordProperty("kills_sampled", counts.kills_sampled);
  RecordProperty("kills_with_backlog", counts.kills_with_backlog);
  RecordProperty("unexpected_exits", counts.unexpected_exits);
  RecordProperty("effects_at_broker_restart", static_cast<int>(counts.effects_at_broker_restart));
  RecordProperty("effects_at_database_restart",
                 static_cast<int>(counts.effects_at_database_restart));
  RecordProperty("feeder_republished", feeder.republished());
  RecordProperty("lost", static_cast<int>(lost));
  RecordProperty("doubled_effects", static_cast<int>(doubled));
  RecordProperty("sink_deliveries", static_cast<int>(tally.deliveries));
  RecordProperty("sink_duplicates", static_cast<int>(tally.duplicates()));
  RecordProperty("chaos_seconds", seconds(chaos_took));
  RecordProperty("total_seconds", seconds(elapsed()));

  // The chaos happened under load: kills, some with a backlog waiting, and both restarts while
  // messages were still coming in.
  EXPECT_GE(counts.kills, 10);
  EXPECT_GE(counts.kills_with_backlog, 1);
  EXPECT_GE(counts.effects_at_broker_restart, 0);
  EXPECT_LT(counts.effects_at_broker_restart, kMessages);
  EXPECT_GE(counts.effects_at_database_restart, 0);
  EXPECT_LT(counts.effects_at_database_restart, kMessages);

  EXPECT_EQ(lost, 0);
  EXPECT_EQ(doubled, 0);
  ExpectExactlyOnce(kMessages, tally);

  for (auto& worker : workers) worker->Signal(SIGTERM);
  for (auto& worker : workers) EXPECT_EQ(worker->Wait(20s), 0) << worker->ErrTail();
}

}  // namespace
}  // namespace paypipe::runtime::test
