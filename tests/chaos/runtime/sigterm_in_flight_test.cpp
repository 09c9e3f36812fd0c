// SIGTERM while a worker is busy with a backlog: it finishes the batches in hand and exits 0
// within the grace period, leaving nothing half done, and the next worker completes the backlog
// with every effect exactly once and every follow-up.
#include <gtest/gtest.h>

#include "chaos_fixture.hpp"

namespace paypipe::runtime::test {
namespace {

using SigtermTest = ChaosTest;

TEST_F(SigtermTest, StopWithMessagesInFlightLosesNothing) {
  constexpr int kMessages = 3'000;
  constexpr auto kGrace = 10s;
  PublishRange(0, kMessages);

  WorkerSettings settings;
  settings.concurrency = 4;
  settings.shutdown_grace = "10s";
  auto first = SpawnWorker(settings);
  ASSERT_TRUE(Eventually([&] { return EffectRows() >= 300; }, 60s)) << first->ErrTail();

  const auto signalled = std::chrono::steady_clock::now();
  first->Signal(SIGTERM);
  const std::optional<int> status = first->Wait(kGrace + 5s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  ASSERT_EQ(status, 0) << first->ErrTail();
  EXPECT_LT(took, kGrace);
  RecordProperty(
      "stop_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

  const std::int64_t effects_at_stop = EffectRows();
  RecordProperty("effects_at_stop", static_cast<int>(effects_at_stop));
  // Otherwise nothing was in flight and the stop proved nothing.
  ASSERT_LT(effects_at_stop, kMessages);
  EXPECT_EQ(MaxEffectsPerMessage(), 1);
  // A graceful stop settles the batches in hand: what committed was published and acked, and
  // everything else (prefetched or not yet delivered) is back in the queue.
  EXPECT_EQ(UnpublishedOutbox(), 0);
  EXPECT_TRUE(Eventually([&] {
    return WorkQueueReady() == static_cast<std::uint32_t>(kMessages - effects_at_stop);
  })) << "ready "
      << WorkQueueReady() << ", expected " << kMessages - effects_at_stop;

  auto second = SpawnWorker(settings);
  EXPECT_TRUE(AwaitSettled(kMessages, 120s)) << "effects " << DistinctEffects() << "/" << kMessages
                                             << ", unpublished " << UnpublishedOutbox() << "\n"
                                             << second->ErrTail();
  const SinkTally tally = DrainSink(kMessages, 60s);
  RecordProperty("sink_duplicates", static_cast<int>(tally.duplicates()));
  ExpectExactlyOnce(kMessages, tally);

  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(kGrace + 5s), 0) << second->ErrTail();
}

}  // namespace
}  // namespace paypipe::runtime::test
