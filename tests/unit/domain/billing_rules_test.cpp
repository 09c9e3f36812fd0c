#include "paypipe/domain/billing_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;
using IS = InvoiceStatus;
using SS = SubscriptionStatus;
using std::chrono::sys_days;

constexpr Money kAmount = Money::Krw(10000);

Invoice MakeInvoice(IS status, std::int64_t refunded = 0) {
  return Invoice{status, kAmount, Money::Krw(refunded)};
}

// ---- Invoices -----------------------------------------------------------------------------

TEST(InvoiceRules, StatusNamesAreTheDatabaseVocabulary) {
  const std::array<std::pair<IS, std::string_view>, 5> names = {
      {{IS::kIssued, "ISSUED"},
       {IS::kPaid, "PAID"},
       {IS::kPartiallyRefunded, "PARTIALLY_REFUNDED"},
       {IS::kRefunded, "REFUNDED"},
       {IS::kVoid, "VOID"}}};
  for (const auto& [status, name] : names) {
    EXPECT_EQ(ToString(status), name);
    EXPECT_EQ(ParseInvoiceStatus(name).value(), status);
  }
  const auto bad = ParseInvoiceStatus("PARTIAL_REFUNDED");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kInvoiceStatusUnrecognized);
}

TEST(InvoiceRules, ApprovalPaysAnIssuedInvoiceOnce) {
  const auto paid = InvoiceOnPaymentApproved(MakeInvoice(IS::kIssued), kAmount);
  ASSERT_TRUE(paid.ok());
  EXPECT_EQ(paid->verdict, Verdict::kApply);
  EXPECT_EQ(paid->after.status, IS::kPaid);
  EXPECT_TRUE(paid->after.refunded.IsZero());

  // No double PAID: a repeated or late approval changes nothing, whatever happened since.
  for (const Invoice& invoice : {MakeInvoice(IS::kPaid), MakeInvoice(IS::kPartiallyRefunded, 3000),
                                 MakeInvoice(IS::kRefunded, 10000)}) {
    const auto again = InvoiceOnPaymentApproved(invoice, kAmount);
    ASSERT_TRUE(again.ok()) << ToString(invoice.status);
    EXPECT_EQ(again->verdict, Verdict::kDuplicate);
    EXPECT_EQ(again->after, invoice);
  }
}

TEST(InvoiceRules, ApprovalForAnotherAmountIsRefused) {
  const auto paid = InvoiceOnPaymentApproved(MakeInvoice(IS::kIssued), Money::Krw(100));
  ASSERT_FALSE(paid.ok());
  EXPECT_EQ(paid.error().code, kInvoiceAmountMismatch);
  EXPECT_EQ(paid.error().kind, ErrorKind::kPermanent);
}

TEST(InvoiceRules, ApprovalOfAVoidInvoiceIsIllegal) {
  const auto paid = InvoiceOnPaymentApproved(MakeInvoice(IS::kVoid), kAmount);
  ASSERT_FALSE(paid.ok());
  EXPECT_EQ(paid.error().code, kInvoiceTransitionIllegal);
}

struct RefundCase {
  Invoice invoice;
  std::int64_t refunded_total;
  Verdict verdict;
  IS status_after;
};

