#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "paypipe/gateway/publish_pipeline.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/log/sink.hpp"

namespace paypipe::gateway {
namespace {

using namespace std::chrono_literals;
namespace amqp = infra::amqp;
using SteadyClock = std::chrono::steady_clock;

// The broker all fake publishers talk to. While `held`, PublishBatch blocks (as a confirm round
// trip does), which lets a test decide exactly what arrives during a round trip.
struct FakeBroker {
  std::mutex mutex;
  std::condition_variable changed;
  bool held = false;
  // Whether publishers are connected: all of them, except those in `unreachable` (publishers are
  // numbered in the order the pipeline creates them).
  bool connected = true;
  std::set<std::size_t> unreachable;
  std::size_t publishers = 0;
  std::map<std::size_t, int> maintains;
  int in_call = 0;
  std::vector<std::size_t> batch_sizes;
  std::vector<std::size_t> batch_publishers;
  std::vector<SteadyClock::time_point> deadlines;
  // Outcome by routing key; confirmed when absent.
  std::map<std::string, amqp::PublishStatus> outcomes;

  bool Reachable(std::size_t publisher) const {
    return connected && !unreachable.contains(publisher);
  }
  void SetConnected(bool value) {
    {
      const std::lock_guard lock(mutex);
      connected = value;
    }
    changed.notify_all();
  }
  int Maintains(std::size_t publisher) {
    const std::lock_guard lock(mutex);
    return maintains[publisher];
  }
  void AwaitMaintains(std::size_t publisher, int count) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 10s, [&] { return maintains[publisher] >= count; }));
  }

  void Hold() {
    const std::lock_guard lock(mutex);
    held = true;
  }
  void Release() {
    {
      const std::lock_guard lock(mutex);
      held = false;
    }
    changed.notify_all();
  }
  void AwaitCalls(int calls) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 10s, [&] { return in_call >= calls; }));
  }
};

class FakePublisher final : public BatchPublisher {
 public:
  explicit FakePublisher(FakeBroker& broker) : broker_(broker) {
    const std::lock_guard lock(broker_.mutex);
    id_ = broker_.publishers++;
  }

  amqp::PublishBatchResult PublishBatch(std::span<const amqp::OutgoingMessage> messages,
                                        SteadyClock::time_point deadline) override {
    std::unique_lock lock(broker_.mutex);
    broker_.batch_sizes.push_back(messages.size());
    broker_.batch_publishers.push_back(id_);
    broker_.deadlines.push_back(deadline);
    ++broker_.in_call;
    broker_.changed.notify_all();
    broker_.changed.wait(lock, [&] { return !broker_.held; });
    --broker_.in_call;
    amqp::PublishBatchResult result;
    if (!broker_.Reachable(id_)) {
      // Lost before the confirms arrived: nothing is known of any message.
      result.outcomes.resize(messages.size());
      result.error = domain::Error::Transient("AMQP_CONNECTION_LOST", "connection lost");
      return result;
    }
    for (const amqp::OutgoingMessage& message : messages) {
      const auto it = broker_.outcomes.find(message.routing_key);
      result.outcomes.push_back(
          {it == broker_.outcomes.end() ? amqp::PublishStatus::kConfirmed : it->second, 0, ""});
    }
    return result;
  }
  // Like a reconnect attempt on a backoff schedule: waits up to `timeout` for the broker.
  void Maintain(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(broker_.mutex);
    ++broker_.maintains[id_];
    broker_.changed.notify_all();
    broker_.changed.wait_for(lock, timeout, [&] { return broker_.Reachable(id_); });
  }
  [[nodiscard]] bool connected() const override {
    const std::lock_guard lock(broker_.mutex);
    return broker_.Reachable(id_);
  }

 private:
  FakeBroker& broker_;
  std::size_t id_ = 0;
};

// Collects callback results; each message's callback must run exactly once.
struct Results {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, std::vector<PublishResult>> by_id;

  PublishPipeline::Callback For(const std::string& id) {
    return [this, id](PublishResult result) {
      {
        const std::lock_guard lock(mutex);
        by_id[id].push_back(result);
      }
      changed.notify_all();
    };
  }
  void AwaitCount(std::size_t count) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 10s, [&] { return by_id.size() >= count; }));
  }
};

amqp::OutgoingMessage Message(const std::string& id, const std::string& routing_key = "stage") {
  amqp::OutgoingMessage message;
  message.exchange = "paypipe.work";
  message.routing_key = routing_key;
  message.properties.message_id = id;
  return message;
}

