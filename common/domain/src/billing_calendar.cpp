#include "paypipe/domain/billing_calendar.hpp"

#include <string>

namespace paypipe::domain {
namespace {

using std::chrono::day;
using std::chrono::days;
using std::chrono::last;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

// No cycle is shorter than a week and 9,000 years hold fewer than 470,000 weeks: a bound on n
// that every real date satisfies and that keeps the date arithmetic below far from overflow.
constexpr std::int64_t kMaxCycles = 1'000'000;

std::string Describe(year_month_day date) {
  return std::to_string(static_cast<int>(date.year())) + "-" +
         std::to_string(static_cast<unsigned>(date.month())) + "-" +
         std::to_string(static_cast<unsigned>(date.day()));
}

Error OutOfRange(year_month_day anchor, std::int64_t n) {
  return Error::Permanent(std::string(kBillingDateOutOfRange),
                          "billing date #" + std::to_string(n) + " from " + Describe(anchor) +
                              " is outside the years " +
                              std::to_string(static_cast<int>(kFirstBillingYear)) + ".." +
                              std::to_string(static_cast<int>(kLastBillingYear)));
}

// The anchor's day in (y, m), or the month's last day when the month is shorter.
year_month_day Clamped(year y, month m, day anchor_day) {
  const day last_day = (y / m / last).day();
  return y / m / (anchor_day < last_day ? anchor_day : last_day);
}

bool InRange(year_month_day date) {
  return date.year() >= kFirstBillingYear && date.year() <= kLastBillingYear;
}

}  // namespace

Result<BillingCycle> ParseBillingCycle(std::string_view text) {
  if (text == "WEEKLY") return BillingCycle::kWeekly;
  if (text == "MONTHLY") return BillingCycle::kMonthly;
  if (text == "YEARLY") return BillingCycle::kYearly;
  return Error::Permanent(
      std::string(kBillingCycleUnsupported),
      "billing cycle '" + std::string(text) + "' is not supported (WEEKLY, MONTHLY, YEARLY)");
}

const char* ToString(BillingCycle cycle) {
  switch (cycle) {
    case BillingCycle::kWeekly:
      return "WEEKLY";
    case BillingCycle::kMonthly:
      return "MONTHLY";
    case BillingCycle::kYearly:
      return "YEARLY";
  }
  return "UNKNOWN";
}

Result<year_month_day> BillingDate(year_month_day anchor, BillingCycle cycle, std::int64_t n) {
  if (!anchor.ok() || !InRange(anchor)) {
    return Error::Permanent(std::string(kBillingDateInvalid),
                            "billing anchor " + Describe(anchor) + " is not a valid date");
  }
  if (n < 0 || n > kMaxCycles) return OutOfRange(anchor, n);
  year_month_day date{};  // every cycle sets it; {} keeps -O2 from doubting that
  switch (cycle) {
    case BillingCycle::kWeekly:
      date = year_month_day{sys_days{anchor} + days{7 * n}};
      break;
    case BillingCycle::kMonthly: {
      const std::int64_t months = static_cast<std::int64_t>(static_cast<int>(anchor.year())) * 12 +
                                  (static_cast<unsigned>(anchor.month()) - 1) + n;
      const std::int64_t y = months / 12;
      if (y > static_cast<int>(kLastBillingYear)) return OutOfRange(anchor, n);
      date = Clamped(year{static_cast<int>(y)}, month{static_cast<unsigned>(months % 12 + 1)},
                     anchor.day());
      break;
    }
    case BillingCycle::kYearly: {
      const std::int64_t y = static_cast<int>(anchor.year()) + n;
      if (y > static_cast<int>(kLastBillingYear)) return OutOfRange(anchor, n);
      date = Clamped(year{static_cast<int>(y)}, anchor.month(), anchor.day());
      break;
    }
  }
  if (!InRange(date)) return OutOfRange(anchor, n);
  return date;
}

Result<BillingPeriod> NthBillingPeriod(year_month_day anchor, BillingCycle cycle, std::int64_t n) {
  auto start = BillingDate(anchor, cycle, n);
  if (!start.ok()) return Fail(start.error());
  auto next = BillingDate(anchor, cycle, n + 1);
  if (!next.ok()) return Fail(next.error());
  return BillingPeriod{n, *start, year_month_day{sys_days{*next} - days{1}}, *next};
}

Result<BillingPeriod> BillingPeriodContaining(year_month_day anchor, BillingCycle cycle,
                                              year_month_day date) {
  if (!date.ok()) {
    return Error::Permanent(std::string(kBillingDateInvalid),
                            Describe(date) + " is not a valid date");
  }
  auto first = BillingDate(anchor, cycle, 0);  // validates the anchor
  if (!first.ok()) return Fail(first.error());
  if (date < anchor) {
    return Error::Permanent(std::string(kBillingDateBeforeAnchor),
                            Describe(date) + " precedes the billing anchor " + Describe(anchor));
  }
  std::int64_t n = 0;
  switch (cycle) {
    case BillingCycle::kWeekly:
      n = (sys_days{date} - sys_days{anchor}).count() / 7;
      break;
    case BillingCycle::kMonthly:
      n = (static_cast<int>(date.year()) - static_cast<int>(anchor.year())) * 12 +
          (static_cast<int>(static_cast<unsigned>(date.month())) -
           static_cast<int>(static_cast<unsigned>(anchor.month())));
      break;
    case BillingCycle::kYearly:
      n = static_cast<int>(date.year()) - static_cast<int>(anchor.year());
      break;
  }
  // For months and years, n cycles land in the date's own month or year: one too many when the
  // (clamped) anchor day is still ahead of the date.
  auto start = BillingDate(anchor, cycle, n);
  if (!start.ok()) return Fail(start.error());
  if (*start > date) --n;
  return NthBillingPeriod(anchor, cycle, n);
}

Result<year_month_day> NextBillingDate(year_month_day anchor, BillingCycle cycle,
                                       year_month_day after) {
  if (after < anchor) return BillingDate(anchor, cycle, 0);
  auto period = BillingPeriodContaining(anchor, cycle, after);
  if (!period.ok()) return Fail(period.error());
  return period->next_billing_date;
}

}  // namespace paypipe::domain
