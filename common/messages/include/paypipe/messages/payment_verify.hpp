#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/webhook_received.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {

// `payment.verify`, consumed by the confirm stage (routing key "confirm", as payment.confirm):
// look one payment up at its PG and apply what the PG holds. Emitted by webhook-intake for every
// webhook (a webhook's own status is never trusted) and by the scheduler's reconciliation for
// payments stuck in IN_PROGRESS or UNKNOWN.
//
// Body, schema_version 1:
//   {"schema_version": 1, "provider": "toss"|"portone"|"portone_v1",
//    "paymentKey": "<1..200 visible ASCII>",
//    "orderId": "<6..64 of [A-Za-z0-9_-]>"?,          (absent: the PG's answer names it)
//    "reason": "<0..200 characters>"?}                (what asked for the look-up, for people:
//                                                      "webhook:PAYMENT_STATUS_CHANGED",
//                                                      "reconcile:UNKNOWN"),
//    "claimedStatus": "<payments.status name>"?,       (webhook-intake: the status the webhook
//                                                      says the payment has, e.g. "DONE",
//                                                      "CANCELED"; never applied, it only lets
//                                                      the confirm stage skip a look-up that
//                                                      could not reveal it; absent: look up)
//    "eventAt": "2026-03-01T01:00:00.123Z"?}          (when the PG says the event happened,
//                                                      UTC, rounded up to the millisecond;
//                                                      absent when the body has no time)
// Messages without the last two fields (written before they existed, or by the reconciliation)
// are looked up as always.
// Correlation id: the order id when known. Message id: derived by the runtime from the webhook
// for webhook-intake (runtime::Derive); for the reconciliation, ReconcileVerifyMessageId of the
// payment row and the attempt, so a run repeated after a crash cannot emit one attempt twice.
inline constexpr std::string_view kPaymentVerifyType = "payment.verify";

struct PaymentVerify {
  Provider provider = Provider::kToss;
  domain::PaymentKey payment_key;
  std::optional<domain::OrderId> order_id;
  std::string reason;  // empty: not sent
  std::optional<domain::PaymentStatus> claimed_status;
  std::optional<WebhookTime> event_at;

  friend bool operator==(const PaymentVerify&, const PaymentVerify&) = default;
};

// For a stage's accepted message types.
[[nodiscard]] runtime::MessageTypeSpec PaymentVerifySpec();

[[nodiscard]] nlohmann::json ToJson(const PaymentVerify& verify);
// Permanent MALFORMED_BODY naming the bad field when the body does not follow the schema.
[[nodiscard]] domain::Result<PaymentVerify> ParsePaymentVerify(const nlohmann::json& body);

// The id of the reconciliation's `attempt`-th look-up (1-based) of the payment whose
// payments.id is `payment_id`.
[[nodiscard]] std::string ReconcileVerifyMessageId(std::int64_t payment_id, std::int64_t attempt);
// The message as a process that starts a pipeline run publishes it (the scheduler): the given
// id, correlated with the order id when known.
[[nodiscard]] runtime::OutboundMessage BuildPaymentVerify(const PaymentVerify& verify,
                                                          std::string message_id,
                                                          std::int64_t now_seconds);
// The message as a stage emits it through its outbox (the runtime derives the id); correlated
// with the order id when known, else with the incoming message's correlation id.
[[nodiscard]] runtime::OutgoingMessage ToOutgoing(const PaymentVerify& verify);

}  // namespace paypipe::messages
