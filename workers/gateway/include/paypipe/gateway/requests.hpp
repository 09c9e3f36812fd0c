#pragma once

// The payment API's request bodies: parsed and validated on the event loop (pure, no I/O), with
// the field rules of common/messages so that whatever is accepted here the stages accept too.

#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/payment_confirm.hpp"

namespace paypipe::gateway {

// Error codes of request validation, all answered 400.
inline constexpr std::string_view kInvalidJson = "INVALID_JSON";        // not a JSON object
inline constexpr std::string_view kInvalidRequest = "INVALID_REQUEST";  // a field is wrong
inline constexpr std::string_view kIdempotencyKeyRequired = "IDEMPOTENCY_KEY_REQUIRED";

struct SubscriptionRequest {
  std::string plan;
  std::string cycle;  // WEEKLY, MONTHLY or YEARLY

  friend bool operator==(const SubscriptionRequest&, const SubscriptionRequest&) = default;
};

// POST /v1/checkouts:
//   {orderId, orderName, amount, partnerId, customerId, provider, subscription?: {plan, cycle}}
struct CheckoutRequest {
  domain::OrderId order_id;
  std::string order_name;
  domain::Money amount;
  domain::PartnerId partner_id;
  domain::CustomerId customer_id;
  messages::Provider provider = messages::Provider::kToss;
  std::optional<SubscriptionRequest> subscription;

  friend bool operator==(const CheckoutRequest&, const CheckoutRequest&) = default;
};

// POST /v1/payments/{paymentKey}/cancel: {cancelReason, cancelAmount?} + Idempotency-Key.
struct CancelRequest {
  domain::PaymentKey payment_key;
  std::string cancel_reason;
  std::optional<domain::Money> cancel_amount;
  domain::IdempotencyKey idempotency_key;

  friend bool operator==(const CancelRequest&, const CancelRequest&) = default;
};

// Each refusal is Permanent with one of the codes above and a message naming the field. Members
// not listed are ignored (clients may send more than the gateway reads).
[[nodiscard]] domain::Result<CheckoutRequest> ParseCheckoutRequest(std::string_view body);
// POST /v1/payments/confirm: {provider, paymentKey, orderId, amount}.
[[nodiscard]] domain::Result<messages::PaymentConfirm> ParseConfirmRequest(std::string_view body);
[[nodiscard]] domain::Result<CancelRequest> ParseCancelRequest(
    std::string_view payment_key, std::string_view body,
    std::optional<std::string_view> idempotency_key);
// A path segment naming a payment or an order.
[[nodiscard]] domain::Status CheckPaymentKey(std::string_view payment_key);
[[nodiscard]] domain::Status CheckOrderId(std::string_view order_id);

}  // namespace paypipe::gateway
