#include <gtest/gtest.h>

#include "paypipe/sim/time_format.hpp"

namespace paypipe::sim {
namespace {

// 2026-03-01T01:00:00.123456789Z
const TimePoint kInstant =
    TimePoint(std::chrono::seconds(1772326800)) +
    std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(123'456'789));

TEST(TimeFormat, TossTimesAreKstWithOffset) {
  EXPECT_EQ(FormatKst(kInstant), "2026-03-01T10:00:00+09:00");
  EXPECT_EQ(FormatKstCompact(kInstant), "20260301100000");
}

TEST(TimeFormat, WebhookCreatedAtHasNoOffsetAndTheRequestedDigits) {
  EXPECT_EQ(FormatKstNoOffset(kInstant, 0), "2026-03-01T10:00:00");
  EXPECT_EQ(FormatKstNoOffset(kInstant, 5), "2026-03-01T10:00:00.12345");
  EXPECT_EQ(FormatKstNoOffset(kInstant, 6), "2026-03-01T10:00:00.123456");
}

TEST(TimeFormat, PortOneTimesAreUtcWithMillis) {
  EXPECT_EQ(FormatUtcMillis(kInstant), "2026-03-01T01:00:00.123Z");
  EXPECT_EQ(UnixSeconds(kInstant), 1772326800);
}

TEST(TimeFormat, KstCrossesTheDateLine) {
  const TimePoint late_utc = TimePoint(std::chrono::seconds(1772409599));  // 2026-03-01T23:59:59Z
  EXPECT_EQ(FormatKst(late_utc), "2026-03-02T08:59:59+09:00");
}

}  // namespace
}  // namespace paypipe::sim
