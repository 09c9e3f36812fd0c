#pragma once

// Invoice and subscription rules: what an approval, a refund, a declined renewal or a cancel does
// to the invoice and subscription rows. Like payments, the facts arrive at least once and out of
// order, so each rule says kApply / kDuplicate / kStale and refuses contradictions.
//
// Invoice: ISSUED -> PAID on approval (of exactly the invoiced amount; a second approval is a
// duplicate, never a second PAID), PAID -> PARTIALLY_REFUNDED -> REFUNDED as the refunded total
// grows, ISSUED -> VOID when it will never be paid. Refunds are given as the payment's refunded
// total (total - balance), not as increments, so a repeated or late refund cannot count twice.
// When one payment transition both captures and refunds (CANCELED seen first), apply the approval
// before the refund.
//
// Subscription: PENDING -> ACTIVE on the first approval, which fixes the billing anchor (its KST
// date) and the first period; each paid renewal moves to the next period; a declined renewal
// makes it PAST_DUE and counts a dunning attempt, retried on the policy's schedule, and lapses
// (EXPIRED) when the schedule runs out; a paid renewal clears the count. PENDING / ACTIVE /
// PAST_DUE -> CANCELED on request.

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "paypipe/domain/billing_calendar.hpp"
#include "paypipe/domain/instant.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/domain/verdict.hpp"

namespace paypipe::domain {

// ---- Invoices -----------------------------------------------------------------------------

enum class InvoiceStatus { kIssued, kPaid, kPartiallyRefunded, kRefunded, kVoid };

[[nodiscard]] const char* ToString(InvoiceStatus status);  // invoices.status
[[nodiscard]] Result<InvoiceStatus> ParseInvoiceStatus(std::string_view text);

// Stable error codes (all Permanent).
inline constexpr std::string_view kInvoiceStatusUnrecognized = "INVOICE_STATUS_UNRECOGNIZED";
inline constexpr std::string_view kInvoiceTransitionIllegal = "INVOICE_TRANSITION_ILLEGAL";
inline constexpr std::string_view kInvoiceAmountMismatch = "INVOICE_AMOUNT_MISMATCH";
inline constexpr std::string_view kInvoiceRefundExceedsAmount = "INVOICE_REFUND_EXCEEDS_AMOUNT";
inline constexpr std::string_view kInvoiceRefundInvalid = "INVOICE_REFUND_INVALID";

struct Invoice {
  InvoiceStatus status = InvoiceStatus::kIssued;
  Money amount;
  Money refunded;  // refunded_amount

