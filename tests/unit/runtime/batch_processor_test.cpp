#include "paypipe/runtime/batch_processor.hpp"

#include <gtest/gtest.h>

#include "runtime_fakes.hpp"

namespace paypipe::runtime {
namespace {

using domain::Error;
using domain::Result;
using domain::Status;

using namespace testing_fakes;  // NOLINT(google-build-using-namespace)

FailurePolicy TwoTierPolicy() {
  FailurePolicy p;
  p.tiers = {{"short", std::chrono::seconds(1)}, {"long", std::chrono::seconds(10)}};
  p.max_attempts = 3;
  p.max_transaction_reruns = 2;
  return p;
}

// A BatchProcessor for `StageT` over the in-memory fakes.
template <typename StageT>
class ProcessorTest : public testing::Test {
 protected:
  ProcessorTest()
      : faults_(std::move(FaultPoints::FromSpec("")).value()),
        processor_(stage_, TwoTierPolicy(), stats_, *faults_,
                   [] { return std::int64_t{1700000000}; }) {}
  // Processes one batch and settles it completely, as the consume loop does when no batch
  // follows (the published marks written on their own, the deliveries acked).
  Status Run(const std::vector<Delivery>& batch) {
    PAYPIPE_RETURN_IF_ERROR(Process(batch));
    return processor_.Flush(Ports{source_, publisher_, store_});
  }
  // Processes one batch only: its marks and acks stay carried until the next batch commits.
  Status Process(const std::vector<Delivery>& batch) {
    return processor_.Process(batch, Ports{source_, publisher_, store_});
  }

  StageT stage_;
  StageStats stats_;
  std::unique_ptr<FaultPoints> faults_;
  BatchProcessor processor_;
  FakeStore store_;
  FakePublisher publisher_;
  FakeSource source_;
};

class BatchProcessorTest : public ProcessorTest<FakeStage> {
 protected:
  BatchProcessorTest() { stage_.deadlocks_left = &deadlocks_left_; }
  std::vector<OutboundMessage> SentTo(std::string_view exchange) const {
    std::vector<OutboundMessage> out;
    for (const auto& m : publisher_.sent) {
      if (m.exchange == exchange) out.push_back(m);
    }
    return out;
  }

  int deadlocks_left_ = 0;
};

TEST_F(BatchProcessorTest, HappyBatchCommitsOncePublishesInOneRoundTripAndAcks) {
  ASSERT_TRUE(Run({Make(1), Make(2), Make(3)}).ok());
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2", "id-3"}));
  ASSERT_EQ(publisher_.sent.size(), 3u);
  EXPECT_EQ(publisher_.round_trips, 1);
  EXPECT_EQ(store_.published.size(), 3u);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(publisher_.sent[0].message.message_id, DerivedMessageId("id-1", "test", 0));
  EXPECT_EQ(publisher_.sent[0].message.correlation_id, "order-1");
  EXPECT_EQ(stats_.committed, 3u);
  EXPECT_EQ(stats_.batch_fallbacks, 0u);
}

TEST_F(BatchProcessorTest, MarksRideInTheNextBatchsTransactionAndTheAckWaitsForThem) {
  ASSERT_TRUE(Process({Make(1), Make(2)}).ok());
  EXPECT_EQ(publisher_.sent.size(), 2u);
  EXPECT_TRUE(store_.published.empty());
  EXPECT_TRUE(source_.acked.empty());  // publish → mark → ack: the mark is not durable yet

  ASSERT_TRUE(Process({Make(3)}).ok());
  EXPECT_EQ(store_.commits, 2);  // no transaction of their own for the marks
  EXPECT_EQ(store_.standalone_marks, 0);
  EXPECT_EQ(store_.published, (std::set<std::string>{DerivedMessageId("id-1", "test", 0),
                                                     DerivedMessageId("id-2", "test", 0)}));
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2}));

  ASSERT_TRUE(processor_.Flush(Ports{source_, publisher_, store_}).ok());
  EXPECT_EQ(store_.standalone_marks, 1);
  EXPECT_EQ(store_.published.size(), 3u);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(stats_.acked, 3u);
  EXPECT_EQ(stats_.outbox_published, 3u);
}

