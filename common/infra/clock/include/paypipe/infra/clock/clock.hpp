#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace paypipe::infra::clock {

using WallTime = std::chrono::system_clock::time_point;
using MonotonicTime = std::chrono::steady_clock::time_point;

// The only way paypipe code reads time. Wall time is for what people and other systems see
// (timestamps in messages, rows and logs, business dates); it may jump when the host's clock is
// corrected. Monotonic time never goes backwards and is for measuring: timeouts, backoff,
// latency, leases held by this process.
//
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  [[nodiscard]] virtual WallTime Now() const = 0;
  [[nodiscard]] virtual MonotonicTime Monotonic() const = 0;
};

// The host's clocks.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] WallTime Now() const override;
  [[nodiscard]] MonotonicTime Monotonic() const override;
};

// A clock that moves only when told to, so that tests of timeouts, backoff and schedules are
// exact and never sleep. Thread-safe: one thread may advance it while others read it.
class FakeClock final : public Clock {
 public:
  // 2024-01-01T00:00:00Z: a fixed, recognisable instant so that expected timestamps can be
  // written out literally in tests.
  static constexpr WallTime kDefaultStart{std::chrono::seconds{1704067200}};

  explicit FakeClock(WallTime start = kDefaultStart);

  [[nodiscard]] WallTime Now() const override;
  [[nodiscard]] MonotonicTime Monotonic() const override;

  // Moves both clocks forward. A negative step is a programming error (std::invalid_argument):
  // monotonic time cannot go back.
  void Advance(std::chrono::nanoseconds step);

  // Steps the wall clock alone, forwards or backwards, as an NTP correction would; monotonic time
  // is unaffected.
  void SetWallTime(WallTime wall);

 private:
  mutable std::mutex mutex_;
  WallTime wall_;
  MonotonicTime monotonic_;
};

// "2024-01-02T03:04:05.678Z": UTC, millisecond precision (truncated), the form used in logs.
[[nodiscard]] std::string FormatIso8601Millis(WallTime time);

// Writes the same text as FormatIso8601Millis into `out`, which must hold kIso8601MillisSize
// characters; returns the number written. For hot paths that must not allocate.
inline constexpr std::size_t kIso8601MillisSize = 24;
std::size_t FormatIso8601Millis(WallTime time, char* out);

}  // namespace paypipe::infra::clock
