#include "paypipe/domain/billing_calendar.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;
using std::chrono::day;
using std::chrono::days;
using std::chrono::last;
using std::chrono::sys_days;
using std::chrono::year_month_day;

year_month_day Date(const Result<year_month_day>& result) {
  EXPECT_TRUE(result.ok()) << result.error().ToString();
  return result.ok() ? *result : year_month_day{};
}

std::vector<year_month_day> Dates(year_month_day anchor, BillingCycle cycle, int count) {
  std::vector<year_month_day> dates;
  for (int n = 0; n < count; ++n) dates.push_back(Date(BillingDate(anchor, cycle, n)));
  return dates;
}

TEST(BillingCycle, ParsesTheThreeCycles) {
  EXPECT_EQ(ParseBillingCycle("WEEKLY").value(), BillingCycle::kWeekly);
  EXPECT_EQ(ParseBillingCycle("MONTHLY").value(), BillingCycle::kMonthly);
  EXPECT_EQ(ParseBillingCycle("YEARLY").value(), BillingCycle::kYearly);
  for (BillingCycle cycle :
       {BillingCycle::kWeekly, BillingCycle::kMonthly, BillingCycle::kYearly}) {
    EXPECT_EQ(ParseBillingCycle(ToString(cycle)).value(), cycle);
  }
}

TEST(BillingCycle, OtherCyclesAreRefusedByName) {
  for (std::string_view text : {"DAILY", "QUARTERLY", "monthly", "", "MONTHLY "}) {
    const auto parsed = ParseBillingCycle(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kPermanent);
    EXPECT_EQ(parsed.error().code, kBillingCycleUnsupported);
    EXPECT_NE(parsed.error().message.find("'" + std::string(text) + "'"), std::string::npos);
  }
}

TEST(KstCalendar, DateChangesAtFifteenHundredUtc) {
  const sys_days march_31{2026y / 3 / 31};
  EXPECT_EQ(KstDate(march_31 + 15h + 30min), 2026y / 4 / 1);
  EXPECT_EQ(KstDate(Instant{march_31 + 15h} - 1us), 2026y / 3 / 31);
  EXPECT_EQ(KstDate(march_31 + 15h), 2026y / 4 / 1);
  EXPECT_EQ(KstDate(march_31 + 0h), 2026y / 3 / 31);
}

TEST(KstCalendar, NewYearArrivesNineHoursEarlier) {
  EXPECT_EQ(KstDate(sys_days{2025y / 12 / 31} + 15h), 2026y / 1 / 1);
  EXPECT_EQ(KstDate(sys_days{2025y / 12 / 31} + 14h + 59min), 2025y / 12 / 31);
  // Before the epoch too (floor, not truncation).
  EXPECT_EQ(KstDate(sys_days{1969y / 12 / 31} + 15h), 1970y / 1 / 1);
  EXPECT_EQ(KstDate(sys_days{1969y / 12 / 31} + 14h), 1969y / 12 / 31);
}

TEST(KstCalendar, StartOfDayIsTheInstantTheDateBegins) {
  EXPECT_EQ(KstStartOfDay(2026y / 4 / 1), Instant{sys_days{2026y / 3 / 31} + 15h});
  for (year_month_day date : {2024y / 2 / 29, 2026y / 1 / 1, 2026y / 12 / 31}) {
    EXPECT_EQ(KstDate(KstStartOfDay(date)), date);
    EXPECT_EQ(KstDate(KstStartOfDay(date) - 1us), year_month_day{sys_days{date} - days{1}});
  }
}

TEST(BillingCalendar, MonthEndAnchorKeepsItsDayAndClampsToShortMonths) {
  const std::vector<year_month_day> expected = {
      2026y / 1 / 31,  2026y / 2 / 28,  2026y / 3 / 31, 2026y / 4 / 30, 2026y / 5 / 31,
      2026y / 6 / 30,  2026y / 7 / 31,  2026y / 8 / 31, 2026y / 9 / 30, 2026y / 10 / 31,
      2026y / 11 / 30, 2026y / 12 / 31, 2027y / 1 / 31, 2027y / 2 / 28, 2027y / 3 / 31};
  EXPECT_EQ(Dates(2026y / 1 / 31, BillingCycle::kMonthly, 15), expected);
}