TEST_F(BatchProcessorTest, CarriedMarksSurviveAFailedUnitAndRideInTheRerun) {
  ASSERT_TRUE(Process({Make(1)}).ok());
  store_.broken = true;
  ASSERT_FALSE(Process({Make(2)}).ok());
  EXPECT_TRUE(store_.published.empty());
  EXPECT_TRUE(source_.acked.empty());
  store_.broken = false;
  ASSERT_TRUE(Process({Make(2)}).ok());
  EXPECT_EQ(store_.published, (std::set<std::string>{DerivedMessageId("id-1", "test", 0)}));
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2"}));
}

TEST_F(BatchProcessorTest, BatchWithoutACommitWritesTheCarriedMarksFirst) {
  ASSERT_TRUE(Process({Make(1)}).ok());
  ASSERT_TRUE(Process({Make(2, "permanent")}).ok());  // rolled back, dead-lettered
  EXPECT_EQ(store_.standalone_marks, 1);
  EXPECT_EQ(store_.published.size(), 1u);
  // Batch 1 acked once its mark was durable, then batch 2 at once (nothing of it to mark).
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(BatchProcessorTest, StageGetsTheBatchsNewMessagesInOneCall) {
  std::vector<std::size_t> sizes;
  stage_.batch_sizes = &sizes;
  ASSERT_TRUE(Run({Make(1), Make(2), Make(3)}).ok());
  ASSERT_TRUE(Run({Make(1)}).ok());                    // a single message: Handle
  ASSERT_TRUE(Run({Make(2), Make(4), Make(5)}).ok());  // id-2 is a duplicate
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 2}));
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2", "id-3", "id-4", "id-5"}));
  EXPECT_EQ(store_.commits, 3);
}

TEST_F(BatchProcessorTest, DuplicateRepublishesUnpublishedRowsWithoutRedoingEffects) {
  store_.fail_mark = true;  // first run: published but never marked
  ASSERT_TRUE(Run({Make(1)}).ok());
  EXPECT_TRUE(processor_.TakeStoreBroken());
  store_.fail_mark = false;
  ASSERT_TRUE(Run({Make(1), Make(2)}).ok());
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2"}));
  EXPECT_EQ(stats_.inbox_duplicates, 1u);
  // id-1's row went out twice (at least once), id-2's once; all marked now.
  EXPECT_EQ(publisher_.sent.size(), 3u);
  EXPECT_EQ(store_.published.size(), 2u);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 1, 2}));
}

TEST_F(BatchProcessorTest, FailingMessageDoesNotPoisonItsBatchMates) {
  ASSERT_TRUE(Run({Make(1), Make(2, "permanent"), Make(3, "throw"), Make(4)}).ok());
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-4"}));
  EXPECT_EQ(stats_.batch_fallbacks, 1u);
  const auto dead = SentTo(kDeadLetterExchange);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].message.message_id, "id-2");
  EXPECT_EQ(std::get<std::string>(dead[0].message.headers.at("x-paypipe-error-code")), "BAD_INPUT");
  EXPECT_EQ(std::get<std::string>(dead[1].message.headers.at("x-paypipe-error-code")),
            "STAGE_EXCEPTION");
  EXPECT_EQ(std::get<std::string>(dead[1].message.headers.at("x-paypipe-stage")), "test");
  EXPECT_EQ(source_.acked.size(), 4u);
  EXPECT_EQ(stats_.dead_lettered, 2u);
  // Dead-lettered messages leave no inbox row, so a replay from the parking lot runs again.
  EXPECT_EQ(store_.inbox.count({"test", "id-2"}), 0u);
}

