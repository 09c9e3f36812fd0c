#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "paypipe/gateway/db_pool.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/log/sink.hpp"

namespace paypipe::gateway {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Without a server no connection can be opened: these tests cover what the pool does around
// connections (pacing, backpressure, draining, containment); the integration tests cover queries.
class DbPoolTest : public ::testing::Test {
 protected:
  DbPool& Make(DbPoolOptions options) {
    pool_ = std::make_unique<DbPool>(
        [this]() -> domain::Result<std::unique_ptr<infra::db::Connection>> {
          ++connect_attempts_;
          return domain::Error::Transient("DB_UNREACHABLE", "no server in unit tests");
        },
        options, metrics_, infra::log::Logger(sink_, clock_, infra::log::Level::kError, "test"));
    pool_->Start();
    return *pool_;
  }

  ~DbPoolTest() override {
    Open();
    if (pool_) {
      EXPECT_TRUE(pool_->Stop(SteadyClock::now() + 10s));
    }
  }

  // A task that records the error it was given, optionally waiting for the gate to open first.
  DbTask Record(bool wait_for_gate = false) {
    return [this, wait_for_gate](domain::Result<infra::db::Connection*> connection) {
      std::unique_lock lock(mutex_);
      ++started_;
      changed_.notify_all();
      if (wait_for_gate) changed_.wait(lock, [this] { return gate_open_; });
      codes_.push_back(connection.ok() ? "connected" : connection.error().code);
      changed_.notify_all();
    };
  }

  void Open() {
    {
      const std::lock_guard lock(mutex_);
      gate_open_ = true;
    }
    changed_.notify_all();
  }

  bool AwaitCodes(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return codes_.size() >= count; });
  }

  bool AwaitStarted(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return started_ >= count; });
  }

  std::atomic<int> connect_attempts_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool gate_open_ = false;
  int started_ = 0;
  std::vector<std::string> codes_;
  infra::metrics::Registry registry_;
  GatewayMetrics metrics_{registry_};
  infra::clock::SystemClock clock_;
  infra::log::FileDescriptorSink sink_{2};
  std::unique_ptr<DbPool> pool_;
};

TEST_F(DbPoolTest, AnUnreachableDatabaseFailsTasksAtOnceWithoutAConnectEach) {
  DbPool& pool = Make({.threads = 1, .reconnect_pause = 1h});
  for (int i = 0; i < 5; ++i) ASSERT_EQ(pool.Submit(Record()), Admission::kQueued);
  ASSERT_TRUE(AwaitCodes(5));
  EXPECT_EQ(codes_, std::vector<std::string>(5, "DB_UNREACHABLE"));
  EXPECT_EQ(connect_attempts_.load(), 1);
  EXPECT_EQ(metrics_.db_tasks.WithLabels({"unavailable"}).Value(), 5u);
}

TEST_F(DbPoolTest, AFullQueueRefusesAtOnce) {
  DbPool& pool = Make({.threads = 1, .capacity = 1});
  ASSERT_EQ(pool.Submit(Record(/*wait_for_gate=*/true)), Admission::kQueued);
  ASSERT_TRUE(AwaitStarted(1));
  EXPECT_EQ(pool.Submit(Record()), Admission::kQueued);
  EXPECT_EQ(pool.Submit(Record()), Admission::kFull);
  Open();
  EXPECT_TRUE(AwaitCodes(2));
}

TEST_F(DbPoolTest, TasksThatWaitedTooLongAreToldSo) {
  DbPool& pool = Make({.threads = 1, .queue_timeout = 0ms});
  ASSERT_EQ(pool.Submit(Record()), Admission::kQueued);
  ASSERT_TRUE(AwaitCodes(1));
  EXPECT_EQ(codes_[0], kDbQueueTimeout);
  EXPECT_EQ(connect_attempts_.load(), 0);
}

TEST_F(DbPoolTest, StopRunsWhatIsQueuedAndRefusesMore) {
  DbPool& pool = Make({.threads = 1});
  ASSERT_EQ(pool.Submit(Record(/*wait_for_gate=*/true)), Admission::kQueued);
  ASSERT_TRUE(AwaitStarted(1));
  ASSERT_EQ(pool.Submit(Record()), Admission::kQueued);
  std::thread opener([this] { Open(); });
  EXPECT_TRUE(pool.Stop(SteadyClock::now() + 10s));
  opener.join();
  EXPECT_EQ(codes_.size(), 2u);
  EXPECT_EQ(pool.Submit(Record()), Admission::kClosed);
}

TEST_F(DbPoolTest, AThrowingTaskDoesNotStopTheThread) {
  DbPool& pool = Make({.threads = 1});
  ASSERT_EQ(pool.Submit([](domain::Result<infra::db::Connection*>) {
    throw std::logic_error("column mismatch");
  }),
            Admission::kQueued);
  ASSERT_EQ(pool.Submit(Record()), Admission::kQueued);
  ASSERT_TRUE(AwaitCodes(1));
  EXPECT_EQ(metrics_.db_tasks.WithLabels({"exception"}).Value(), 1u);
}

}  // namespace
}  // namespace paypipe::gateway