TEST(BillingCalendar, LeapYearFebruaryBillsOnThe29th) {
  EXPECT_EQ(Date(BillingDate(2028y / 1 / 31, BillingCycle::kMonthly, 1)), 2028y / 2 / 29);
  EXPECT_EQ(Date(BillingDate(2028y / 1 / 31, BillingCycle::kMonthly, 2)), 2028y / 3 / 31);
  EXPECT_EQ(Date(BillingDate(2024y / 1 / 29, BillingCycle::kMonthly, 1)), 2024y / 2 / 29);
  EXPECT_EQ(Date(BillingDate(2024y / 1 / 29, BillingCycle::kMonthly, 13)), 2025y / 2 / 28);
  EXPECT_EQ(Date(BillingDate(2024y / 1 / 30, BillingCycle::kMonthly, 2)), 2024y / 3 / 30);
  // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
  EXPECT_EQ(Date(BillingDate(2100y / 1 / 31, BillingCycle::kMonthly, 1)), 2100y / 2 / 28);
  EXPECT_EQ(Date(BillingDate(2000y / 1 / 31, BillingCycle::kMonthly, 1)), 2000y / 2 / 29);
}

TEST(BillingCalendar, MonthlyCrossesYearBoundaries) {
  EXPECT_EQ(Date(BillingDate(2026y / 12 / 15, BillingCycle::kMonthly, 1)), 2027y / 1 / 15);
  EXPECT_EQ(Date(BillingDate(2026y / 11 / 30, BillingCycle::kMonthly, 3)), 2027y / 2 / 28);
  EXPECT_EQ(Date(BillingDate(2026y / 1 / 1, BillingCycle::kMonthly, 24)), 2028y / 1 / 1);
  EXPECT_EQ(Date(BillingDate(2026y / 12 / 31, BillingCycle::kMonthly, 14)), 2028y / 2 / 29);
}

TEST(BillingCalendar, YearlyFebruary29thBillsFebruary28thInOtherYears) {
  const std::vector<year_month_day> expected = {2024y / 2 / 29, 2025y / 2 / 28, 2026y / 2 / 28,
                                                2027y / 2 / 28, 2028y / 2 / 29};
  EXPECT_EQ(Dates(2024y / 2 / 29, BillingCycle::kYearly, 5), expected);
  EXPECT_EQ(Date(BillingDate(2026y / 3 / 31, BillingCycle::kYearly, 1)), 2027y / 3 / 31);
}

TEST(BillingCalendar, WeeklyAddsSevenDaysAcrossMonthsAndYears) {
  const std::vector<year_month_day> expected = {2026y / 12 / 28, 2027y / 1 / 4, 2027y / 1 / 11};
  EXPECT_EQ(Dates(2026y / 12 / 28, BillingCycle::kWeekly, 3), expected);
  EXPECT_EQ(Date(BillingDate(2028y / 2 / 26, BillingCycle::kWeekly, 1)), 2028y / 3 / 4);
  EXPECT_EQ(Date(BillingDate(2028y / 2 / 22, BillingCycle::kWeekly, 1)), 2028y / 2 / 29);
}

TEST(BillingCalendar, PeriodRunsToTheDayBeforeTheNextBillingDate) {
  const auto first =
      BillingPeriodContaining(2026y / 1 / 31, BillingCycle::kMonthly, 2026y / 2 / 27);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->index, 0);
  EXPECT_EQ(first->start, 2026y / 1 / 31);
  EXPECT_EQ(first->end, 2026y / 2 / 27);
  EXPECT_EQ(first->next_billing_date, 2026y / 2 / 28);

  const auto second =
      BillingPeriodContaining(2026y / 1 / 31, BillingCycle::kMonthly, 2026y / 2 / 28);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->index, 1);
  EXPECT_EQ(second->start, 2026y / 2 / 28);
  EXPECT_EQ(second->end, 2026y / 3 / 30);
  EXPECT_EQ(second->next_billing_date, 2026y / 3 / 31);

  const auto yearly =
      BillingPeriodContaining(2024y / 2 / 29, BillingCycle::kYearly, 2026y / 2 / 27);
  ASSERT_TRUE(yearly.ok());
  EXPECT_EQ(yearly->start, 2025y / 2 / 28);
  EXPECT_EQ(yearly->end, 2026y / 2 / 27);

  const auto weekly =
      BillingPeriodContaining(2026y / 12 / 28, BillingCycle::kWeekly, 2027y / 1 / 10);
  ASSERT_TRUE(weekly.ok());
  EXPECT_EQ(weekly->index, 1);
  EXPECT_EQ(weekly->start, 2027y / 1 / 4);
  EXPECT_EQ(weekly->end, 2027y / 1 / 10);
}

