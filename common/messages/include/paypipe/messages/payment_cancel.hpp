#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {

// `payment.cancel`, consumed by the cancel-retry stage (routing key "cancel-retry"): cancel a
// payment in full or in part at its PG.
//
// Body, schema_version 1:
//   {"schema_version": 1, "provider": "toss"|"portone"|"portone_v1",
//    "paymentKey": "<1..200 visible ASCII>", "cancelReason": "<1..200 characters>",
//    "cancelAmount": <integer KRW, 1..2^53-1; absent = the whole balance>,
//    "idempotencyKey": "<1..300 visible ASCII>", "origin": "API"|"AUTO"|"SUBSCRIPTION"|"PG"}
// `idempotencyKey` identifies the cancel (payment_cancels.request_key): the storefront's
// Idempotency-Key for origin API; for other origins, a key the emitting stage derives from the
// operation. Correlation id: the order id. Message id (gateway): OriginMessageId of provider,
// payment key and idempotency key, so a repeated request is one message.
inline constexpr std::string_view kPaymentCancelType = "payment.cancel";
inline constexpr std::string_view kCancelRetryRoutingKey = "cancel-retry";

// Who asked for the cancel; the vocabulary of payment_cancels.origin.
enum class CancelOrigin {
  kApi,           // "API": the storefront, through POST /v1/payments/{paymentKey}/cancel
  kAuto,          // "AUTO": the confirm stage, for an amount mismatch
  kSubscription,  // "SUBSCRIPTION": a subscription ended
  kPg,            // "PG": learned from the PG (webhook, look-up)
};

[[nodiscard]] const char* ToString(CancelOrigin origin);

struct PaymentCancel {
  Provider provider = Provider::kToss;
  domain::PaymentKey payment_key;
  std::string cancel_reason;
  std::optional<domain::Money> cancel_amount;  // nullopt: cancel the whole balance
  domain::IdempotencyKey idempotency_key;
  CancelOrigin origin = CancelOrigin::kApi;

  friend bool operator==(const PaymentCancel&, const PaymentCancel&) = default;
};

[[nodiscard]] runtime::MessageTypeSpec PaymentCancelSpec();

[[nodiscard]] nlohmann::json ToJson(const PaymentCancel& cancel);
// Permanent MALFORMED_BODY naming the bad field when the body does not follow the schema.
[[nodiscard]] domain::Result<PaymentCancel> ParsePaymentCancel(const nlohmann::json& body);

[[nodiscard]] std::string PaymentCancelMessageId(const PaymentCancel& cancel);
// The message as the gateway publishes it (a new pipeline run), correlated with `order_id`.
[[nodiscard]] runtime::OutboundMessage BuildPaymentCancel(const PaymentCancel& cancel,
                                                          const domain::OrderId& order_id,
                                                          std::int64_t now_seconds);
// The message as a stage emits it through its outbox; an empty correlation id inherits the
// incoming message's.
[[nodiscard]] runtime::OutgoingMessage ToOutgoing(const PaymentCancel& cancel,
                                                  std::string correlation_id = {});

}  // namespace paypipe::messages