TEST(InvoiceRules, RefundedTotalMovesThePaidInvoiceForwardOnly) {
  const std::vector<RefundCase> cases = {
      {MakeInvoice(IS::kPaid), 0, Verdict::kDuplicate, IS::kPaid},
      {MakeInvoice(IS::kPaid), 1, Verdict::kApply, IS::kPartiallyRefunded},
      {MakeInvoice(IS::kPaid), 9999, Verdict::kApply, IS::kPartiallyRefunded},
      {MakeInvoice(IS::kPaid), 10000, Verdict::kApply, IS::kRefunded},
      {MakeInvoice(IS::kPartiallyRefunded, 3000), 3000, Verdict::kDuplicate,
       IS::kPartiallyRefunded},
      {MakeInvoice(IS::kPartiallyRefunded, 3000), 2000, Verdict::kStale, IS::kPartiallyRefunded},
      {MakeInvoice(IS::kPartiallyRefunded, 3000), 5000, Verdict::kApply, IS::kPartiallyRefunded},
      {MakeInvoice(IS::kPartiallyRefunded, 3000), 10000, Verdict::kApply, IS::kRefunded},
      {MakeInvoice(IS::kRefunded, 10000), 10000, Verdict::kDuplicate, IS::kRefunded},
      {MakeInvoice(IS::kRefunded, 10000), 4000, Verdict::kStale, IS::kRefunded},
      {MakeInvoice(IS::kIssued), 0, Verdict::kDuplicate, IS::kIssued},
  };
  for (const RefundCase& c : cases) {
    SCOPED_TRACE(std::string(ToString(c.invoice.status)) + " refunded " +
                 c.invoice.refunded.Format() + " <- " + std::to_string(c.refunded_total));
    const auto update = InvoiceOnRefundedTotal(c.invoice, Money::Krw(c.refunded_total));
    ASSERT_TRUE(update.ok()) << update.error().ToString();
    EXPECT_EQ(update->verdict, c.verdict);
    EXPECT_EQ(update->after.status, c.status_after);
    if (c.verdict == Verdict::kApply) {
      EXPECT_EQ(update->after.refunded, Money::Krw(c.refunded_total));
    } else {
      EXPECT_EQ(update->after, c.invoice);
    }
  }
}

TEST(InvoiceRules, RefundsBeyondTheAmountOrOfUnpaidInvoicesAreRefused) {
  const auto over = InvoiceOnRefundedTotal(MakeInvoice(IS::kPaid), Money::Krw(10001));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, kInvoiceRefundExceedsAmount);
  const auto negative = InvoiceOnRefundedTotal(MakeInvoice(IS::kPaid), Money::Krw(-1));
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, kInvoiceRefundInvalid);
  for (IS unpaid : {IS::kIssued, IS::kVoid}) {
    const auto refund = InvoiceOnRefundedTotal(MakeInvoice(unpaid), Money::Krw(1000));
    ASSERT_FALSE(refund.ok()) << ToString(unpaid);
    EXPECT_EQ(refund.error().code, kInvoiceTransitionIllegal);
  }
}

TEST(InvoiceRules, RefundsInAnyOrderEndFullyRefunded) {
  std::vector<std::int64_t> totals = {2500, 7000, 10000};
  std::sort(totals.begin(), totals.end());
  do {
    Invoice invoice = MakeInvoice(IS::kPaid);
    for (std::int64_t total : totals) {
      invoice = InvoiceOnRefundedTotal(invoice, Money::Krw(total)).value().after;
    }
    EXPECT_EQ(invoice.status, IS::kRefunded);
    EXPECT_EQ(invoice.refunded, kAmount);
  } while (std::next_permutation(totals.begin(), totals.end()));
}

TEST(InvoiceRules, OnlyAnUnpaidInvoiceCanBeVoided) {
  const auto voided = InvoiceOnVoid(MakeInvoice(IS::kIssued));
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(voided->verdict, Verdict::kApply);
  EXPECT_EQ(voided->after.status, IS::kVoid);
  EXPECT_EQ(InvoiceOnVoid(MakeInvoice(IS::kVoid))->verdict, Verdict::kDuplicate);
  for (IS paid : {IS::kPaid, IS::kPartiallyRefunded, IS::kRefunded}) {
    const auto refused = InvoiceOnVoid(MakeInvoice(paid));
    ASSERT_FALSE(refused.ok()) << ToString(paid);
    EXPECT_EQ(refused.error().code, kInvoiceTransitionIllegal);
  }
}

// ---- Subscriptions ------------------------------------------------------------------------

Instant Utc(std::chrono::year_month_day date, std::chrono::minutes time_of_day) {
  return Instant{sys_days{date} + time_of_day};
}

Subscription Pending(BillingCycle cycle = BillingCycle::kMonthly) {
  Subscription subscription;
  subscription.cycle = cycle;
  return subscription;
}

Subscription Activated(Instant approved_at, BillingCycle cycle = BillingCycle::kMonthly) {
  return SubscriptionOnFirstPayment(Pending(cycle), approved_at).value().after;
}