TEST_F(BatchProcessorTest, TransientFailureGoesToItsTierWithTheNextAttempt) {
  ASSERT_TRUE(Run({Make(1, "transient", 1)}).ok());
  const auto retried = SentTo(kRetryExchange);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].routing_key, "test.long");
  EXPECT_EQ(std::get<std::int64_t>(retried[0].message.headers.at("x-attempt")), 2);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(stats_.retried, 1u);
}

TEST_F(BatchProcessorTest, TransientFailureIsDeadLetteredWhenExhausted) {
  ASSERT_TRUE(Run({Make(1, "transient", 2)}).ok());
  EXPECT_TRUE(SentTo(kRetryExchange).empty());
  const auto dead = SentTo(kDeadLetterExchange);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(std::get<std::string>(dead[0].message.headers.at("x-paypipe-error-kind")), "transient");
  EXPECT_EQ(std::get<std::int64_t>(dead[0].message.headers.at("x-paypipe-attempts")), 3);
}

TEST_F(BatchProcessorTest, DeadlocksRerunTheUnitAndCommitOnce) {
  deadlocks_left_ = 2;
  store_.deadlocks_on_inbox = 1;
  ASSERT_TRUE(Run({Make(1, "deadlock"), Make(2)}).ok());
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2"}));
  EXPECT_GE(stats_.transaction_reruns, 2u);
  EXPECT_EQ(source_.acked.size(), 2u);
}

TEST_F(BatchProcessorTest, UnknownTypeIsDeadLetteredWithoutTouchingTheDatabase) {
  Delivery d = Make(1);
  d.message.type = "test.unknown";
  store_.broken = true;
  ASSERT_TRUE(Run({d}).ok());
  const auto dead = SentTo(kDeadLetterExchange);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(std::get<std::string>(dead[0].message.headers.at("x-paypipe-error-code")),
            kUnknownMessageType);
  EXPECT_EQ(source_.acked.size(), 1u);
}

TEST_F(BatchProcessorTest, UnknownCommitOutcomeIsNotAckedAndTheRerunIsSafe) {
  store_.commit_unknown_but_applied = 1;
  const std::vector<Delivery> batch = {Make(1), Make(2)};
  Status first = Run(batch);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, kDbCommitOutcomeUnknown);
  EXPECT_TRUE(source_.acked.empty());
  EXPECT_TRUE(publisher_.sent.empty());
  ASSERT_TRUE(Run(batch).ok());
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"id-1", "id-2"}));
  EXPECT_EQ(publisher_.sent.size(), 2u);
  EXPECT_EQ(source_.acked.size(), 2u);
}

TEST_F(BatchProcessorTest, BrokerLossBeforeConfirmAcksNothingAndTheRerunPublishes) {
  publisher_.connection_lost = true;
  const std::vector<Delivery> batch = {Make(1)};
  Status first = Run(batch);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, kBrokerConnectionLost);
  EXPECT_TRUE(source_.acked.empty());
  publisher_.connection_lost = false;
  ASSERT_TRUE(Run(batch).ok());
  EXPECT_EQ(store_.effects.size(), 1u);
  EXPECT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(store_.published.size(), 1u);
  EXPECT_EQ(source_.acked.size(), 1u);
}

TEST_F(BatchProcessorTest, UnroutableDeadLetterRequeuesInsteadOfLosingTheMessage) {
  publisher_.unroutable_exchanges.insert(std::string(kDeadLetterExchange));
  ASSERT_TRUE(Run({Make(1, "permanent"), Make(2)}).ok());
  EXPECT_EQ(source_.requeued, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{2}));
}

TEST_F(BatchProcessorTest, UnroutableOutboxRowStaysForTheRelayAndTheDeliveryIsAcked) {
  publisher_.unroutable_exchanges.insert(std::string(kWorkExchange));
  ASSERT_TRUE(Run({Make(1)}).ok());
  EXPECT_EQ(source_.acked.size(), 1u);
  EXPECT_TRUE(store_.published.empty());
  EXPECT_EQ(store_.outbox.size(), 1u);
  EXPECT_EQ(stats_.publish_failures, 1u);
}

