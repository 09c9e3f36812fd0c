#pragma once

// Instants and the Korean calendar. PG times (Toss approvedAt/canceledAt in +09:00, PortOne
// unix seconds) and DATETIME(6) columns are all points in time; settlement and billing dates are
// Korean calendar dates (KST, UTC+9, no daylight saving time since 1988).

#include <chrono>

namespace paypipe::domain {

// A UTC instant with the microsecond precision of DATETIME(6).
using Instant = std::chrono::sys_time<std::chrono::microseconds>;

inline constexpr std::chrono::hours kKstOffset{9};

// The KST calendar date of an instant: 2026-03-31T15:30Z is 2026-04-01 in Seoul.
template <typename Duration>
[[nodiscard]] constexpr std::chrono::year_month_day KstDate(
    std::chrono::sys_time<Duration> instant) {
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(instant + kKstOffset)};
}

// The UTC instant at which a KST date begins (00:00 KST is 15:00Z the day before).
[[nodiscard]] constexpr Instant KstStartOfDay(std::chrono::year_month_day date) {
  return Instant{std::chrono::sys_days{date} - kKstOffset};
}

}  // namespace paypipe::domain
