#include "paypipe/domain/billing_rules.hpp"

#include <array>
#include <string>

namespace paypipe::domain {
namespace {

using IS = InvoiceStatus;
using SS = SubscriptionStatus;

constexpr std::array<IS, 5> kInvoiceStatuses = {IS::kIssued, IS::kPaid, IS::kPartiallyRefunded,
                                                IS::kRefunded, IS::kVoid};
constexpr std::array<SS, 5> kSubscriptionStatuses = {SS::kPending, SS::kActive, SS::kPastDue,
                                                     SS::kCanceled, SS::kExpired};

bool IsPaid(IS status) {
  return status == IS::kPaid || status == IS::kPartiallyRefunded || status == IS::kRefunded;
}

InvoiceUpdate Keep(const Invoice& invoice, Verdict verdict) { return {verdict, invoice}; }
SubscriptionUpdate Keep(const Subscription& subscription, Verdict verdict) {
  return {verdict, subscription};
}

Error IllegalInvoice(const Invoice& invoice, std::string_view event) {
  return Error::Permanent(
      std::string(kInvoiceTransitionIllegal),
      std::string("invoice ") + ToString(invoice.status) + " cannot take " + std::string(event));
}

Error IllegalSubscription(const Subscription& subscription, std::string_view event) {
  return Error::Permanent(std::string(kSubscriptionTransitionIllegal),
                          std::string("subscription ") + ToString(subscription.status) +
                              " cannot take " + std::string(event));
}

bool HasEnded(SS status) { return status == SS::kCanceled || status == SS::kExpired; }

}  // namespace

// ---- Invoices -----------------------------------------------------------------------------

const char* ToString(InvoiceStatus status) {
  switch (status) {
    case IS::kIssued:
      return "ISSUED";
    case IS::kPaid:
      return "PAID";
    case IS::kPartiallyRefunded:
      return "PARTIALLY_REFUNDED";
    case IS::kRefunded:
      return "REFUNDED";
    case IS::kVoid:
      return "VOID";
  }
  return "UNKNOWN";
}

Result<InvoiceStatus> ParseInvoiceStatus(std::string_view text) {
  for (IS status : kInvoiceStatuses) {
    if (text == ToString(status)) return status;
  }
  return Error::Permanent(std::string(kInvoiceStatusUnrecognized),
                          "not an invoice status: '" + std::string(text) + "'");
}

Result<InvoiceUpdate> InvoiceOnPaymentApproved(const Invoice& invoice, Money paid) {
  if (IsPaid(invoice.status)) return Keep(invoice, Verdict::kDuplicate);
  if (invoice.status == IS::kVoid) return IllegalInvoice(invoice, "a payment");
  if (paid != invoice.amount) {
    return Error::Permanent(
        std::string(kInvoiceAmountMismatch),
        "invoice of " + invoice.amount.Format() + " approved for " + paid.Format());
  }
  Invoice after = invoice;
  after.status = IS::kPaid;
  return InvoiceUpdate{Verdict::kApply, after};
}

Result<InvoiceUpdate> InvoiceOnRefundedTotal(const Invoice& invoice, Money refunded_total) {
  if (refunded_total.IsNegative()) {
    return Error::Permanent(std::string(kInvoiceRefundInvalid),
                            "negative refunded total " + refunded_total.Format());
  }
  if (!IsPaid(invoice.status)) {
    if (refunded_total.IsZero()) return Keep(invoice, Verdict::kDuplicate);
    return IllegalInvoice(invoice, "a refund of " + refunded_total.Format());
  }
  if (refunded_total > invoice.amount) {
    return Error::Permanent(
        std::string(kInvoiceRefundExceedsAmount),
        "refunded " + refunded_total.Format() + " of an invoice of " + invoice.amount.Format());
  }
  if (refunded_total == invoice.refunded) return Keep(invoice, Verdict::kDuplicate);
  if (refunded_total < invoice.refunded) return Keep(invoice, Verdict::kStale);
  Invoice after = invoice;
  after.refunded = refunded_total;
  after.status = refunded_total == invoice.amount ? IS::kRefunded : IS::kPartiallyRefunded;
  return InvoiceUpdate{Verdict::kApply, after};
}

Result<InvoiceUpdate> InvoiceOnVoid(const Invoice& invoice) {
  switch (invoice.status) {
    case IS::kIssued: {
      Invoice after = invoice;
      after.status = IS::kVoid;
      return InvoiceUpdate{Verdict::kApply, after};
    }
    case IS::kVoid:
      return Keep(invoice, Verdict::kDuplicate);
    case IS::kPaid:
    case IS::kPartiallyRefunded:
    case IS::kRefunded:
      break;
  }
  return IllegalInvoice(invoice, "a void (it was paid: refund it instead)");
}

// ---- Subscriptions ------------------------------------------------------------------------

const char* ToString(SubscriptionStatus status) {
  switch (status) {
    case SS::kPending:
      return "PENDING";
    case SS::kActive:
      return "ACTIVE";
    case SS::kPastDue:
      return "PAST_DUE";
    case SS::kCanceled:
      return "CANCELED";
    case SS::kExpired:
      return "EXPIRED";
  }
  return "UNKNOWN";
}

Result<SubscriptionStatus> ParseSubscriptionStatus(std::string_view text) {
  for (SS status : kSubscriptionStatuses) {
    if (text == ToString(status)) return status;
  }
  return Error::Permanent(std::string(kSubscriptionStatusUnrecognized),
                          "not a subscription status: '" + std::string(text) + "'");
}

DunningPolicy DunningPolicy::Default() {
  return DunningPolicy{{std::chrono::hours{24}, std::chrono::hours{72}, std::chrono::hours{168}}};
}

Result<SubscriptionUpdate> SubscriptionOnFirstPayment(const Subscription& subscription,
                                                      Instant approved_at) {
  if (subscription.status != SS::kPending) {
    // Started before: the approval is a repeat. Ended before it started: money for nothing.
    if (subscription.anchor.has_value()) return Keep(subscription, Verdict::kDuplicate);
    return IllegalSubscription(subscription, "its first payment (refund it)");
  }
  const std::chrono::year_month_day anchor = KstDate(approved_at);
  auto period = NthBillingPeriod(anchor, subscription.cycle, 0);
  if (!period.ok()) return Fail(period.error());
  Subscription after = subscription;
  after.status = SS::kActive;
  after.anchor = anchor;
  after.current_period_start = period->start;
  after.current_period_end = period->end;
  after.next_billing_date = period->next_billing_date;
  after.dunning_attempts = 0;
  after.next_retry_at.reset();
  return SubscriptionUpdate{Verdict::kApply, after};
}

Result<SubscriptionUpdate> SubscriptionOnRenewalPaid(const Subscription& subscription,
                                                     std::chrono::year_month_day billing_date) {
  if (subscription.status == SS::kPending || !subscription.anchor.has_value()) {
    return IllegalSubscription(subscription, "a renewal before its first payment");
  }
  auto period = BillingPeriodContaining(*subscription.anchor, subscription.cycle, billing_date);
  if (!period.ok()) return Fail(period.error());
  if (period->start != billing_date) {
    return Error::Permanent(std::string(kSubscriptionBillingDateInvalid),
                            "renewal for a date that is not a billing date; its period starts " +
                                std::to_string(static_cast<int>(period->start.year())) + "-" +
                                std::to_string(static_cast<unsigned>(period->start.month())) + "-" +
                                std::to_string(static_cast<unsigned>(period->start.day())));
  }
  if (subscription.current_period_start) {
    if (billing_date == *subscription.current_period_start) {
      return Keep(subscription, Verdict::kDuplicate);
    }
    if (billing_date < *subscription.current_period_start) {
      return Keep(subscription, Verdict::kStale);
    }
  }
  if (HasEnded(subscription.status)) {
    return IllegalSubscription(subscription, "a renewal for a new period (refund it)");
  }
  // Renewals are charged for next_billing_date; a later date would skip an unpaid period.
  if (subscription.next_billing_date && billing_date > *subscription.next_billing_date) {
    return Error::Permanent(std::string(kSubscriptionBillingDateInvalid),
                            "renewal for a period after the next billing date: a period would "
                            "go unpaid");
  }
  Subscription after = subscription;
  after.status = SS::kActive;
  after.current_period_start = period->start;
  after.current_period_end = period->end;
  after.next_billing_date = period->next_billing_date;
  after.dunning_attempts = 0;
  after.next_retry_at.reset();
  return SubscriptionUpdate{Verdict::kApply, after};
}

Result<SubscriptionUpdate> SubscriptionOnRenewalDeclined(const Subscription& subscription,
                                                         int attempt, const DunningPolicy& policy,
                                                         Instant declined_at) {
  if (attempt < 0) {
    return IllegalSubscription(subscription,
                               "a decline of dunning attempt " + std::to_string(attempt));
  }
  if (subscription.status == SS::kPending) {
    return IllegalSubscription(subscription, "a declined renewal before its first payment");
  }
  if (HasEnded(subscription.status)) return Keep(subscription, Verdict::kStale);
  if (subscription.dunning_attempts > attempt) return Keep(subscription, Verdict::kDuplicate);
  Subscription after = subscription;
  after.dunning_attempts = attempt + 1;
  const auto retries = static_cast<std::size_t>(attempt);
  if (retries < policy.retry_after.size()) {
    after.status = SS::kPastDue;
    after.next_retry_at = declined_at + policy.retry_after[retries];
  } else {
    // The schedule ran out: the subscription lapses for non-payment (not a customer cancel).
    after.status = SS::kExpired;
    after.next_retry_at.reset();
    after.next_billing_date.reset();
  }
  return SubscriptionUpdate{Verdict::kApply, after};
}

Result<SubscriptionUpdate> SubscriptionOnCancel(const Subscription& subscription,
                                                Instant canceled_at) {
  switch (subscription.status) {
    case SS::kCanceled:
      return Keep(subscription, Verdict::kDuplicate);
    case SS::kExpired:
      return Keep(subscription, Verdict::kStale);
    case SS::kPending:
    case SS::kActive:
    case SS::kPastDue:
      break;
  }
  Subscription after = subscription;
  after.status = SS::kCanceled;
  after.canceled_at = canceled_at;
  after.next_billing_date.reset();
  after.next_retry_at.reset();
  return SubscriptionUpdate{Verdict::kApply, after};
}

}  // namespace paypipe::domain
