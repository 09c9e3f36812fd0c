#pragma once

// PG vocabularies mapped to ours: payment statuses into PaymentStatus, and failed PG calls into
// what the caller should do next.
//
// Statuses: Toss already speaks our vocabulary. PortOne V2 (READY, PENDING / PAY_PENDING,
// VIRTUAL_ACCOUNT_ISSUED, PAID, PARTIAL_CANCELLED, CANCELLED, FAILED) maps one to one. PortOne V1
// has only ready / paid / cancelled / failed: an issued virtual account is "ready" with a vbank
// number, and a partly canceled payment stays "paid" with cancel_amount > 0, so V1 needs amounts.
// An unrecognised status is a Permanent error naming it (parking lot), never a guess.
//
// Errors: decided by the PG's code, not the HTTP status (Toss PROVIDER_ERROR is a 400 that
// succeeds when sent again). Four outcomes, because "retry" and "look it up" differ: retrying a
// call that may have been executed is safe only with the same Idempotency-Key, and a PG that
// says "already done" has to be asked what was done.

#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/money.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::domain {

enum class PgProvider { kToss, kPortOneV1, kPortOneV2 };

[[nodiscard]] const char* ToString(PgProvider provider);  // "Toss", "PortOne V1", "PortOne V2"

inline constexpr std::string_view kPgStatusUnrecognized = "PG_STATUS_UNRECOGNIZED";

// Toss Payment.status. FAILED and UNKNOWN are ours, not Toss's: they are refused too.
[[nodiscard]] Result<PaymentStatus> MapTossStatus(std::string_view status);

// PortOne V2 Payment.status (upper case). PENDING and PAY_PENDING (payment started, completion
// pending at the PG) become IN_PROGRESS.
[[nodiscard]] Result<PaymentStatus> MapPortOneV2Status(std::string_view status);

enum class VirtualAccount { kNotIssued, kIssued };

// The fields of a PortOne V1 payment (GET /payments/{imp_uid}) that decide its status.
struct PortOneV1Payment {
  std::string_view status;  // ready | paid | cancelled | failed
  Money amount;
  Money cancel_amount;
  VirtualAccount virtual_account = VirtualAccount::kNotIssued;  // vbank_num present
};

struct MappedPayment {
  PaymentStatus status = PaymentStatus::kUnknown;
  Money balance;  // amount - cancel_amount
};

// Errors: kPgStatusUnrecognized; kPaymentObservationInconsistent when cancel_amount is
// negative or exceeds amount.
[[nodiscard]] Result<MappedPayment> MapPortOneV1Payment(const PortOneV1Payment& payment);

// What to do after a PG call failed.
enum class PgErrorClass {
  // Nothing was done, or the PG asks to come back: retry the same call, with the same
  // Idempotency-Key, after a backoff.
  kTransient,
  // The call may have been executed (timeout after sending, UNKNOWN_PAYMENT_ERROR): look the
  // payment up and act on what the PG holds; never guess.
  kUnknownOutcome,
  // The PG already did it (an earlier attempt, another request, its dashboard): look the
  // payment up and apply what it reports; do not call again.
  kAlreadyProcessed,
  // A final refusal (declined card, bad request, nothing left to cancel): retrying cannot help.
  kDeclined,
};

[[nodiscard]] const char* ToString(PgErrorClass error_class);

// How far the request got. A request that never left (DNS, connection refused, connect
// timeout) did nothing; one that was sent and got no answer may have been executed.
enum class CallDelivery { kNotSent, kSentNoResponse, kResponded };

struct PgCallFailure {
  CallDelivery delivery = CallDelivery::kResponded;
  std::optional<int> http_status;  // with kResponded
  std::string code;  // Toss `code`, PortOne V2 `type`; empty when the body had none (PortOne V1)
  std::string message;
};

// Stable codes of failures that carry no PG code.
inline constexpr std::string_view kPgUnreachable = "PG_UNREACHABLE";  // not sent
inline constexpr std::string_view kPgNoResponse = "PG_NO_RESPONSE";   // sent, no answer

[[nodiscard]] PgErrorClass ClassifyPgFailure(PgProvider provider, const PgCallFailure& failure);

// payment_attempts.outcome of a failed call: TRANSIENT, UNKNOWN (resolved by a look-up) or
// FAILED.
[[nodiscard]] const char* AttemptOutcome(PgErrorClass error_class);

// The failure as an Error for the stage runtime: Permanent for kDeclined, Transient otherwise
// (the message is retried; a retry after kUnknownOutcome / kAlreadyProcessed looks up first).
// The code is the PG's code, else kPgUnreachable / kPgNoResponse / "PG_HTTP_<status>".
[[nodiscard]] Error ToError(PgProvider provider, const PgCallFailure& failure);

}  // namespace paypipe::domain
