#include "paypipe/runtime/consume_loop.hpp"

#include <gtest/gtest.h>

#include "paypipe/runtime/outbox_relay.hpp"
#include "runtime_fakes.hpp"

namespace paypipe::runtime {
namespace {

using namespace testing_fakes;  // NOLINT(google-build-using-namespace)

// Hands out one shared FakeStore (so tests can inspect it) and can refuse to connect.
struct StoreHandle final : MessageStore {
  explicit StoreHandle(FakeStore& s) : store(s) {}
  Result<UnitOfWork*> Begin() override { return store.Begin(); }
  Result<std::vector<bool>> InsertInbox(std::string_view c,
                                        std::span<const std::string> ids) override {
    return store.InsertInbox(c, ids);
  }
  Result<std::vector<OutboxRecord>> InsertOutbox(std::string_view c,
                                                 std::span<const OutboxRecord> r) override {
    return store.InsertOutbox(c, r);
  }
  Status Commit() override { return store.Commit(); }
  void Rollback() override { store.Rollback(); }
  Result<std::vector<bool>> InboxContains(std::string_view c,
                                          std::span<const std::string> ids) override {
    return store.InboxContains(c, ids);
  }
  PrepareContext& Outside() override { return store.Outside(); }
  Result<std::vector<OutboxRecord>> Unpublished(std::string_view c,
                                                std::span<const std::string> ids) override {
    return store.Unpublished(c, ids);
  }
  Status MarkPublished(std::span<const std::string> ids) override {
    return store.MarkPublished(ids);
  }
  Result<std::vector<OutboxRecord>> ClaimUnpublished(std::chrono::seconds a,
                                                     std::size_t n) override {
    return store.ClaimUnpublished(a, n);
  }
  Result<Backlog> OutboxBacklog() override { return store.OutboxBacklog(); }
  Result<std::int64_t> Purge(std::chrono::seconds r, std::size_t n) override {
    return store.Purge(r, n);
  }
  FakeStore& store;
};

class ConsumeLoopTest : public testing::Test {
 protected:
  ConsumeLoopTest()
      : faults_(std::move(FaultPoints::FromSpec("")).value()),
        processor_(stage_, FailurePolicy{}, stats_, *faults_, [] { return std::int64_t{1}; }) {
    stage_.deadlocks_left = &deadlocks_left_;
  }
  StoreFactory Factory() {
    return [this]() -> Result<std::unique_ptr<MessageStore>> {
      ++connects_;
      if (refuse_connects_ > 0) {
        --refuse_connects_;
        return Error::Transient("DB_UNREACHABLE", "down");
      }
      store_.broken = false;
      return std::unique_ptr<MessageStore>(std::make_unique<StoreHandle>(store_));
    };
  }
  LoopOptions Options() {
    LoopOptions o;
    o.batch_max = 2;
    o.retry_delay = std::chrono::milliseconds(1);
    o.max_retry_delay = std::chrono::milliseconds(1);
    return o;
  }

