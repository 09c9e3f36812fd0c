#include "paypipe/infra/clock/clock.hpp"

#include <stdexcept>

namespace paypipe::infra::clock {

WallTime SystemClock::Now() const { return std::chrono::system_clock::now(); }

MonotonicTime SystemClock::Monotonic() const { return std::chrono::steady_clock::now(); }

// The fake monotonic clock starts away from the epoch so that code subtracting a timeout from
// "now" never underflows in tests.
FakeClock::FakeClock(WallTime start)
    : wall_(start), monotonic_(MonotonicTime{std::chrono::hours{24}}) {}

WallTime FakeClock::Now() const {
  std::lock_guard lock(mutex_);
  return wall_;
}

MonotonicTime FakeClock::Monotonic() const {
  std::lock_guard lock(mutex_);
  return monotonic_;
}

void FakeClock::Advance(std::chrono::nanoseconds step) {
  if (step < std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("FakeClock::Advance: negative step");
  }
  std::lock_guard lock(mutex_);
  wall_ += std::chrono::duration_cast<WallTime::duration>(step);
  monotonic_ += std::chrono::duration_cast<MonotonicTime::duration>(step);
}

void FakeClock::SetWallTime(WallTime wall) {
  std::lock_guard lock(mutex_);
  wall_ = wall;
}

namespace {

void WriteDigits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::size_t FormatIso8601Millis(WallTime time, char* out) {
  using std::chrono::milliseconds;
  const auto ms_since_epoch = std::chrono::floor<milliseconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(ms_since_epoch);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock_time{ms_since_epoch - day};

  // Years outside 0..9999 cannot be written in this fixed form; clamp rather than overflow the
  // buffer. No real clock reading gets there.
  int year = static_cast<int>(date.year());
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;

  WriteDigits(out, static_cast<unsigned>(year), 4);
  out[4] = '-';
  WriteDigits(out + 5, static_cast<unsigned>(date.month()), 2);
  out[7] = '-';
  WriteDigits(out + 8, static_cast<unsigned>(date.day()), 2);
  out[10] = 'T';
  WriteDigits(out + 11, static_cast<unsigned>(clock_time.hours().count()), 2);
  out[13] = ':';
  WriteDigits(out + 14, static_cast<unsigned>(clock_time.minutes().count()), 2);
  out[16] = ':';
  WriteDigits(out + 17, static_cast<unsigned>(clock_time.seconds().count()), 2);
  out[19] = '.';
  WriteDigits(out + 20, static_cast<unsigned>(clock_time.subseconds().count()), 3);
  out[23] = 'Z';
  return kIso8601MillisSize;
}

std::string FormatIso8601Millis(WallTime time) {
  std::string text(kIso8601MillisSize, '\0');
  text.resize(FormatIso8601Millis(time, text.data()));
  return text;
}

}  // namespace paypipe::infra::clock
