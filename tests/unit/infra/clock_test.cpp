#include "paypipe/infra/clock/clock.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace paypipe::infra::clock {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

WallTime FromMillis(std::int64_t ms) { return WallTime{milliseconds{ms}}; }

TEST(FakeClock, StartsAtAFixedInstant) {
  const FakeClock clock;
  EXPECT_EQ(FormatIso8601Millis(clock.Now()), "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(clock.Now(), FakeClock::kDefaultStart);
  const FakeClock other(FromMillis(86'400'000));
  EXPECT_EQ(FormatIso8601Millis(other.Now()), "1970-01-02T00:00:00.000Z");
}

TEST(FakeClock, AdvanceMovesWallAndMonotonicTogether) {
  FakeClock clock;
  const WallTime wall = clock.Now();
  const MonotonicTime mono = clock.Monotonic();
  clock.Advance(milliseconds{1500});
  EXPECT_EQ(clock.Now() - wall, milliseconds{1500});
  EXPECT_EQ(clock.Monotonic() - mono, milliseconds{1500});
  clock.Advance(std::chrono::nanoseconds{0});
  EXPECT_EQ(clock.Monotonic() - mono, milliseconds{1500});
}

TEST(FakeClock, RefusesToRunBackwards) {
  FakeClock clock;
  const MonotonicTime mono = clock.Monotonic();
  EXPECT_THROW(clock.Advance(-milliseconds{1}), std::invalid_argument);
  EXPECT_EQ(clock.Monotonic(), mono);
}

TEST(FakeClock, WallTimeStepLeavesMonotonicTimeAlone) {
  FakeClock clock;
  const MonotonicTime mono = clock.Monotonic();
  clock.SetWallTime(FakeClock::kDefaultStart - std::chrono::hours{1});
  EXPECT_EQ(FormatIso8601Millis(clock.Now()), "2023-12-31T23:00:00.000Z");
  EXPECT_EQ(clock.Monotonic(), mono);
}

TEST(FakeClock, ConcurrentAdvancesAreNotLost) {
  FakeClock clock;
  const MonotonicTime start = clock.Monotonic();
  constexpr int kThreads = 8;
  constexpr int kSteps = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < kSteps; ++i) {
        clock.Advance(milliseconds{1});
        (void)clock.Now();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(clock.Monotonic() - start, milliseconds{kThreads * kSteps});
  EXPECT_EQ(clock.Now() - FakeClock::kDefaultStart, milliseconds{kThreads * kSteps});
}

TEST(FakeClock, IsUsableThroughTheInterface) {
  FakeClock fake;
  const Clock& clock = fake;
  fake.Advance(seconds{3});
  EXPECT_EQ(FormatIso8601Millis(clock.Now()), "2024-01-01T00:00:03.000Z");
}

TEST(SystemClock, MonotonicTimeDoesNotGoBackwards) {
  const SystemClock clock;
  MonotonicTime previous = clock.Monotonic();
  for (int i = 0; i < 1000; ++i) {
    const MonotonicTime now = clock.Monotonic();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(SystemClock, WallTimeIsTheHostsTime) {
  const SystemClock clock;
  const auto before = std::chrono::system_clock::now();
  const WallTime now = clock.Now();
  const auto after = std::chrono::system_clock::now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(FormatIso8601Millis, WritesUtcWithMilliseconds) {
  EXPECT_EQ(FormatIso8601Millis(FromMillis(0)), "1970-01-01T00:00:00.000Z");
  // 2024-02-29T23:59:59.999Z, a leap day.
  EXPECT_EQ(FormatIso8601Millis(FromMillis(1709251199999)), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Millis(FromMillis(1709251200000)), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(FromMillis(7258118399999)), "2199-12-31T23:59:59.999Z");
}

TEST(FormatIso8601Millis, TruncatesSubMillisecondsTowardsThePast) {
  EXPECT_EQ(FormatIso8601Millis(FromMillis(1) + std::chrono::microseconds{999}),
            "1970-01-01T00:00:00.001Z");
  // Before the epoch, truncation must still go to the earlier millisecond, not towards zero.
  EXPECT_EQ(FormatIso8601Millis(WallTime{-std::chrono::microseconds{1}}),
            "1969-12-31T23:59:59.999Z");
}

TEST(FormatIso8601Millis, BufferFormMatchesStringForm) {
  char buffer[kIso8601MillisSize];
  const WallTime time = FromMillis(1704067200123);
  const std::size_t size = FormatIso8601Millis(time, buffer);
  EXPECT_EQ(std::string(buffer, size), FormatIso8601Millis(time));
  EXPECT_EQ(std::string(buffer, size), "2024-01-01T00:00:00.123Z");
}

}  // namespace
}  // namespace paypipe::infra::clock