TEST_F(BatchProcessorTest, BrokenDatabaseAbandonsTheBatchUnacked) {
  store_.broken = true;
  Status result = Run({Make(1), Make(2)});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(IsConnectionLoss(result.error()));
  EXPECT_TRUE(source_.acked.empty());
  EXPECT_TRUE(publisher_.sent.empty());
}

// A stage with an external call: Prepare runs outside the transaction, once per new message.
class PrepareTest : public ProcessorTest<FakeCallingStage> {
 protected:
  PrepareTest() {
    stage_.calls = &calls_;
    stage_.prepared_batches = &prepared_batches_;
  }
  static Delivery WithPrepareFailure(int n, const std::string& fail, int attempt = 0) {
    Delivery d = Make(n, "", attempt);
    d.message.body = nlohmann::json{{"schema_version", 1}, {"prepare_fail", fail}}.dump();
    return d;
  }
  // A message whose result from PrepareBatch (answering by itself) is the failure `fail`.
  static Delivery WithBatchFailure(int n, const std::string& fail) {
    Delivery d = Make(n);
    d.message.body = nlohmann::json{{"schema_version", 1}, {"batch_fail", fail}}.dump();
    return d;
  }

  int calls_ = 0;  // Prepare calls
  std::vector<std::vector<std::string>> prepared_batches_;
};

TEST_F(PrepareTest, ResultOfTheCallReachesHandleAndCommitsWithTheBatch) {
  ASSERT_TRUE(Run({Make(1), Make(2)}).ok());
  EXPECT_EQ(calls_, 2);
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"approved-id-1", "approved-id-2"}));
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(PrepareTest, AMessageTheInboxHoldsIsNotCalledAgain) {
  ASSERT_TRUE(Run({Make(1)}).ok());
  ASSERT_TRUE(Run({Make(1)}).ok());  // redelivered after its commit
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(stats_.inbox_duplicates, 1u);
  EXPECT_EQ(store_.effects.size(), 1u);
}

TEST_F(PrepareTest, TransientCallFailureGoesToARetryTierWithoutATransaction) {
  ASSERT_TRUE(Run({WithPrepareFailure(1, "transient"), Make(2)}).ok());
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"approved-id-2"}));
  const auto retried = publisher_.sent;
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].exchange, kRetryExchange);
  EXPECT_EQ(stats_.retried, 1u);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(PrepareTest, PermanentFailureOrExceptionIsDeadLettered) {
  ASSERT_TRUE(Run({WithPrepareFailure(1, "permanent"), WithPrepareFailure(2, "throw")}).ok());
  EXPECT_TRUE(store_.effects.empty());
  EXPECT_EQ(stats_.dead_lettered, 2u);
  ASSERT_EQ(publisher_.sent.size(), 2u);
  EXPECT_EQ(publisher_.sent[0].exchange, kDeadLetterExchange);
}

TEST_F(PrepareTest, LostDatabaseBeforeTheCallAcksNothing) {
  store_.broken = true;
  EXPECT_FALSE(Run({Make(1)}).ok());
  EXPECT_EQ(calls_, 0);
  EXPECT_TRUE(source_.acked.empty());
}

TEST_F(PrepareTest, PrepareBatchGetsExactlyTheNewMessagesInBatchOrderInOneCall) {
  stage_.batch_prepare = FakeCallingStage::BatchPrepare::kItself;
  ASSERT_TRUE(Run({Make(2)}).ok());
  ASSERT_TRUE(Run({Make(3), Make(2), Make(1), Make(4)}).ok());  // id-2 is in the inbox
  ASSERT_TRUE(Run({Make(1), Make(4)}).ok());                    // nothing new: no call
  EXPECT_EQ(prepared_batches_,
            (std::vector<std::vector<std::string>>{{"id-2"}, {"id-3", "id-1", "id-4"}}));
  EXPECT_EQ(calls_, 0);
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"batched-id-1", "batched-id-2",
                                                        "batched-id-3", "batched-id-4"}));
  EXPECT_EQ(stats_.inbox_duplicates, 3u);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{2, 3, 2, 1, 4, 1, 4}));
}

