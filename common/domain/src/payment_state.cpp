#include "paypipe/domain/payment_state.hpp"

namespace paypipe::domain {
namespace {

using S = PaymentStatus;

// What the status pair alone decides; kByBalance defers to the cancelable balance.
enum class Rule { kApply, kDuplicate, kStale, kIllegal, kDepositReversal, kByBalance };

bool IsFailure(S status) {
  return status == S::kAborted || status == S::kExpired || status == S::kFailed;
}
bool IsPreApproval(S status) {
  return status == S::kReady || status == S::kInProgress || status == S::kWaitingForDeposit;
}

Rule RuleFor(S from, S to) {
  if (from == to) return from == S::kPartialCanceled ? Rule::kByBalance : Rule::kDuplicate;
  // A look-up resolves an unknown outcome to whatever the PG holds.
  if (from == S::kUnknown) return Rule::kApply;
  // Our own "no answer" only replaces states that know less than it.
  if (to == S::kUnknown) {
    return from == S::kReady || from == S::kInProgress ? Rule::kApply : Rule::kStale;
  }
  switch (from) {
    case S::kReady:
      // Anything may follow creation. ABORTED/FAILED included: PortOne has no authenticated
      // step (V1 ready -> failed, V2 READY -> FAILED), and a missed IN_PROGRESS is no reason to
      // refuse what it led to.
      return Rule::kApply;
    case S::kInProgress:
      return to == S::kReady ? Rule::kStale : Rule::kApply;
    case S::kWaitingForDeposit:
      if (to == S::kReady || to == S::kInProgress) return Rule::kStale;
      // An unpaid virtual account ends by deposit (DONE), cancel or deadline, never by a
      // failed approval.
      if (to == S::kAborted || to == S::kFailed) return Rule::kIllegal;
      return Rule::kApply;
    case S::kDone:
      if (to == S::kReady || to == S::kInProgress) return Rule::kStale;
      if (to == S::kWaitingForDeposit) return Rule::kDepositReversal;
      if (to == S::kPartialCanceled) return Rule::kByBalance;
      if (to == S::kCanceled) return Rule::kApply;
      return Rule::kIllegal;  // captured money cannot fail or expire afterwards
    case S::kPartialCanceled:
      if (IsPreApproval(to) || to == S::kDone) return Rule::kStale;
      if (to == S::kCanceled) return Rule::kApply;
      return Rule::kIllegal;
    case S::kCanceled:
      return IsFailure(to) ? Rule::kIllegal : Rule::kStale;
    case S::kAborted:
    case S::kExpired:
    case S::kFailed:
      // Earlier steps arriving late are stale; money or another ending is a contradiction.
      return IsPreApproval(to) ? Rule::kStale : Rule::kIllegal;
    case S::kUnknown:
      return Rule::kApply;
  }
  return Rule::kIllegal;
}

bool StoredIsApproved(const StoredPayment& stored) {
  return stored.approved_at.has_value() || stored.status == S::kDone ||
         stored.status == S::kPartialCanceled;
}

Error Inconsistent(const ObservedPayment& observed, const std::string& why) {
  return Error::Permanent(std::string(kPaymentObservationInconsistent),
                          std::string("observed ") + ToString(observed.status) + " (total " +
                              observed.total.Format() + ", balance " + observed.balance.Format() +
                              "): " + why);
}

Status Validate(const ObservedPayment& observed) {
  if (observed.total.IsNegative()) return Inconsistent(observed, "negative total");
  if (observed.balance.IsNegative() || observed.balance > observed.total) {
    return Inconsistent(observed, "balance outside 0..total");
  }
  switch (observed.status) {
    case S::kDone:
      if (observed.balance != observed.total) return Inconsistent(observed, "DONE with cancels");
      break;
    case S::kPartialCanceled:
      if (observed.balance.IsZero() || observed.balance == observed.total) {
        return Inconsistent(observed, "PARTIAL_CANCELED needs 0 < balance < total");
      }
      break;
    case S::kCanceled:
      if (observed.approved_at.has_value() && !observed.balance.IsZero()) {
        return Inconsistent(observed, "CANCELED with a balance left");
      }
      break;
    default:
      break;
  }
  Money canceled = Money::Zero();
  for (const ObservedCancel& cancel : observed.cancels) {
    if (cancel.amount.IsNegative() || cancel.amount.IsZero()) {
      return Inconsistent(observed,
                          "cancel " + cancel.transaction_key + " of " + cancel.amount.Format());
    }
    if (cancel.tax_free_amount.IsNegative() || cancel.tax_free_amount > cancel.amount) {
      return Inconsistent(
          observed, "cancel " + cancel.transaction_key + " has a tax-free part of " +
                        cancel.tax_free_amount.Format() + " outside 0.." + cancel.amount.Format());
    }
    auto sum = canceled.Plus(cancel.amount);
    if (!sum.ok()) return Fail(sum.error());
    canceled = *sum;
  }
  if (!observed.cancels.empty() && IsApproved(observed)) {
    auto expected = observed.total.Minus(observed.balance);
    if (!expected.ok()) return Fail(expected.error());
    if (canceled != *expected) {
      return Inconsistent(observed, "cancels add up to " + canceled.Format() +
                                        ", total - balance is " + expected->Format());
    }
  }
  return Ok();
}

std::optional<Instant> CanceledAt(const ObservedPayment& observed) {
  if (observed.status != S::kCanceled) return std::nullopt;
  if (observed.canceled_at) return observed.canceled_at;
  std::optional<Instant> latest;
  for (const ObservedCancel& cancel : observed.cancels) {
    if (cancel.canceled_at && (!latest || *cancel.canceled_at > *latest)) {
      latest = cancel.canceled_at;
    }
  }
  return latest;
}

PaymentTransition Unchanged(const StoredPayment& stored) {
  PaymentTransition unchanged;
  unchanged.from = stored.status;
  unchanged.to = stored.status;
  unchanged.balance_before = stored.balance;
  unchanged.balance_after = stored.balance;
  unchanged.approved_at = stored.approved_at;
  return unchanged;
}

Result<PaymentTransition> Applied(const StoredPayment& stored, const ObservedPayment& observed) {
  PaymentTransition change;
  change.from = stored.status;
  change.to = observed.status;
  change.balance_before = stored.balance;
  change.balance_after = observed.balance;
  change.approved_at = observed.approved_at ? observed.approved_at : stored.approved_at;
  change.canceled_at = CanceledAt(observed);
  if (!IsApproved(observed)) return change;
  const bool captured_before = StoredIsApproved(stored);
  // The cancelable balance before this change: what we held, or the whole total when the
  // capture happens in this very change.
  const Money base = captured_before ? stored.balance : observed.total;
  if (!captured_before) change.captured = observed.total;
  auto refunded = base.Minus(observed.balance);
  if (!refunded.ok()) return Fail(refunded.error());
  change.refunded = *refunded;
  return change;
}

Error Illegal(std::string_view code, S from, S to, std::string_view why) {
  return Error::Permanent(std::string(code), std::string("payment ") + ToString(from) +
                                                 " cannot become " + ToString(to) + ": " +
                                                 std::string(why));
}

const char* IllegalWhy(S from, S to) {
  if (IsTerminal(from)) return "the stored state is final";
  if (from == S::kDone || from == S::kPartialCanceled) {
    return "captured money cannot fail or expire afterwards";
  }
  if (from == S::kWaitingForDeposit && IsFailure(to)) {
    return "an unpaid virtual account ends by deposit, cancel or deadline";
  }
  return "not a step any PG takes";
}

}  // namespace

const char* ToString(PaymentStatus status) {
  switch (status) {
    case S::kReady:
      return "READY";
    case S::kInProgress:
      return "IN_PROGRESS";
    case S::kWaitingForDeposit:
      return "WAITING_FOR_DEPOSIT";
    case S::kDone:
      return "DONE";
    case S::kPartialCanceled:
      return "PARTIAL_CANCELED";
    case S::kCanceled:
      return "CANCELED";
    case S::kAborted:
      return "ABORTED";
    case S::kExpired:
      return "EXPIRED";
    case S::kFailed:
      return "FAILED";
    case S::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

Result<PaymentStatus> ParsePaymentStatus(std::string_view text) {
  for (PaymentStatus status : kAllPaymentStatuses) {
    if (text == ToString(status)) return status;
  }
  return Error::Permanent(std::string(kPaymentStatusUnrecognized),
                          "not a payment status: '" + std::string(text) + "'");
}

bool IsTerminal(PaymentStatus status) { return status == S::kCanceled || IsFailure(status); }

bool IsApproved(const ObservedPayment& observed) {
  switch (observed.status) {
    case S::kDone:
    case S::kPartialCanceled:
      return true;
    case S::kCanceled:
      // A virtual account canceled before any deposit was never approved.
      return observed.approved_at.has_value();
    default:
      return false;
  }
}

Result<PaymentDecision> DecidePaymentUpdate(const StoredPayment& stored,
                                            const ObservedPayment& observed) {
  PAYPIPE_RETURN_IF_ERROR(Validate(observed));
  const S from = stored.status;
  const S to = observed.status;
  Rule rule = RuleFor(from, to);
  if (rule == Rule::kByBalance) {
    rule = observed.balance < stored.balance    ? Rule::kApply
           : observed.balance == stored.balance ? Rule::kDuplicate
                                                : Rule::kStale;
  }
  switch (rule) {
    case Rule::kDuplicate:
      return PaymentDecision{Verdict::kDuplicate, Unchanged(stored)};
    case Rule::kStale:
      return PaymentDecision{Verdict::kStale, Unchanged(stored)};
    case Rule::kIllegal:
      return Illegal(kPaymentTransitionIllegal, from, to, IllegalWhy(from, to));
    case Rule::kDepositReversal:
      return Illegal(kPaymentDepositReversed, from, to,
                     "the deposit was reversed; reverse its ledger lines by hand");
    case Rule::kApply:
    case Rule::kByBalance:
      break;
  }
  // Once money is captured the total is fixed; before that the PG's total is the truth (the
  // amount check compares it with the order).
  if (StoredIsApproved(stored) && observed.total != stored.total) {
    return Error::Permanent(std::string(kPaymentTotalChanged),
                            std::string("stored total ") + stored.total.Format() + ", PG reports " +
                                observed.total.Format());
  }
  auto change = Applied(stored, observed);
  if (!change.ok()) return Fail(change.error());
  return PaymentDecision{Verdict::kApply, std::move(change).value()};
}

Result<PaymentTransition> FirstPaymentObservation(const ObservedPayment& observed) {
  PAYPIPE_RETURN_IF_ERROR(Validate(observed));
  const StoredPayment nothing{S::kUnknown, observed.total, observed.total, std::nullopt};
  return Applied(nothing, observed);
}

VerifyAction DecideWebhookVerify(const std::optional<HeldPayment>& held,
                                 const std::optional<WebhookClaim>& claim) {
  if (!held || !claim || held->status != claim->status) return VerifyAction::kLookUp;
  if (claim->status != S::kDone && !IsTerminal(claim->status)) return VerifyAction::kLookUp;
  if (claim->event_at && (!held->verified_at || *held->verified_at < *claim->event_at)) {
    return VerifyAction::kLookUp;
  }
  return VerifyAction::kSkip;
}

}  // namespace paypipe::domain