TEST(BillingCalendar, NthPeriodMatchesThePeriodContainingItsStart) {
  const auto third = NthBillingPeriod(2026y / 1 / 31, BillingCycle::kMonthly, 3);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->start, 2026y / 4 / 30);
  EXPECT_EQ(third->end, 2026y / 5 / 30);
  EXPECT_EQ(BillingPeriodContaining(2026y / 1 / 31, BillingCycle::kMonthly, third->start).value(),
            *third);
}

TEST(BillingCalendar, NextBillingDateIsStrictlyAfter) {
  const year_month_day anchor = 2026y / 1 / 31;
  EXPECT_EQ(Date(NextBillingDate(anchor, BillingCycle::kMonthly, 2026y / 1 / 31)), 2026y / 2 / 28);
  EXPECT_EQ(Date(NextBillingDate(anchor, BillingCycle::kMonthly, 2026y / 2 / 27)), 2026y / 2 / 28);
  EXPECT_EQ(Date(NextBillingDate(anchor, BillingCycle::kMonthly, 2026y / 2 / 28)), 2026y / 3 / 31);
  EXPECT_EQ(Date(NextBillingDate(anchor, BillingCycle::kMonthly, 2026y / 1 / 1)), anchor);
}

TEST(BillingCalendar, InvalidInputsAreErrorsNotGuesses) {
  const auto bad_anchor = BillingDate(2026y / 2 / 30, BillingCycle::kMonthly, 1);
  ASSERT_FALSE(bad_anchor.ok());
  EXPECT_EQ(bad_anchor.error().code, kBillingDateInvalid);

  const auto negative = BillingDate(2026y / 1 / 31, BillingCycle::kMonthly, -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, kBillingDateOutOfRange);

  const auto past_9999 = BillingDate(9999y / 12 / 1, BillingCycle::kMonthly, 1);
  ASSERT_FALSE(past_9999.ok());
  EXPECT_EQ(past_9999.error().code, kBillingDateOutOfRange);
  EXPECT_FALSE(BillingDate(9999y / 12 / 27, BillingCycle::kWeekly, 1).ok());
  EXPECT_FALSE(BillingDate(9999y / 1 / 1, BillingCycle::kYearly, 1).ok());
  EXPECT_FALSE(BillingDate(2026y / 1 / 1, BillingCycle::kWeekly, 1'000'000'000'000).ok());
  EXPECT_TRUE(BillingDate(9999y / 11 / 30, BillingCycle::kMonthly, 1).ok());

  const auto before =
      BillingPeriodContaining(2026y / 1 / 31, BillingCycle::kMonthly, 2026y / 1 / 30);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, kBillingDateBeforeAnchor);
  EXPECT_EQ(before.error().kind, ErrorKind::kPermanent);
}

// Every anchor day of three years (one of them leap), three years of monthly and yearly periods:
// periods tile the calendar without gaps or overlaps and every date keeps the anchor's day.
TEST(BillingCalendar, PeriodsTileTheCalendarForEveryAnchorDay) {
  for (sys_days anchor_day = sys_days{2024y / 1 / 1}; anchor_day <= sys_days{2026y / 12 / 31};
       anchor_day += days{1}) {
    const year_month_day anchor{anchor_day};
    for (BillingCycle cycle :
         {BillingCycle::kMonthly, BillingCycle::kYearly, BillingCycle::kWeekly}) {
      const int count = cycle == BillingCycle::kYearly ? 5 : 36;
      year_month_day expected_start = anchor;
      for (int n = 0; n < count; ++n) {
        const auto period = NthBillingPeriod(anchor, cycle, n);
        ASSERT_TRUE(period.ok());
        ASSERT_EQ(period->start, expected_start);
        ASSERT_LT(period->start, period->next_billing_date);
        ASSERT_EQ(sys_days{period->end} + days{1}, sys_days{period->next_billing_date});
        if (cycle != BillingCycle::kWeekly) {
          const day last_day = (period->start.year() / period->start.month() / last).day();
          ASSERT_EQ(period->start.day(), std::min(anchor.day(), last_day));
        }
        ASSERT_EQ(BillingPeriodContaining(anchor, cycle, period->start)->index, n);
        ASSERT_EQ(BillingPeriodContaining(anchor, cycle, period->end)->index, n);
        expected_start = period->next_billing_date;
      }
    }
  }
}

}  // namespace
}  // namespace paypipe::domain