  friend bool operator==(const Invoice&, const Invoice&) = default;
};

struct InvoiceUpdate {
  Verdict verdict = Verdict::kDuplicate;
  Invoice after;  // unchanged unless kApply
};

// The order's payment was approved for `paid`. ISSUED -> PAID; already paid or refunded ->
// kDuplicate. Errors: kInvoiceAmountMismatch (paid != amount: the amount check cancels it),
// kInvoiceTransitionIllegal (VOID: money arrived for an invoice we gave up on).
[[nodiscard]] Result<InvoiceUpdate> InvoiceOnPaymentApproved(const Invoice& invoice, Money paid);

// The payment's refunded total is now `refunded_total`. Larger than recorded -> kApply
// (PARTIALLY_REFUNDED, or REFUNDED when it reaches the amount); equal -> kDuplicate; smaller ->
// kStale. Errors: kInvoiceRefundExceedsAmount, kInvoiceRefundInvalid (negative),
// kInvoiceTransitionIllegal (ISSUED or VOID: nothing was paid to refund).
[[nodiscard]] Result<InvoiceUpdate> InvoiceOnRefundedTotal(const Invoice& invoice,
                                                           Money refunded_total);

// The order will never be paid (payment failed/expired, subscription ended first). ISSUED ->
// VOID; VOID -> kDuplicate; paid invoices -> kInvoiceTransitionIllegal (refund instead).
[[nodiscard]] Result<InvoiceUpdate> InvoiceOnVoid(const Invoice& invoice);

// ---- Subscriptions ------------------------------------------------------------------------

enum class SubscriptionStatus { kPending, kActive, kPastDue, kCanceled, kExpired };

[[nodiscard]] const char* ToString(SubscriptionStatus status);  // subscriptions.status
[[nodiscard]] Result<SubscriptionStatus> ParseSubscriptionStatus(std::string_view text);

inline constexpr std::string_view kSubscriptionStatusUnrecognized =
    "SUBSCRIPTION_STATUS_UNRECOGNIZED";
inline constexpr std::string_view kSubscriptionTransitionIllegal =
    "SUBSCRIPTION_TRANSITION_ILLEGAL";
// A renewal for a date that is not one of the subscription's billing dates.
inline constexpr std::string_view kSubscriptionBillingDateInvalid =
    "SUBSCRIPTION_BILLING_DATE_INVALID";

struct Subscription {
  SubscriptionStatus status = SubscriptionStatus::kPending;
  BillingCycle cycle = BillingCycle::kMonthly;
  // KST date of the first approval; every billing date derives from it (billing_calendar.hpp).
  std::optional<std::chrono::year_month_day> anchor;
  std::optional<std::chrono::year_month_day> current_period_start;
  std::optional<std::chrono::year_month_day> current_period_end;  // inclusive
  std::optional<std::chrono::year_month_day> next_billing_date;
  int dunning_attempts = 0;  // declined renewals since the last paid one
  std::optional<Instant> next_retry_at;
  std::optional<Instant> canceled_at;

  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct SubscriptionUpdate {
  Verdict verdict = Verdict::kDuplicate;
  Subscription after;  // unchanged unless kApply
};

// When a declined renewal is charged again: retry k (1-based) waits retry_after[k - 1] after the
// decline; a decline when every retry is used up lapses the subscription.
struct DunningPolicy {
  std::vector<std::chrono::hours> retry_after;

  // Retries after 1, 3 and 7 days, then the subscription lapses.
  [[nodiscard]] static DunningPolicy Default();
};

// The checkout's payment was approved at `approved_at`. PENDING -> ACTIVE, anchor = its KST
// date, first period and next billing date from the calendar. Already started -> kDuplicate.
// kSubscriptionTransitionIllegal when it ended before it ever started (refund the payment).
[[nodiscard]] Result<SubscriptionUpdate> SubscriptionOnFirstPayment(
    const Subscription& subscription, Instant approved_at);

// The renewal charge for `billing_date` was approved. ACTIVE / PAST_DUE -> ACTIVE in the period
// starting on billing_date, dunning cleared. The period already current -> kDuplicate, an older
// one -> kStale. Errors: kSubscriptionBillingDateInvalid (not a billing date, or later than
// next_billing_date), kSubscriptionTransitionIllegal (PENDING; or ended, with money taken for a
// new period: refund it).
[[nodiscard]] Result<SubscriptionUpdate> SubscriptionOnRenewalPaid(
    const Subscription& subscription, std::chrono::year_month_day billing_date);

// The renewal charge made as dunning attempt `attempt` (0 for the charge on the billing date,
// k for the k-th retry) was declined (PgErrorClass::kDeclined; transient failures are retried
// by the stage, not dunned). ACTIVE / PAST_DUE -> PAST_DUE with dunning_attempts = attempt + 1
// and next_retry_at = declined_at + the policy's delay, or -> EXPIRED when no retry is left.
// An attempt already counted -> kDuplicate; ended subscriptions -> kStale.
// kSubscriptionTransitionIllegal for PENDING (its first charge is a checkout, not a renewal).
[[nodiscard]] Result<SubscriptionUpdate> SubscriptionOnRenewalDeclined(
    const Subscription& subscription, int attempt, const DunningPolicy& policy,
    Instant declined_at);

// Cancel requested at `canceled_at`. PENDING / ACTIVE / PAST_DUE -> CANCELED: no more charges
// (next billing date and retry cleared; the current period is kept, it was paid for).
// CANCELED -> kDuplicate, EXPIRED -> kStale.
[[nodiscard]] Result<SubscriptionUpdate> SubscriptionOnCancel(const Subscription& subscription,
                                                              Instant canceled_at);

}  // namespace paypipe::domain