TEST(SubscriptionRules, StatusNamesAreTheDatabaseVocabulary) {
  const std::array<std::pair<SS, std::string_view>, 5> names = {{{SS::kPending, "PENDING"},
                                                                 {SS::kActive, "ACTIVE"},
                                                                 {SS::kPastDue, "PAST_DUE"},
                                                                 {SS::kCanceled, "CANCELED"},
                                                                 {SS::kExpired, "EXPIRED"}}};
  for (const auto& [status, name] : names) {
    EXPECT_EQ(ToString(status), name);
    EXPECT_EQ(ParseSubscriptionStatus(name).value(), status);
  }
  EXPECT_EQ(ParseSubscriptionStatus("CANCELLED").error().code, kSubscriptionStatusUnrecognized);
}

TEST(SubscriptionRules, FirstApprovalActivatesWithTheKstAnchor) {
  // 2026-01-31 00:30 KST is still January 30 in UTC.
  const auto update = SubscriptionOnFirstPayment(Pending(), Utc(2026y / 1 / 30, 15h + 30min));
  ASSERT_TRUE(update.ok()) << update.error().ToString();
  EXPECT_EQ(update->verdict, Verdict::kApply);
  const Subscription& active = update->after;
  EXPECT_EQ(active.status, SS::kActive);
  EXPECT_EQ(active.anchor, 2026y / 1 / 31);
  EXPECT_EQ(active.current_period_start, 2026y / 1 / 31);
  EXPECT_EQ(active.current_period_end, 2026y / 2 / 27);
  EXPECT_EQ(active.next_billing_date, 2026y / 2 / 28);
  EXPECT_EQ(active.dunning_attempts, 0);
}

TEST(SubscriptionRules, FirstApprovalAcrossTheUtcDateLineAnchorsOnTheKstDay) {
  const Subscription active = Activated(Utc(2026y / 3 / 31, 15h + 30min), BillingCycle::kYearly);
  EXPECT_EQ(active.anchor, 2026y / 4 / 1);
  EXPECT_EQ(active.next_billing_date, 2027y / 4 / 1);
  EXPECT_EQ(active.current_period_end, 2027y / 3 / 31);
}

TEST(SubscriptionRules, RepeatedFirstApprovalIsADuplicate) {
  const Subscription active = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  const auto again = SubscriptionOnFirstPayment(active, Utc(2026y / 1 / 30, 15h + 30min));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verdict, Verdict::kDuplicate);
  EXPECT_EQ(again->after, active);
}

TEST(SubscriptionRules, ApprovalForASubscriptionCanceledBeforeItStartedIsIllegal) {
  Subscription canceled = Pending();
  canceled.status = SS::kCanceled;
  const auto update = SubscriptionOnFirstPayment(canceled, Utc(2026y / 1 / 1, 0min));
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().code, kSubscriptionTransitionIllegal);
}

TEST(SubscriptionRules, RenewalsFollowTheAnchorNotThePreviousDate) {
  Subscription subscription = Activated(Utc(2026y / 1 / 30, 15h + 30min));  // anchor Jan 31
  const std::array<std::chrono::year_month_day, 4> billing_dates = {2026y / 2 / 28, 2026y / 3 / 31,
                                                                    2026y / 4 / 30, 2026y / 5 / 31};
  const std::array<std::chrono::year_month_day, 4> next_dates = {2026y / 3 / 31, 2026y / 4 / 30,
                                                                 2026y / 5 / 31, 2026y / 6 / 30};
  for (std::size_t i = 0; i < billing_dates.size(); ++i) {
    ASSERT_EQ(subscription.next_billing_date, billing_dates[i]);
    const auto renewed = SubscriptionOnRenewalPaid(subscription, billing_dates[i]);
    ASSERT_TRUE(renewed.ok()) << renewed.error().ToString();
    EXPECT_EQ(renewed->verdict, Verdict::kApply);
    subscription = renewed->after;
    EXPECT_EQ(subscription.current_period_start, billing_dates[i]);
    EXPECT_EQ(subscription.next_billing_date, next_dates[i]);
    EXPECT_EQ(sys_days{*subscription.current_period_end} + std::chrono::days{1},
              sys_days{next_dates[i]});
  }
}

