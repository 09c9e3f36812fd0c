// A worker dies at each crash point of the consume protocol (PAYPIPE_FAULT_POINT: _exit(137) on
// the n-th hit) in the middle of a backlog; a worker started afterwards finishes the backlog and
// nothing is lost or doubled: one effect per message, every outbox row published, every
// follow-up on the sink.
#include <gtest/gtest.h>

#include "chaos_fixture.hpp"

namespace paypipe::runtime::test {
namespace {

struct CrashCase {
  const char* point;        // PAYPIPE_FAULT_POINT name
  int hit;                  // dies on this hit of the point
  bool leaves_unpublished;  // the dying unit committed outbox rows that were not marked published
  bool leaves_unacked;      // the dying unit committed effects whose deliveries were not acked
};

class FaultPointCrashTest : public ChaosTest {
 protected:
  void CrashThenRestart(const CrashCase& crash) {
    constexpr int kMessages = 400;
    // The whole backlog is queued first, so the armed worker is busy when it reaches the point;
    // small batches make the point come around often (each unit of work hits it once).
    PublishRange(0, kMessages);

    WorkerSettings armed;
    armed.fault_point = std::string(crash.point) + ":" + std::to_string(crash.hit);
    armed.batch_size = 8;
    auto doomed = SpawnWorker(armed);
    const std::optional<int> status = doomed->Wait(60s);
    // Anything else means the point never fired and this test would prove nothing.
    ASSERT_EQ(status, kExitFaultPoint) << doomed->ErrTail();

    const std::int64_t effects_at_crash = EffectRows();
    RecordProperty("effects_at_crash", static_cast<int>(effects_at_crash));
    ASSERT_LT(effects_at_crash, kMessages) << "the crash must leave work for the next worker";
    if (crash.leaves_unpublished) {
      // Committed, then died before marking: the rows wait for the redelivery or the relay.
      EXPECT_GT(UnpublishedOutbox(), 0);
    }
    if (crash.leaves_unacked) {
      // Deliveries whose effects committed went back to the queue with the dead connection.
      EXPECT_TRUE(Eventually([&] {
        return WorkQueueReady() > static_cast<std::uint32_t>(kMessages - EffectRows());
      })) << "ready "
          << WorkQueueReady() << ", effects " << EffectRows();
    }

    auto successor = SpawnWorker();
    EXPECT_TRUE(AwaitSettled(kMessages, 90s)) << "effects " << DistinctEffects() << "/" << kMessages
                                              << ", unpublished " << UnpublishedOutbox() << "\n"
                                              << successor->ErrTail();
    const SinkTally tally = DrainSink(kMessages, 60s);
    RecordProperty("sink_deliveries", static_cast<int>(tally.deliveries));
    RecordProperty("sink_duplicates", static_cast<int>(tally.duplicates()));
    ExpectExactlyOnce(kMessages, tally);

    successor->Signal(SIGTERM);
    EXPECT_EQ(successor->Wait(15s), 0) << successor->ErrTail();
  }
};

// Inbox row inserted, transaction open: the rollback undoes everything, redelivery redoes it.
TEST_F(FaultPointCrashTest, AfterInboxInsert) {
  CrashThenRestart({"after_inbox_insert", 5, false, false});
}

// Committed, nothing published: the redelivery finds its inbox row and publishes the rows (or the
// relay does).
TEST_F(FaultPointCrashTest, AfterCommitBeforePublish) {
  CrashThenRestart({"after_commit_before_publish", 9, true, true});
}

// Follow-ups confirmed but not marked: published again (duplicates on the wire), effects once.
TEST_F(FaultPointCrashTest, AfterPublishBeforeMark) {
  CrashThenRestart({"after_publish_before_mark", 13, true, true});
}

// Everything done but the ack: the redelivery is a duplicate with nothing left to publish.
TEST_F(FaultPointCrashTest, AfterMarkBeforeAck) {
  CrashThenRestart({"after_mark_before_ack", 17, false, true});
}

}  // namespace
}  // namespace paypipe::runtime::test
