#pragma once

// Which of the cancels a PG reports are new to us, each recorded on its own.
//
// A PG lists every cancel of a payment as its own transaction (Toss cancels[], PortOne V2
// cancellations[], V1 cancel_history[]), oldest first. One look-up may reveal several we have
// not seen — a partial cancel and then the rest, both made before we looked — and each is its
// own refund: its own amount, tax-free part, time and KST business date (the day settlement
// counts it for). So every new cancel becomes its own payment_cancels row and its own reversing
// posting (cancel:<payment_cancels.id>), never one row for the whole drop of the balance.
//
// The money comes from the payment state machine: PaymentTransition::refunded is the drop of
// the cancelable balance since the state we hold, and that balance only goes down, so a
// redelivered message or a repeated look-up refunds nothing twice. This rule only splits that
// money into the PG's cancels. A cancel is new when we hold no row with its transaction key
// (unique (payment_id, pg_transaction_key)).
//
// Cancels paypipe asks for itself (origin API, AUTO, SUBSCRIPTION) have a row before the PG
// is called and get the PG's transaction key when the cancel path records the PG's answer — in
// the same transaction that lowers the payment's balance and posts the cancel, so that a held
// key always means money the stored balance shows. A look-up that sees such a cancel first (the
// answer not recorded yet, or lost) completes that request's row instead of adding one of
// origin PG; the cancel path then finds it SUCCEEDED, with its key and posting.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/instant.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::domain {

// payment_cancels.pg_transaction_key holds 64 characters; keys are compared as stored.
inline constexpr std::size_t kMaxCancelTransactionKeyLength = 64;
[[nodiscard]] std::string StoredTransactionKey(std::string_view key);

// The cancels we do not hold do not add up to the money this change refunds: we hold cancels
// under other keys than the PG's, or hold a cancel whose money the stored balance does not show.
// Permanent: a person must look.
inline constexpr std::string_view kPaymentCancelsUnaccounted = "PAYMENT_CANCELS_UNACCOUNTED";

// One cancel to record.
struct NewCancel {
  // As stored; empty for money the PG refunded without naming a cancel of its own (no list, or
  // cancels without a key or sharing one).
  std::string transaction_key;
  Money amount;
  Money tax_free_amount;
  Instant canceled_at;
  std::chrono::year_month_day business_date;  // KST date of canceled_at
  Money balance_after;                        // the cancelable balance this cancel left
};

// The cancels an applied change (verdict kApply) records, in the PG's order; empty when it
// refunds nothing. `held_keys`: the transaction keys of the payment's payment_cancels rows.
// - Every listed cancel with a key of its own that we do not hold, with its own amount,
//   tax-free part and time (missing: the payment's cancel time for the cancel that emptied the
//   balance, else the approval time).
// - When these add up to less than transition.refunded and the PG lists no cancels, or lists
//   cancels without a key of their own (none, or one several share) worth at least the rest:
//   one unnamed cancel for the rest, at the latest time the PG gives for such a cancel (else as
//   above).
// Errors (Permanent): kPaymentCancelsUnaccounted when the cancels do not account for the money
// otherwise; kPaymentObservationInconsistent when a cancel has no time and the payment no
// approval time either.
[[nodiscard]] Result<std::vector<NewCancel>> NewCancels(const ObservedPayment& observed,
                                                        const PaymentTransition& transition,
                                                        const std::vector<std::string>& held_keys);

// A cancel paypipe asked for whose PG transaction it does not know yet: a payment_cancels row of
// origin API, AUTO or SUBSCRIPTION, not SUCCEEDED, without pg_transaction_key.
struct OpenCancelRequest {
  std::int64_t id = 0;                    // payment_cancels.id
  std::optional<Money> requested_amount;  // nullopt: the whole balance
};

struct CancelToRecord {
  NewCancel cancel;
  std::optional<std::int64_t> request_id;  // the request it fulfils; nullopt: a row of origin PG
};

// Pairs each new cancel with the request it fulfils: the oldest open request (lowest id) for
// exactly its amount, else — for the cancel that emptied the balance — the oldest request for
// the whole balance. A request is fulfilled at most once; an unmatched cancel was made elsewhere
// (the PG's dashboard, another system).
[[nodiscard]] std::vector<CancelToRecord> MatchOpenRequests(
    const std::vector<NewCancel>& cancels, const std::vector<OpenCancelRequest>& open_requests);

}  // namespace paypipe::domain