  int deadlocks_left_ = 0;
  int refuse_connects_ = 0;
  int connects_ = 0;
  FakeStage stage_;
  StageStats stats_;
  std::unique_ptr<FaultPoints> faults_;
  BatchProcessor processor_;
  FakeStore store_;
  FakePublisher publisher_;
  FakeSource source_;
  std::atomic<bool> stop_{false};
};

TEST_F(ConsumeLoopTest, TakesBufferedDeliveriesInBatchesOfTheConfiguredSize) {
  for (int i = 1; i <= 5; ++i) source_.queue.push_back(Make(i));
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), Options(), stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  EXPECT_EQ(loop.RunOnce(stop_), 0u);
  EXPECT_EQ(source_.acked.size(), 5u);
  EXPECT_EQ(store_.effects.size(), 5u);
  EXPECT_EQ(stats_.received, 5u);
  EXPECT_EQ(publisher_.round_trips, 3);
}

TEST_F(ConsumeLoopTest, ADeliveryArrivingWithinTheBatchWaitJoinsTheBatch) {
  std::vector<std::size_t> sizes;
  stage_.batch_sizes = &sizes;
  source_.queue.push_back(Make(1));
  source_.later.push_back({std::chrono::milliseconds(10), Make(2)});
  LoopOptions options = Options();
  options.batch_max = 5;
  options.batch_wait = std::chrono::seconds(1);
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), options, stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2}));  // one unit of work for both
  EXPECT_EQ(store_.commits, 1);
  // After the first delivery each look for more may wait, but never past the batch wait.
  ASSERT_GE(source_.waits.size(), 2u);
  EXPECT_GT(source_.waits[1], std::chrono::milliseconds(0));
  for (std::size_t i = 1; i < source_.waits.size(); ++i) {
    EXPECT_LE(source_.waits[i], options.batch_wait) << i;
  }
  loop.FlushCarried();
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(ConsumeLoopTest, CarriedMarksAreFlushedAfterTheBatchWaitNotAfterAWholePoll) {
  // A full batch as large as the prefetch: its deliveries hold all of it until they are acked,
  // so no next delivery can come to carry the marks.
  source_.queue = {Make(1), Make(2)};
  LoopOptions options = Options();
  options.batch_wait = std::chrono::milliseconds(7);
  options.poll = std::chrono::seconds(30);
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), options, stats_);
  ASSERT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_TRUE(source_.acked.empty());
  source_.waits.clear();
  source_.later.push_back({std::chrono::seconds(1), Make(3)});  // freed prefetch lets it come

  // The next delivery is awaited for the batch wait, then the marks are written and the batch
  // acked, and only then is a whole poll waited for.
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  ASSERT_GE(source_.waits.size(), 2u);
  EXPECT_EQ(source_.waits[0], options.batch_wait);
  EXPECT_EQ(source_.waits[1], options.poll);
  EXPECT_EQ(store_.standalone_marks, 1);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2}));
  // Nothing is carried now that the batch is flushed: a quiet queue is polled as usual.
  loop.FlushCarried();
  source_.waits.clear();
  EXPECT_EQ(loop.RunOnce(stop_), 0u);
  EXPECT_EQ(source_.waits, (std::vector<std::chrono::milliseconds>{options.poll}));
}

TEST_F(ConsumeLoopTest, ADeliveryArrivingAfterTheBatchWaitIsLeftForTheNextBatch) {
  source_.queue.push_back(Make(1));
  source_.later.push_back({std::chrono::milliseconds(50), Make(2)});
  LoopOptions options = Options();
  options.batch_max = 5;
  options.batch_wait = std::chrono::milliseconds(20);
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), options, stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1"}));
  ASSERT_EQ(source_.later.size(), 1u);  // still on its way
}

TEST_F(ConsumeLoopTest, WithoutABatchWaitOnlyBufferedDeliveriesJoin) {
  std::vector<std::size_t> sizes;
  stage_.batch_sizes = &sizes;
  source_.queue = {Make(1), Make(2)};
  source_.later.push_back({std::chrono::milliseconds(1), Make(3)});
  LoopOptions options = Options();
  options.batch_max = 5;
  options.batch_wait = std::chrono::milliseconds(0);
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), options, stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2}));
  for (std::size_t i = 1; i < source_.waits.size(); ++i) {
    EXPECT_EQ(source_.waits[i], std::chrono::milliseconds(0)) << i;
  }
  EXPECT_EQ(source_.later.size(), 1u);
  // The next poll waits for it as for any first delivery.
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2", "id-3"}));
}