class PublishPipelineTest : public ::testing::Test {
 protected:
  PublishPipeline& Make(PublishPipelineOptions options,
                        std::chrono::milliseconds maintain_timeout = 5ms) {
    options.idle_interval = 5ms;
    options.maintain_timeout = maintain_timeout;
    pipeline_ = std::make_unique<PublishPipeline>(
        [this] { return std::make_unique<FakePublisher>(broker_); }, options, metrics_,
        infra::log::Logger(sink_, clock_, infra::log::Level::kError, "test"));
    pipeline_->Start();
    return *pipeline_;
  }

  // Holds the broker and submits `id`; returns once a publisher thread is in its round trip.
  void StartHeldRoundTrip(PublishPipeline& pipeline, const std::string& id) {
    broker_.Hold();
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
    broker_.AwaitCalls(1);
  }

  // Polls `condition` of the pipeline's view of the broker (set by its threads).
  static bool Becomes(const std::function<bool()>& condition) {
    const auto until = SteadyClock::now() + 10s;
    while (!condition() && SteadyClock::now() < until) std::this_thread::yield();
    return condition();
  }

  ~PublishPipelineTest() override {
    broker_.Release();
    if (pipeline_) {
      EXPECT_TRUE(pipeline_->Stop(SteadyClock::now() + 10s));
    }
  }

  FakeBroker broker_;
  Results results_;
  infra::metrics::Registry registry_;
  GatewayMetrics metrics_{registry_};
  infra::clock::SystemClock clock_;
  infra::log::FileDescriptorSink sink_{2};
  std::unique_ptr<PublishPipeline> pipeline_;
};

TEST_F(PublishPipelineTest, RequestsArrivingDuringARoundTripShareTheNextConfirm) {
  PublishPipeline& pipeline = Make({.threads = 1});
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "m0"));
  for (int i = 1; i <= 20; ++i) {
    const std::string id = "m" + std::to_string(i);
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
  }
  EXPECT_EQ(pipeline.depth(), 20u);
  broker_.Release();
  results_.AwaitCount(21);
  EXPECT_EQ(broker_.batch_sizes, (std::vector<std::size_t>{1, 20}));
  for (const auto& [id, outcomes] : results_.by_id) {
    EXPECT_EQ(outcomes, std::vector<PublishResult>{PublishResult::kConfirmed}) << id;
  }
  EXPECT_EQ(metrics_.publish_batch_size.Snapshot().count, 2u);
  EXPECT_EQ(metrics_.publish_outcomes.WithLabels({"confirmed"}).Value(), 21u);
}

TEST_F(PublishPipelineTest, BatchesAreCappedAtMaxBatch) {
  PublishPipeline& pipeline = Make({.threads = 1, .max_batch = 4});
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "first"));
  for (int i = 0; i < 10; ++i) {
    const std::string id = "m" + std::to_string(i);
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
  }
  broker_.Release();
  results_.AwaitCount(11);
  EXPECT_EQ(broker_.batch_sizes, (std::vector<std::size_t>{1, 4, 4, 2}));
}

TEST_F(PublishPipelineTest, MessagesSubmittedDuringTheGatherShareOneBatch) {
  // A minute's gather, ended by max_batch: AwaitCount's 10 s would run out were it waited out.
  PublishPipeline& pipeline = Make({.threads = 1, .max_batch = 3, .gather = 60s});
  for (const char* id : {"m0", "m1", "m2"}) {
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
  }
  results_.AwaitCount(3);
  EXPECT_EQ(broker_.batch_sizes, std::vector<std::size_t>{3});
  for (const auto& [id, outcomes] : results_.by_id) {
    EXPECT_EQ(outcomes, std::vector<PublishResult>{PublishResult::kConfirmed}) << id;
  }
}

TEST_F(PublishPipelineTest, StopEndsAGatherAndPublishesWhatItHeld) {
  PublishPipeline& pipeline = Make({.threads = 1, .gather = 60s});
  ASSERT_EQ(pipeline.Submit(Message("m0"), results_.For("m0")), Admission::kQueued);
  EXPECT_TRUE(pipeline.Stop(SteadyClock::now() + 10s)) << "a gather must not outlast Stop";
  EXPECT_EQ(results_.by_id["m0"], std::vector<PublishResult>{PublishResult::kConfirmed});
  EXPECT_EQ(broker_.batch_sizes, std::vector<std::size_t>{1});
}