TEST_F(PrepareTest, TransientErrorOfOneMessageGoesToItsRetryTierWhileItsBatchMatesCommit) {
  stage_.batch_prepare = FakeCallingStage::BatchPrepare::kItself;
  ASSERT_TRUE(Run({Make(1), WithBatchFailure(2, "transient"), Make(3)}).ok());
  EXPECT_EQ(calls_, 0);  // decided as a failed Prepare, not prepared again
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"batched-id-1", "batched-id-3"}));
  EXPECT_EQ(store_.commits, 1);
  ASSERT_EQ(publisher_.sent.size(), 1u);
  EXPECT_EQ(publisher_.sent[0].exchange, kRetryExchange);
  EXPECT_EQ(publisher_.sent[0].routing_key, "test.short");
  EXPECT_EQ(publisher_.sent[0].message.correlation_id, "order-2");
  EXPECT_EQ(std::get<std::int64_t>(publisher_.sent[0].message.headers.at("x-attempt")), 1);
  EXPECT_EQ(stats_.retried, 1u);
  EXPECT_EQ(store_.inbox.count({"test", "id-2"}), 0u);
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(PrepareTest, RetryTransactionErrorOfOneMessageIsPreparedAgainThroughPrepare) {
  stage_.batch_prepare = FakeCallingStage::BatchPrepare::kItself;
  ASSERT_TRUE(Run({Make(1), WithBatchFailure(2, "retry"), Make(3)}).ok());
  EXPECT_EQ(prepared_batches_.size(), 1u);
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(stats_.transaction_reruns, 1u);
  EXPECT_EQ(store_.effects,
            (std::multiset<std::string>{"batched-id-1", "approved-id-2", "batched-id-3"}));
  EXPECT_TRUE(publisher_.sent.empty());  // nothing retried or dead-lettered
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(PrepareTest, AResultOfTheWrongSizePreparesEveryMessageThroughPrepare) {
  stage_.batch_prepare = FakeCallingStage::BatchPrepare::kWrongSize;
  ASSERT_TRUE(Run({Make(1), Make(2), Make(3)}).ok());
  EXPECT_EQ(prepared_batches_.size(), 1u);
  EXPECT_EQ(calls_, 3);
  EXPECT_EQ(store_.effects,
            (std::multiset<std::string>{"approved-id-1", "approved-id-2", "approved-id-3"}));
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(PrepareTest, AnExceptionFromPrepareBatchPreparesEveryMessageThroughPrepare) {
  stage_.batch_prepare = FakeCallingStage::BatchPrepare::kThrows;
  ASSERT_TRUE(Run({Make(1), WithPrepareFailure(2, "permanent"), Make(3)}).ok());
  EXPECT_EQ(prepared_batches_.size(), 1u);
  EXPECT_EQ(calls_, 3);
  EXPECT_EQ(store_.effects, (std::multiset<std::string>{"approved-id-1", "approved-id-3"}));
  EXPECT_EQ(stats_.dead_lettered, 1u);  // Prepare's own failure still decides its message
  EXPECT_EQ(source_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(PrepareTest, LostDatabaseInTheBatchsResultsAcksNothing) {
  stage_.batch_prepare = FakeCallingStage::BatchPrepare::kItself;
  const Status result = Run({Make(1), WithBatchFailure(2, "lost"), Make(3)});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(IsConnectionLoss(result.error()));
  EXPECT_EQ(calls_, 0);
  EXPECT_EQ(store_.commits, 0);
  EXPECT_TRUE(store_.effects.empty());
  EXPECT_TRUE(publisher_.sent.empty());
  EXPECT_TRUE(source_.acked.empty());
}

}  // namespace
}  // namespace paypipe::runtime