TEST_F(ConsumeLoopTest, BatchMaxCapsABatchGatheredDuringTheWait) {
  source_.queue.push_back(Make(1));
  for (int i = 2; i <= 4; ++i) source_.later.push_back({std::chrono::milliseconds(1), Make(i)});
  LoopOptions options = Options();
  options.batch_max = 2;
  options.batch_wait = std::chrono::seconds(1);
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), options, stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_EQ(source_.waits.size(), 2u);  // no delivery taken past the cap
  EXPECT_EQ(source_.later.size(), 2u);
  EXPECT_EQ(loop.RunOnce(stop_), 2u);
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2", "id-3", "id-4"}));
  EXPECT_EQ(store_.commits, 2);
}

TEST_F(ConsumeLoopTest, RerunsTheSameBatchAfterTheDatabaseComesBack) {
  source_.queue.push_back(Make(1));
  store_.commit_unknown_but_applied = 1;
  refuse_connects_ = 0;
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), Options(), stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  EXPECT_EQ(connects_, 2);  // the connection in doubt was replaced
  EXPECT_EQ(store_.effects.size(), 1u);
  EXPECT_TRUE(source_.acked.empty());  // held until its published mark is durable
  EXPECT_EQ(loop.RunOnce(stop_), 0u);  // an idle poll writes the mark and acks
  EXPECT_EQ(source_.acked.size(), 1u);
  EXPECT_EQ(store_.published.size(), 1u);
  EXPECT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(stats_.inbox_duplicates, 1u);
}

TEST_F(ConsumeLoopTest, WaitsOutAnUnreachableDatabaseWithoutAcking) {
  source_.queue.push_back(Make(1));
  refuse_connects_ = 3;
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), Options(), stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  EXPECT_EQ(connects_, 4);
  loop.FlushCarried();
  EXPECT_EQ(source_.acked.size(), 1u);
}

TEST_F(ConsumeLoopTest, StopDuringAnOutageLeavesTheBatchUnacked) {
  source_.queue.push_back(Make(1));
  refuse_connects_ = 1'000'000;
  stop_ = true;
  ConsumeLoop loop(processor_, source_, publisher_, Factory(), Options(), stats_);
  EXPECT_EQ(loop.RunOnce(stop_), 1u);
  EXPECT_TRUE(source_.acked.empty());
  EXPECT_TRUE(store_.effects.empty());
}

TEST_F(ConsumeLoopTest, RelayPublishesOrphanedRowsAndMarksThem) {
  OutboxRecord orphan{7, "id-9", {"paypipe.work", "sink", {}}};
  orphan.message.message.message_id = "derived-9";
  store_.outbox[7] = orphan;
  OutboxRecord published{8, "id-10", {"paypipe.work", "sink", {}}};
  published.message.message.message_id = "derived-10";
  store_.outbox[8] = published;
  store_.published.insert("derived-10");
  RelayStats relay_stats;
  OutboxRelay relay(publisher_, Factory(), RelayOptions{}, relay_stats);
  auto swept = relay.SweepOnce();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1u);
  ASSERT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(publisher_.sent[0].message.message_id, "derived-9");
  EXPECT_TRUE(store_.published.count("derived-9"));
  EXPECT_EQ(store_.standalone_marks, 0);  // marked in the transaction that claimed it
  EXPECT_EQ(relay_stats.published, 1u);
  swept = relay.SweepOnce();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0u);
}

TEST_F(ConsumeLoopTest, RelayLeavesRowsUnmarkedWhenTheBrokerIsDown) {
  OutboxRecord orphan{7, "id-9", {"paypipe.work", "sink", {}}};
  orphan.message.message.message_id = "derived-9";
  store_.outbox[7] = orphan;
  publisher_.connection_lost = true;
  RelayStats relay_stats;
  OutboxRelay relay(publisher_, Factory(), RelayOptions{}, relay_stats);
  auto swept = relay.SweepOnce();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0u);
  EXPECT_FALSE(store_.published.count("derived-9"));
  EXPECT_EQ(relay_stats.failures, 1u);
}

}  // namespace
}  // namespace paypipe::runtime