TEST(SubscriptionRules, RepeatedOrLateRenewalsChangeNothing) {
  Subscription subscription = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  subscription = SubscriptionOnRenewalPaid(subscription, 2026y / 2 / 28).value().after;
  subscription = SubscriptionOnRenewalPaid(subscription, 2026y / 3 / 31).value().after;
  const auto again = SubscriptionOnRenewalPaid(subscription, 2026y / 3 / 31);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verdict, Verdict::kDuplicate);
  const auto late = SubscriptionOnRenewalPaid(subscription, 2026y / 2 / 28);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->verdict, Verdict::kStale);
  EXPECT_EQ(late->after, subscription);
}

TEST(SubscriptionRules, RenewalsForDatesOffTheCalendarAreRefused) {
  const Subscription subscription = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  const auto off_day = SubscriptionOnRenewalPaid(subscription, 2026y / 3 / 1);
  ASSERT_FALSE(off_day.ok());
  EXPECT_EQ(off_day.error().code, kSubscriptionBillingDateInvalid);
  // Mar 31 is a billing date, but Feb 28 is still unpaid.
  const auto skipping = SubscriptionOnRenewalPaid(subscription, 2026y / 3 / 31);
  ASSERT_FALSE(skipping.ok());
  EXPECT_EQ(skipping.error().code, kSubscriptionBillingDateInvalid);
  const auto before_anchor = SubscriptionOnRenewalPaid(subscription, 2025y / 12 / 31);
  ASSERT_FALSE(before_anchor.ok());
  EXPECT_EQ(before_anchor.error().code, kBillingDateBeforeAnchor);
}

TEST(SubscriptionRules, RenewalOfPendingOrEndedSubscriptionsIsIllegal) {
  const auto pending = SubscriptionOnRenewalPaid(Pending(), 2026y / 2 / 28);
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().code, kSubscriptionTransitionIllegal);

  Subscription canceled = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  canceled = SubscriptionOnCancel(canceled, Utc(2026y / 2 / 10, 0min)).value().after;
  const auto renewed = SubscriptionOnRenewalPaid(canceled, 2026y / 2 / 28);
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.error().code, kSubscriptionTransitionIllegal);
  // The period it was canceled in was paid: that approval is just a repeat.
  EXPECT_EQ(SubscriptionOnRenewalPaid(canceled, 2026y / 1 / 31)->verdict, Verdict::kDuplicate);
}

TEST(SubscriptionRules, DeclinedRenewalsDunOnTheScheduleThenLapse) {
  const DunningPolicy policy = DunningPolicy::Default();
  Subscription subscription = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  const Instant declined_at = Utc(2026y / 2 / 27, 16h);
  const std::array<std::chrono::hours, 3> waits = {24h, 72h, 168h};
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto update = SubscriptionOnRenewalDeclined(subscription, attempt, policy, declined_at);
    ASSERT_TRUE(update.ok()) << update.error().ToString();
    EXPECT_EQ(update->verdict, Verdict::kApply);
    subscription = update->after;
    EXPECT_EQ(subscription.status, SS::kPastDue);
    EXPECT_EQ(subscription.dunning_attempts, attempt + 1);
    EXPECT_EQ(subscription.next_retry_at, declined_at + waits[static_cast<std::size_t>(attempt)]);
    // Still owed for the missed date; the period does not move until it is paid.
    EXPECT_EQ(subscription.next_billing_date, 2026y / 2 / 28);
    EXPECT_EQ(subscription.current_period_start, 2026y / 1 / 31);
  }
  const auto lapsed = SubscriptionOnRenewalDeclined(subscription, 3, policy, declined_at);
  ASSERT_TRUE(lapsed.ok());
  EXPECT_EQ(lapsed->after.status, SS::kExpired);
  EXPECT_EQ(lapsed->after.dunning_attempts, 4);
  EXPECT_FALSE(lapsed->after.next_retry_at.has_value());
  EXPECT_FALSE(lapsed->after.next_billing_date.has_value());
}

