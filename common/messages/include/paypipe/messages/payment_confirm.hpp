#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {

// `payment.confirm`, consumed by the confirm stage (routing key "confirm"): the storefront's
// success redirect, asking to approve (Toss) or verify (PortOne) one payment of one order.
//
// Body, schema_version 1:
//   {"schema_version": 1, "provider": "toss"|"portone"|"portone_v1",
//    "paymentKey": "<1..200 visible ASCII>", "orderId": "<6..64 of [A-Za-z0-9_-]>",
//    "amount": <integer KRW, 1..2^53-1>}
// `amount` is what the storefront claims was paid. It may differ from the order's amount: the
// gateway forwards such a confirm anyway (and answers the storefront 422), because only the
// confirm stage can make sure no money moved (refuse to approve, or cancel what PortOne already
// captured) and alert. Correlation id: the order id. Message id: OriginMessageId of provider and
// payment key, so repeats of one payment's confirm are one message.
inline constexpr std::string_view kPaymentConfirmType = "payment.confirm";
inline constexpr std::string_view kConfirmRoutingKey = "confirm";

struct PaymentConfirm {
  Provider provider = Provider::kToss;
  domain::PaymentKey payment_key;
  domain::OrderId order_id;
  domain::Money amount;

  friend bool operator==(const PaymentConfirm&, const PaymentConfirm&) = default;
};

// For a stage's accepted message types.
[[nodiscard]] runtime::MessageTypeSpec PaymentConfirmSpec();

[[nodiscard]] nlohmann::json ToJson(const PaymentConfirm& confirm);
// Permanent MALFORMED_BODY naming the bad field when the body does not follow the schema.
[[nodiscard]] domain::Result<PaymentConfirm> ParsePaymentConfirm(const nlohmann::json& body);

[[nodiscard]] std::string PaymentConfirmMessageId(Provider provider,
                                                  const domain::PaymentKey& payment_key);
// The message as the gateway publishes it (a new pipeline run).
[[nodiscard]] runtime::OutboundMessage BuildPaymentConfirm(const PaymentConfirm& confirm,
                                                           std::int64_t now_seconds);
// The message as a stage emits it through its outbox (the runtime derives the id).
[[nodiscard]] runtime::OutgoingMessage ToOutgoing(const PaymentConfirm& confirm);

}  // namespace paypipe::messages
