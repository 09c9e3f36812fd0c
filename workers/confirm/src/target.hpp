#pragma once

// What one confirm-stage message is about, and what Prepare hands to Handle.

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "paypipe/domain/money.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/runtime/envelope.hpp"
#include "paypipe/runtime/stage.hpp"

namespace paypipe::confirm {

struct Target {
  messages::Provider provider = messages::Provider::kToss;
  std::string payment_key;
  std::string order_id;                           // empty: learn it from the PG
  std::optional<domain::Money> requested_amount;  // payment.confirm only
  bool confirm = false;                           // payment.confirm (else payment.verify)
  std::optional<domain::WebhookClaim> claim;      // payment.verify from a webhook that says
                                                  // which status the payment has
};

[[nodiscard]] domain::Result<Target> TargetOf(const runtime::Envelope& message);

// message.prepared: {"op": "observed"|"declined"|"refused"|"unchanged", "orderId",
// "payment"?: PgPayment, "failure_code"?, "failure_message"?}. "unchanged": a webhook's look-up
// skipped because we hold what it claims; nothing to apply.
inline constexpr const char* kObserved = "observed";
inline constexpr const char* kDeclined = "declined";
inline constexpr const char* kRefused = "refused";
inline constexpr const char* kUnchanged = "unchanged";

[[nodiscard]] domain::Result<std::vector<runtime::OutgoingMessage>> ApplyPrepared(
    const runtime::Envelope& message, const Target& target, runtime::UnitOfWork& work);

// ApplyPrepared for several messages in one unit of work; result[i] is messages[i]'s. The common
// case (a payment approved or moved by a PG observation, one message per payment and order) is
// written for the whole batch with one statement per table; every other message goes through
// ApplyPrepared, in batch order.
[[nodiscard]] domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> ApplyPreparedBatch(
    std::span<const runtime::Envelope* const> messages, std::span<const Target> targets,
    runtime::UnitOfWork& work);

}  // namespace paypipe::confirm
