#include "paypipe/sim/time_format.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace paypipe::sim {
namespace {

using std::chrono::duration_cast;
using std::chrono::floor;

constexpr std::chrono::hours kKstOffset{9};

struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
  std::int64_t nanos;  // within the second
};

Civil ToCivil(TimePoint at) {
  const auto day_point = floor<std::chrono::days>(at);
  const std::chrono::year_month_day ymd{day_point};
  const auto in_day = duration_cast<std::chrono::nanoseconds>(at - day_point);
  const auto secs = duration_cast<std::chrono::seconds>(in_day).count();
  return Civil{static_cast<int>(ymd.year()),          static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()),      static_cast<unsigned>(secs / 3600),
               static_cast<unsigned>(secs / 60 % 60), static_cast<unsigned>(secs % 60),
               in_day.count() % 1'000'000'000};
}

std::string DateTime(const Civil& c, char separator) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u%c%02u:%02u:%02u", c.year, c.month, c.day,
                separator, c.hour, c.minute, c.second);
  return buf.data();
}

}  // namespace

std::string FormatKst(TimePoint at) { return DateTime(ToCivil(at + kKstOffset), 'T') + "+09:00"; }

std::string FormatKstNoOffset(TimePoint at, int fraction_digits) {
  const Civil c = ToCivil(at + kKstOffset);
  std::string out = DateTime(c, 'T');
  if (fraction_digits <= 0) return out;
  if (fraction_digits > 9) fraction_digits = 9;
  std::array<char, 24> nanos{};
  std::snprintf(nanos.data(), nanos.size(), "%09lld", static_cast<long long>(c.nanos));
  out.push_back('.');
  out.append(nanos.data(), static_cast<std::size_t>(fraction_digits));
  return out;
}

std::string FormatKstCompact(TimePoint at) {
  const Civil c = ToCivil(at + kKstOffset);
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d%02u%02u%02u%02u%02u", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf.data();
}

std::string FormatUtcMillis(TimePoint at) {
  const Civil c = ToCivil(at);
  std::array<char, 24> millis{};
  std::snprintf(millis.data(), millis.size(), ".%03lld",
                static_cast<long long>(c.nanos / 1'000'000));
  return DateTime(c, 'T') + millis.data() + "Z";
}

std::int64_t UnixSeconds(TimePoint at) {
  return duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace paypipe::sim