TEST_F(PublishPipelineTest, EachMessageGetsItsOwnOutcome) {
  broker_.outcomes = {{"unbound", amqp::PublishStatus::kReturned},
                      {"full", amqp::PublishStatus::kNacked},
                      {"lost", amqp::PublishStatus::kUnknown}};
  PublishPipeline& pipeline = Make({.threads = 1});
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "ok"));
  for (const char* key : {"unbound", "full", "lost"}) {
    ASSERT_EQ(pipeline.Submit(Message(key, key), results_.For(key)), Admission::kQueued);
  }
  broker_.Release();
  results_.AwaitCount(4);
  EXPECT_EQ(results_.by_id["ok"], std::vector<PublishResult>{PublishResult::kConfirmed});
  EXPECT_EQ(results_.by_id["unbound"], std::vector<PublishResult>{PublishResult::kReturned});
  EXPECT_EQ(results_.by_id["full"], std::vector<PublishResult>{PublishResult::kNacked});
  EXPECT_EQ(results_.by_id["lost"], std::vector<PublishResult>{PublishResult::kUnconfirmed});
}

TEST_F(PublishPipelineTest, AFullQueueRefusesAtOnce) {
  PublishPipeline& pipeline = Make({.threads = 1, .capacity = 2});
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "m0"));
  EXPECT_EQ(pipeline.Submit(Message("m1"), results_.For("m1")), Admission::kQueued);
  EXPECT_EQ(pipeline.Submit(Message("m2"), results_.For("m2")), Admission::kQueued);
  EXPECT_EQ(pipeline.Submit(Message("m3"), results_.For("m3")), Admission::kFull);
  broker_.Release();
  results_.AwaitCount(3);
  EXPECT_EQ(results_.by_id.count("m3"), 0u);
}

TEST_F(PublishPipelineTest, TheBatchDeadlineIsItsOldestMessagesDeadline) {
  PublishPipeline& pipeline = Make({.threads = 1, .confirm_timeout = 2s});
  const auto before = SteadyClock::now();
  ASSERT_EQ(pipeline.Submit(Message("m0"), results_.For("m0")), Admission::kQueued);
  results_.AwaitCount(1);
  ASSERT_EQ(broker_.deadlines.size(), 1u);
  EXPECT_GE(broker_.deadlines[0], before + 2s);
  EXPECT_LE(broker_.deadlines[0], SteadyClock::now() + 2s);
}

TEST_F(PublishPipelineTest, MessagesPastTheirDeadlineAreNeverPublished) {
  PublishPipeline& pipeline = Make({.threads = 1, .confirm_timeout = 0ms});
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
  }
  results_.AwaitCount(3);
  for (const auto& [id, outcomes] : results_.by_id) {
    EXPECT_EQ(outcomes, std::vector<PublishResult>{PublishResult::kExpired}) << id;
  }
  EXPECT_TRUE(broker_.batch_sizes.empty());
}

TEST_F(PublishPipelineTest, StopPublishesWhatIsQueuedAndRefusesMore) {
  PublishPipeline& pipeline = Make({.threads = 2});
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "m0"));
  ASSERT_EQ(pipeline.Submit(Message("m1"), results_.For("m1")), Admission::kQueued);
  broker_.AwaitCalls(2);
  ASSERT_EQ(pipeline.Submit(Message("m2"), results_.For("m2")), Admission::kQueued);
  // Stop must wait for the two held round trips, then publish m2.
  std::thread releaser([this] { broker_.Release(); });
  EXPECT_TRUE(pipeline.Stop(SteadyClock::now() + 10s));
  releaser.join();
  EXPECT_EQ(pipeline.Submit(Message("late"), results_.For("late")), Admission::kClosed);
  EXPECT_EQ(results_.by_id.size(), 3u);
  EXPECT_EQ(results_.by_id["m2"], std::vector<PublishResult>{PublishResult::kConfirmed});
}

TEST_F(PublishPipelineTest, ReadinessFollowsThePublishersConnections) {
  PublishPipeline& pipeline = Make({.threads = 2});
  EXPECT_TRUE(Becomes([&] { return pipeline.broker_ready(); }));
  broker_.SetConnected(false);
  EXPECT_TRUE(Becomes([&] { return !pipeline.broker_ready(); }));
  EXPECT_TRUE(Becomes([&] { return pipeline.broker_down(); }));
}

TEST_F(PublishPipelineTest, MessagesWaitWhileTheFirstConnectIsUnderWay) {
  broker_.connected = false;
  // The first connect attempt lasts until the broker answers (at most 10 s).
  PublishPipeline& pipeline = Make({.threads = 1}, 10s);
  broker_.AwaitMaintains(0, 1);
  EXPECT_FALSE(pipeline.broker_down());
  EXPECT_FALSE(pipeline.broker_ready());
  EXPECT_EQ(pipeline.Submit(Message("early"), results_.For("early")), Admission::kQueued);
  broker_.SetConnected(true);
  results_.AwaitCount(1);
  EXPECT_EQ(results_.by_id["early"], std::vector<PublishResult>{PublishResult::kConfirmed});
}

