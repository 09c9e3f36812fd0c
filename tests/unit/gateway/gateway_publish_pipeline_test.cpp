#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>

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
  bool connected = true;
  int in_call = 0;
  std::vector<std::size_t> batch_sizes;
  std::vector<SteadyClock::time_point> deadlines;
  // Outcome by routing key; confirmed when absent.
  std::map<std::string, amqp::PublishStatus> outcomes;

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
  explicit FakePublisher(FakeBroker& broker) : broker_(broker) {}

  amqp::PublishBatchResult PublishBatch(std::span<const amqp::OutgoingMessage> messages,
                                        SteadyClock::time_point deadline) override {
    std::unique_lock lock(broker_.mutex);
    broker_.batch_sizes.push_back(messages.size());
    broker_.deadlines.push_back(deadline);
    ++broker_.in_call;
    broker_.changed.notify_all();
    broker_.changed.wait(lock, [&] { return !broker_.held; });
    --broker_.in_call;
    amqp::PublishBatchResult result;
    for (const amqp::OutgoingMessage& message : messages) {
      const auto it = broker_.outcomes.find(message.routing_key);
      result.outcomes.push_back(
          {it == broker_.outcomes.end() ? amqp::PublishStatus::kConfirmed : it->second, 0, ""});
    }
    return result;
  }
  void Maintain(std::chrono::milliseconds) override {}
  [[nodiscard]] bool connected() const override {
    const std::lock_guard lock(broker_.mutex);
    return broker_.connected;
  }

 private:
  FakeBroker& broker_;
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
  PublishPipeline& Make(PublishPipelineOptions options) {
    options.idle_interval = 5ms;
    pipeline_ = std::make_unique<PublishPipeline>(
        [this] { return std::make_unique<FakePublisher>(broker_); }, options, metrics_,
        infra::log::Logger(sink_, clock_, infra::log::Level::kError, "test"));
    pipeline_->Start();
    return *pipeline_;
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
  broker_.Hold();
  ASSERT_EQ(pipeline.Submit(Message("m0"), results_.For("m0")), Admission::kQueued);
  broker_.AwaitCalls(1);
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
  broker_.Hold();
  ASSERT_EQ(pipeline.Submit(Message("first"), results_.For("first")), Admission::kQueued);
  broker_.AwaitCalls(1);
  for (int i = 0; i < 10; ++i) {
    const std::string id = "m" + std::to_string(i);
    ASSERT_EQ(pipeline.Submit(Message(id), results_.For(id)), Admission::kQueued);
  }
  broker_.Release();
  results_.AwaitCount(11);
  EXPECT_EQ(broker_.batch_sizes, (std::vector<std::size_t>{1, 4, 4, 2}));
}

TEST_F(PublishPipelineTest, EachMessageGetsItsOwnOutcome) {
  broker_.outcomes = {{"unbound", amqp::PublishStatus::kReturned},
                      {"full", amqp::PublishStatus::kNacked},
                      {"lost", amqp::PublishStatus::kUnknown}};
  PublishPipeline& pipeline = Make({.threads = 1});
  broker_.Hold();
  ASSERT_EQ(pipeline.Submit(Message("ok", "stage"), results_.For("ok")), Admission::kQueued);
  broker_.AwaitCalls(1);
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
  broker_.Hold();
  ASSERT_EQ(pipeline.Submit(Message("m0"), results_.For("m0")), Admission::kQueued);
  broker_.AwaitCalls(1);
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
  broker_.Hold();
  ASSERT_EQ(pipeline.Submit(Message("m0"), results_.For("m0")), Admission::kQueued);
  broker_.AwaitCalls(1);
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
  const auto wait_for = [&](bool expected) {
    const auto until = SteadyClock::now() + 10s;
    while (pipeline.broker_ready() != expected && SteadyClock::now() < until) {
      std::this_thread::yield();
    }
    return pipeline.broker_ready() == expected;
  };
  EXPECT_TRUE(wait_for(true));
  {
    const std::lock_guard lock(broker_.mutex);
    broker_.connected = false;
  }
  EXPECT_TRUE(wait_for(false));
}

}  // namespace
}  // namespace paypipe::gateway