TEST(SubscriptionRules, PaidRetryClearsDunningAndKeepsTheAnchor) {
  Subscription subscription = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  subscription = SubscriptionOnRenewalDeclined(subscription, 0, DunningPolicy::Default(),
                                               Utc(2026y / 2 / 27, 16h))
                     .value()
                     .after;
  ASSERT_EQ(subscription.status, SS::kPastDue);
  const auto paid = SubscriptionOnRenewalPaid(subscription, 2026y / 2 / 28);
  ASSERT_TRUE(paid.ok());
  EXPECT_EQ(paid->after.status, SS::kActive);
  EXPECT_EQ(paid->after.dunning_attempts, 0);
  EXPECT_FALSE(paid->after.next_retry_at.has_value());
  EXPECT_EQ(paid->after.next_billing_date, 2026y / 3 / 31);
}

TEST(SubscriptionRules, RedeliveredDeclinesCountOnce) {
  Subscription subscription = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  const Instant declined_at = Utc(2026y / 2 / 27, 16h);
  subscription =
      SubscriptionOnRenewalDeclined(subscription, 0, DunningPolicy::Default(), declined_at)
          .value()
          .after;
  const auto again =
      SubscriptionOnRenewalDeclined(subscription, 0, DunningPolicy::Default(), declined_at + 1h);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verdict, Verdict::kDuplicate);
  EXPECT_EQ(again->after.dunning_attempts, 1);
  EXPECT_EQ(again->after.next_retry_at, declined_at + 24h);
}

TEST(SubscriptionRules, DeclinesOutsideRenewalAreStaleOrIllegal) {
  const DunningPolicy policy = DunningPolicy::Default();
  const Instant now = Utc(2026y / 2 / 27, 16h);
  const auto pending = SubscriptionOnRenewalDeclined(Pending(), 0, policy, now);
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().code, kSubscriptionTransitionIllegal);

  Subscription canceled = Activated(Utc(2026y / 1 / 30, 15h + 30min));
  canceled = SubscriptionOnCancel(canceled, now).value().after;
  EXPECT_EQ(SubscriptionOnRenewalDeclined(canceled, 0, policy, now)->verdict, Verdict::kStale);

  const auto negative =
      SubscriptionOnRenewalDeclined(Activated(Utc(2026y / 1 / 30, 0min)), -1, policy, now);
  EXPECT_FALSE(negative.ok());

  // A policy without retries lapses on the first decline.
  const auto no_retries =
      SubscriptionOnRenewalDeclined(Activated(Utc(2026y / 1 / 30, 0min)), 0, DunningPolicy{}, now);
  ASSERT_TRUE(no_retries.ok());
  EXPECT_EQ(no_retries->after.status, SS::kExpired);
}

TEST(SubscriptionRules, CancelStopsBillingAndKeepsThePaidPeriod) {
  const Instant canceled_at = Utc(2026y / 2 / 10, 3h);
  for (SS status : {SS::kPending, SS::kActive, SS::kPastDue}) {
    Subscription subscription =
        status == SS::kPending ? Pending() : Activated(Utc(2026y / 1 / 30, 15h + 30min));
    subscription.status = status;
    const auto update = SubscriptionOnCancel(subscription, canceled_at);
    ASSERT_TRUE(update.ok()) << ToString(status);
    EXPECT_EQ(update->verdict, Verdict::kApply);
    EXPECT_EQ(update->after.status, SS::kCanceled);
    EXPECT_EQ(update->after.canceled_at, canceled_at);
    EXPECT_FALSE(update->after.next_billing_date.has_value());
    EXPECT_FALSE(update->after.next_retry_at.has_value());
    EXPECT_EQ(update->after.current_period_end, subscription.current_period_end);
  }
  Subscription canceled = Pending();
  canceled.status = SS::kCanceled;
  EXPECT_EQ(SubscriptionOnCancel(canceled, canceled_at)->verdict, Verdict::kDuplicate);
  Subscription expired = Pending();
  expired.status = SS::kExpired;
  EXPECT_EQ(SubscriptionOnCancel(expired, canceled_at)->verdict, Verdict::kStale);
}

}  // namespace
}  // namespace paypipe::domain