TEST_F(PublishPipelineTest, ABrokerKnownDownIsRefusedAtOnceUntilAConnectionIsBack) {
  broker_.connected = false;
  PublishPipeline& pipeline = Make({.threads = 2});
  ASSERT_TRUE(Becomes([&] { return pipeline.broker_down(); }));
  EXPECT_FALSE(pipeline.broker_ready());
  EXPECT_EQ(pipeline.Submit(Message("refused"), results_.For("refused")), Admission::kBrokerDown);
  EXPECT_EQ(pipeline.depth(), 0u);
  EXPECT_EQ(metrics_.publish_refused.WithLabels({"broker_down"}).Value(), 1u);

  broker_.SetConnected(true);
  ASSERT_TRUE(Becomes([&] { return pipeline.broker_ready(); }));
  EXPECT_FALSE(pipeline.broker_down());
  ASSERT_EQ(pipeline.Submit(Message("accepted"), results_.For("accepted")), Admission::kQueued);
  results_.AwaitCount(1);
  EXPECT_EQ(results_.by_id["accepted"], std::vector<PublishResult>{PublishResult::kConfirmed});
  EXPECT_EQ(results_.by_id.count("refused"), 0u) << "a refused message has no callback";
  EXPECT_EQ(broker_.batch_sizes, std::vector<std::size_t>{1});
  EXPECT_EQ(metrics_.publish_refused.WithLabels({"broker_down"}).Value(), 1u);
}

TEST_F(PublishPipelineTest, MessagesAcceptedBeforeTheConnectionDroppedAreNeverConfirmed) {
  PublishPipeline& pipeline = Make({.threads = 1});
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "in-flight"));
  // Queued during the round trip, before anyone knows that the connection is going away.
  ASSERT_EQ(pipeline.Submit(Message("queued"), results_.For("queued")), Admission::kQueued);
  broker_.SetConnected(false);
  broker_.Release();
  results_.AwaitCount(2);
  EXPECT_EQ(results_.by_id["in-flight"], std::vector<PublishResult>{PublishResult::kUnconfirmed});
  EXPECT_EQ(results_.by_id["queued"], std::vector<PublishResult>{PublishResult::kUnconfirmed});
  EXPECT_EQ(broker_.batch_sizes, (std::vector<std::size_t>{1, 1}));

  EXPECT_TRUE(pipeline.broker_down());
  EXPECT_EQ(pipeline.Submit(Message("late"), results_.For("late")), Admission::kBrokerDown);
  EXPECT_EQ(metrics_.publish_outcomes.WithLabels({"unconfirmed"}).Value(), 2u);
  EXPECT_EQ(metrics_.publish_refused.WithLabels({"broker_down"}).Value(), 1u);
}

TEST_F(PublishPipelineTest, AThreadWithoutAConnectionLeavesTheWorkToOneWithIt) {
  broker_.unreachable = {1};
  PublishPipeline& pipeline = Make({.threads = 2});
  ASSERT_TRUE(Becomes([&] { return pipeline.broker_ready(); }));
  // Two more reconnect rounds of the disconnected thread: the second began after it could see
  // the other connection up, so from then on it takes nothing from the queue.
  broker_.AwaitMaintains(1, broker_.Maintains(1) + 2);
  EXPECT_FALSE(pipeline.broker_down());
  ASSERT_NO_FATAL_FAILURE(StartHeldRoundTrip(pipeline, "first"));
  for (int i = 0; i < 10; ++i) {
    const std::string id = "m" + std::to_string(i);
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
  }
  // While the connected thread is busy, the other one goes round twice more and leaves the
  // queued messages alone.
  broker_.AwaitMaintains(1, broker_.Maintains(1) + 2);
  EXPECT_EQ(pipeline.depth(), 10u);
  broker_.Release();
  results_.AwaitCount(11);
  for (const auto& [id, outcomes] : results_.by_id) {
    EXPECT_EQ(outcomes, std::vector<PublishResult>{PublishResult::kConfirmed}) << id;
  }
  const std::lock_guard lock(broker_.mutex);
  EXPECT_FALSE(broker_.batch_publishers.empty());
  EXPECT_EQ(std::count(broker_.batch_publishers.begin(), broker_.batch_publishers.end(), 1u), 0);
}

}  // namespace
}  // namespace paypipe::gateway
