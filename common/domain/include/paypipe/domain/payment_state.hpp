#pragma once

// The payment state machine: what a newly observed PG state does to the payment we store.
//
// Statuses are the Toss vocabulary, used for every provider (payments.status), plus FAILED
// (PortOne's failed payments) and UNKNOWN (a confirm whose outcome awaits a look-up). Toss moves a
// payment READY -> IN_PROGRESS -> DONE | ABORTED | EXPIRED, virtual accounts through
// WAITING_FOR_DEPOSIT, and approved payments to PARTIAL_CANCELED / CANCELED as cancels shrink the
// cancelable balance (balanceAmount), which only ever goes down.
//
// Observations arrive at least once and out of order: Toss retries a webhook for three days,
// webhooks and the confirm response race each other, two look-ups may commit in either order.
// So the rule is "the state only moves forward": a late DONE never reopens a CANCELED or
// PARTIAL_CANCELED payment, a PARTIAL_CANCELED with a higher balance than stored is stale, and a
// state that skips steps (CANCELED seen before DONE) is applied with every step's money effect.
// Observations that contradict what we hold (money on a payment we hold as FAILED, FAILED after
// DONE) are refused: retrying cannot help, a human must look.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/instant.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/domain/verdict.hpp"

namespace paypipe::domain {

enum class PaymentStatus {
  kReady,              // created; the customer has not authenticated yet (Toss: 30 minutes)
  kInProgress,         // authenticated; awaiting our confirm (Toss: 10 minutes, then EXPIRED)
  kWaitingForDeposit,  // virtual account issued, no deposit yet
  kDone,               // approved: money captured
  kPartialCanceled,    // approved, part of it canceled
  kCanceled,           // fully canceled (or a virtual account canceled before any deposit)
  kAborted,            // approval failed (Toss)
  kExpired,            // not authenticated / confirmed / deposited in time
  kFailed,             // payment failed (PortOne)
  kUnknown,            // our confirm got no answer (timeout, UNKNOWN_PAYMENT_ERROR): look it up
};

inline constexpr std::array<PaymentStatus, 10> kAllPaymentStatuses = {
    PaymentStatus::kReady,   PaymentStatus::kInProgress,      PaymentStatus::kWaitingForDeposit,
    PaymentStatus::kDone,    PaymentStatus::kPartialCanceled, PaymentStatus::kCanceled,
    PaymentStatus::kAborted, PaymentStatus::kExpired,         PaymentStatus::kFailed,
    PaymentStatus::kUnknown};

// Stable error codes of this rule (all Permanent: the message goes to the parking lot).
inline constexpr std::string_view kPaymentStatusUnrecognized = "PAYMENT_STATUS_UNRECOGNIZED";
inline constexpr std::string_view kPaymentTransitionIllegal = "PAYMENT_TRANSITION_ILLEGAL";
// Toss DEPOSIT_CALLBACK can move DONE back to WAITING_FOR_DEPOSIT when a deposit is reversed;
// the captured money is then gone and its ledger lines must be reversed by a person.
inline constexpr std::string_view kPaymentDepositReversed = "PAYMENT_DEPOSIT_REVERSED";
// The observation contradicts itself (DONE with balance < total, cancels that do not add up).
inline constexpr std::string_view kPaymentObservationInconsistent =
    "PAYMENT_OBSERVATION_INCONSISTENT";
// The PG reports another total for a payment whose money we already captured.
inline constexpr std::string_view kPaymentTotalChanged = "PAYMENT_TOTAL_CHANGED";

// "PARTIAL_CANCELED": the payments.status vocabulary.
[[nodiscard]] const char* ToString(PaymentStatus status);
// Reads payments.status back; anything else is kPaymentStatusUnrecognized.
[[nodiscard]] Result<PaymentStatus> ParsePaymentStatus(std::string_view text);
// CANCELED, ABORTED, EXPIRED, FAILED: nothing follows them.
[[nodiscard]] bool IsTerminal(PaymentStatus status);

// What we hold (the payments row).
struct StoredPayment {
  PaymentStatus status = PaymentStatus::kUnknown;
  Money total;
  Money balance;  // balance_amount: what can still be canceled
  // Set once money was captured; tells a paid-then-canceled payment from a virtual account
  // canceled before any deposit.
  std::optional<Instant> approved_at;
};

// One cancel transaction as the PG lists it (cancel_history.hpp decides which are new to us).
struct ObservedCancel {
  // The PG's id of this cancel: Toss cancels[].transactionKey, PortOne V2 cancellations[].id,
  // V1 cancel_history[].cancellation_id; empty when the PG names none.
  std::string transaction_key;
  Money amount;
  std::optional<Instant> canceled_at;
  Money tax_free_amount = Money::Zero();  // the tax-free part of amount
};

// What the PG reports now (a look-up, a confirm or cancel response), already mapped to our
// vocabulary (pg_mapping.hpp). Webhook bodies are never trusted as such: re-fetch first. The
// one status no PG reports, kUnknown, is how the confirm stage records its own "no answer".
struct ObservedPayment {
  PaymentStatus status = PaymentStatus::kUnknown;
  Money total;
  Money balance;
  std::optional<Instant> approved_at;
  std::optional<Instant> canceled_at;   // of the cancel that emptied the balance, if known
  std::vector<ObservedCancel> cancels;  // empty when the PG did not list them
};

// The change to write when the verdict is kApply. For kDuplicate and kStale it describes the
// stored state unchanged (from == to, nothing captured or refunded).
struct PaymentTransition {
  PaymentStatus from = PaymentStatus::kUnknown;
  PaymentStatus to = PaymentStatus::kUnknown;
  Money balance_before;
  Money balance_after;
  // Money this change captures: the total when the payment becomes approved now (post a
  // capture), zero otherwise. Never captured twice: an approved payment stays approved.
  Money captured;
  // Money this change refunds: the drop of the cancelable balance since the last state we held
  // (post a reversal per cancel). A skipped step counts: DONE never seen, CANCELED seen at once
  // means captured == refunded == total.
  Money refunded;
  std::optional<Instant> approved_at;  // to store
  std::optional<Instant> canceled_at;  // to store: when the balance reached 0
};

struct PaymentDecision {
  Verdict verdict = Verdict::kDuplicate;
  PaymentTransition transition;
};

// Whether a payment in this observed state holds (or held) captured money.
[[nodiscard]] bool IsApproved(const ObservedPayment& observed);

// Decides what an observation does to the stored payment. Errors (Permanent):
// kPaymentTransitionIllegal, kPaymentDepositReversed, kPaymentObservationInconsistent,
// kPaymentTotalChanged.
[[nodiscard]] Result<PaymentDecision> DecidePaymentUpdate(const StoredPayment& stored,
                                                          const ObservedPayment& observed);

// The first observation of a payment we hold no row for (a webhook before the confirm
// response): always applied, as if from UNKNOWN with nothing captured.
[[nodiscard]] Result<PaymentTransition> FirstPaymentObservation(const ObservedPayment& observed);

// A look-up asked for by a webhook that says what the payment became (its status in our
// vocabulary, and when, if the body says). The claim is never applied: it may only spare a
// look-up that could not tell us anything the webhook claims.
struct WebhookClaim {
  PaymentStatus status = PaymentStatus::kUnknown;
  std::optional<Instant> event_at;
};

// The payment as we hold it, for that decision: its status and when a PG answer was last
// written to it (payments.last_verified_at; nullopt when no PG answer wrote the row).
struct HeldPayment {
  PaymentStatus status = PaymentStatus::kUnknown;
  std::optional<Instant> verified_at;
};

enum class VerifyAction { kLookUp, kSkip };

// Whether the look-up a webhook asks for can be skipped. Skipped only when we hold the claimed
// status and that status is one a payment reaches once, with nothing after it that repeats it:
// DONE (later changes are cancels, a reversed deposit is reported by its own callback),
// CANCELED, ABORTED, EXPIRED, FAILED. A look-up then shows that same status or a later one the
// webhook does not claim (that one has its own webhook). Statuses a payment can hold again with
// other content are always looked up: PARTIAL_CANCELED (a further partial cancel keeps it),
// WAITING_FOR_DEPOSIT (re-entered when a deposit is reversed), READY, IN_PROGRESS; the held
// verified_at cannot vouch for them, as it is written at commit, after the PG answered. When the
// webhook carries its event time, a PG answer written at or after it is required as well, so a
// row older than the event is looked up; a row no PG answer wrote (a declined confirm) then
// cannot qualify. No claim, no held row, or another status: look up.
[[nodiscard]] VerifyAction DecideWebhookVerify(const std::optional<HeldPayment>& held,
                                               const std::optional<WebhookClaim>& claim);

}  // namespace paypipe::domain
