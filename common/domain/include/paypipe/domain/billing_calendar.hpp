#pragma once

// The billing calendar of subscriptions: which KST dates a subscription is charged on.
//
// Every billing date derives from the anchor (the KST date of the first approval), never from
// the previous billing date: a subscription started on Jan 31 bills Feb 28 (29 in leap years),
// Mar 31, Apr 30, ... — the anchor day, clamped to the month's end. Chaining from the previous
// date would drift to the 28th for good after February. Yearly anchors on Feb 29 bill Feb 28 in
// other years. Dates are KST (subscriptions.next_billing_date), converted from UTC instants.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "paypipe/domain/instant.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::domain {

enum class BillingCycle { kWeekly, kMonthly, kYearly };

// Stable error codes (all Permanent).
inline constexpr std::string_view kBillingCycleUnsupported = "BILLING_CYCLE_UNSUPPORTED";
inline constexpr std::string_view kBillingDateInvalid = "BILLING_DATE_INVALID";
inline constexpr std::string_view kBillingDateBeforeAnchor = "BILLING_DATE_BEFORE_ANCHOR";
inline constexpr std::string_view kBillingDateOutOfRange = "BILLING_DATE_OUT_OF_RANGE";

// Years a billing date may fall in: MySQL DATE holds 1000-01-01 .. 9999-12-31.
inline constexpr std::chrono::year kFirstBillingYear{1000};
inline constexpr std::chrono::year kLastBillingYear{9999};

// "WEEKLY", "MONTHLY", "YEARLY" exactly (subscriptions.cycle as given at checkout); anything
// else is kBillingCycleUnsupported naming the cycle.
[[nodiscard]] Result<BillingCycle> ParseBillingCycle(std::string_view text);
[[nodiscard]] const char* ToString(BillingCycle cycle);

// One billing period: from its billing date up to the day before the next one.
struct BillingPeriod {
  std::int64_t index = 0;                         // 0 for the period starting on the anchor
  std::chrono::year_month_day start;              // billing date of this period
  std::chrono::year_month_day end;                // inclusive: the last day this period covers
  std::chrono::year_month_day next_billing_date;  // end + 1 day

  friend bool operator==(const BillingPeriod&, const BillingPeriod&) = default;
};

// The n-th billing date (n = 0 is the anchor itself). Errors: kBillingDateInvalid (anchor not a
// date), kBillingDateOutOfRange (n < 0, or past kLastBillingYear).
[[nodiscard]] Result<std::chrono::year_month_day> BillingDate(std::chrono::year_month_day anchor,
                                                              BillingCycle cycle, std::int64_t n);

// The n-th period.
[[nodiscard]] Result<BillingPeriod> NthBillingPeriod(std::chrono::year_month_day anchor,
                                                     BillingCycle cycle, std::int64_t n);

// The period a KST date falls in (current period start/end). kBillingDateBeforeAnchor when the
// date precedes the anchor.
[[nodiscard]] Result<BillingPeriod> BillingPeriodContaining(std::chrono::year_month_day anchor,
                                                            BillingCycle cycle,
                                                            std::chrono::year_month_day date);

// The first billing date strictly after a KST date.
[[nodiscard]] Result<std::chrono::year_month_day> NextBillingDate(
    std::chrono::year_month_day anchor, BillingCycle cycle, std::chrono::year_month_day after);

}  // namespace paypipe::domain
