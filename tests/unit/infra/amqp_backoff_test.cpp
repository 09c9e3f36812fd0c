#include <gtest/gtest.h>

#include <vector>

#include "paypipe/infra/amqp/backoff.hpp"

namespace paypipe::infra::amqp {
namespace {

using std::chrono::milliseconds;

BackoffOptions Bounds() {
  BackoffOptions options;
  options.initial = milliseconds(100);
  options.max = milliseconds(1'000);
  options.multiplier = 2.0;
  return options;
}

std::vector<std::int64_t> Delays(Backoff& backoff, int count) {
  std::vector<std::int64_t> delays;
  for (int i = 0; i < count; ++i) delays.push_back(backoff.Next().count());
  return delays;
}

TEST(AmqpBackoff, LowestJitterIsHalfTheExponentialCeiling) {
  Backoff backoff(Bounds(), [] { return 0.0; });
  EXPECT_EQ(Delays(backoff, 6), (std::vector<std::int64_t>{50, 100, 200, 400, 500, 500}));
}

TEST(AmqpBackoff, HighestJitterReachesTheCeilingAndTheCap) {
  Backoff backoff(Bounds(), [] { return 1.0; });
  EXPECT_EQ(Delays(backoff, 6), (std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000}));
}

TEST(AmqpBackoff, ResetStartsOverAndCountsFailures) {
  Backoff backoff(Bounds(), [] { return 1.0; });
  static_cast<void>(Delays(backoff, 3));
  EXPECT_EQ(backoff.failures(), 3U);
  backoff.Reset();
  EXPECT_EQ(backoff.failures(), 0U);
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

TEST(AmqpBackoff, OutOfRangeRandomValuesAreClamped) {
  Backoff backoff(Bounds(), [] { return 7.0; });
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

TEST(AmqpBackoff, DefaultRandomStaysWithinTheJitterBounds) {
  Backoff backoff(Bounds());
  std::int64_t ceiling = 100;
  bool varied = false;
  std::int64_t first_capped = -1;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t delay = backoff.Next().count();
    EXPECT_GE(delay, ceiling / 2) << i;
    EXPECT_LE(delay, ceiling) << i;
    if (ceiling == 1'000) {
      if (first_capped >= 0 && delay != first_capped) varied = true;
      if (first_capped < 0) first_capped = delay;
    }
    ceiling = std::min<std::int64_t>(ceiling * 2, 1'000);
  }
  EXPECT_TRUE(varied) << "jitter should spread the delays";
}

TEST(AmqpBackoff, HugeFailureCountsStayAtTheCap) {
  Backoff backoff(Bounds(), [] { return 1.0; });
  for (int i = 0; i < 5'000; ++i) static_cast<void>(backoff.Next());
  EXPECT_EQ(backoff.Next(), milliseconds(1'000));
}

}  // namespace
}  // namespace paypipe::infra::amqp
