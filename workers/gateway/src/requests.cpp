#include "paypipe/gateway/requests.hpp"

#include <nlohmann/json.hpp>

#include "paypipe/domain/billing_calendar.hpp"

namespace paypipe::gateway {
namespace {

using domain::Error;
using domain::Result;
namespace msg = messages;

Error Invalid(const Error& field_error) {
  return Error::Permanent(std::string(kInvalidRequest), field_error.message);
}

Result<nlohmann::json> ParseObject(std::string_view body) {
  nlohmann::json object = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    return Error::Permanent(std::string(kInvalidJson), "the body must be a JSON object");
  }
  return object;
}

// Unwraps a field reader's result into `out`, or returns the request error from the caller.
#define PAYPIPE_READ_FIELD(out, expr)                                 \
  do {                                                                \
    auto paypipe_field_ = (expr);                                     \
    if (!paypipe_field_.ok()) return Invalid(paypipe_field_.error()); \
    (out) = std::move(*paypipe_field_);                               \
  } while (false)

Result<std::optional<SubscriptionRequest>> ReadSubscription(const nlohmann::json& body) {
  const auto it = body.find("subscription");
  if (it == body.end() || it->is_null()) return std::optional<SubscriptionRequest>();
  if (!it->is_object()) {
    return Invalid(msg::FieldError("subscription", "must be an object {plan, cycle}"));
  }
  SubscriptionRequest subscription;
  auto plan = msg::ReadText(*it, "plan", msg::kPlanRule);
  if (!plan.ok())
    return Invalid(msg::FieldError("subscription.plan", "must be 1 to 64 characters"));
  subscription.plan = std::move(*plan);
  const auto cycle = it->find("cycle");
  if (cycle == it->end() || !cycle->is_string() ||
      !domain::ParseBillingCycle(cycle->get_ref<const std::string&>()).ok()) {
    return Invalid(
        msg::FieldError("subscription.cycle", "must be \"WEEKLY\", \"MONTHLY\" or \"YEARLY\""));
  }
  subscription.cycle = cycle->get<std::string>();
  return std::optional<SubscriptionRequest>(std::move(subscription));
}

}  // namespace

Result<CheckoutRequest> ParseCheckoutRequest(std::string_view body) {
  auto object = ParseObject(body);
  if (!object.ok()) return object.error();
  CheckoutRequest request;
  std::string text;
  PAYPIPE_READ_FIELD(text, msg::ReadText(*object, "orderId", msg::kOrderIdRule));
  request.order_id = domain::OrderId(std::move(text));
  PAYPIPE_READ_FIELD(request.order_name, msg::ReadText(*object, "orderName", msg::kOrderNameRule));
  PAYPIPE_READ_FIELD(request.amount, msg::ReadAmount(*object, "amount"));
  PAYPIPE_READ_FIELD(text, msg::ReadText(*object, "partnerId", msg::kPartnerIdRule));
  request.partner_id = domain::PartnerId(std::move(text));
  PAYPIPE_READ_FIELD(text, msg::ReadText(*object, "customerId", msg::kCustomerIdRule));
  request.customer_id = domain::CustomerId(std::move(text));
  PAYPIPE_READ_FIELD(request.provider, msg::ReadProvider(*object, "provider"));
  auto subscription = ReadSubscription(*object);
  if (!subscription.ok()) return subscription.error();
  request.subscription = std::move(*subscription);
  return request;
}

Result<msg::PaymentConfirm> ParseConfirmRequest(std::string_view body) {
  auto object = ParseObject(body);
  if (!object.ok()) return object.error();
  msg::PaymentConfirm confirm;
  PAYPIPE_READ_FIELD(confirm.provider, msg::ReadProvider(*object, "provider"));
  std::string text;
  PAYPIPE_READ_FIELD(text, msg::ReadText(*object, "paymentKey", msg::kPaymentKeyRule));
  confirm.payment_key = domain::PaymentKey(std::move(text));
  PAYPIPE_READ_FIELD(text, msg::ReadText(*object, "orderId", msg::kOrderIdRule));
  confirm.order_id = domain::OrderId(std::move(text));
  PAYPIPE_READ_FIELD(confirm.amount, msg::ReadAmount(*object, "amount"));
  return confirm;
}

Result<CancelRequest> ParseCancelRequest(std::string_view payment_key, std::string_view body,
                                         std::optional<std::string_view> idempotency_key) {
  CancelRequest request;
  if (auto checked = CheckPaymentKey(payment_key); !checked.ok()) return checked.error();
  request.payment_key = domain::PaymentKey(std::string(payment_key));
  if (!idempotency_key || idempotency_key->empty()) {
    return Error::Permanent(std::string(kIdempotencyKeyRequired),
                            "an Idempotency-Key header is required to cancel a payment");
  }
  if (auto checked = msg::CheckText("Idempotency-Key", *idempotency_key, msg::kIdempotencyKeyRule);
      !checked.ok()) {
    return Invalid(checked.error());
  }
  request.idempotency_key = domain::IdempotencyKey(std::string(*idempotency_key));
  auto object = ParseObject(body);
  if (!object.ok()) return object.error();
  PAYPIPE_READ_FIELD(request.cancel_reason,
                     msg::ReadText(*object, "cancelReason", msg::kCancelReasonRule));
  PAYPIPE_READ_FIELD(request.cancel_amount, msg::ReadOptionalAmount(*object, "cancelAmount"));
  return request;
}

domain::Status CheckPaymentKey(std::string_view payment_key) {
  if (auto checked = msg::CheckText("paymentKey", payment_key, msg::kPaymentKeyRule);
      !checked.ok()) {
    return Invalid(checked.error());
  }
  return domain::Ok();
}

domain::Status CheckOrderId(std::string_view order_id) {
  if (auto checked = msg::CheckText("orderId", order_id, msg::kOrderIdRule); !checked.ok()) {
    return Invalid(checked.error());
  }
  return domain::Ok();
}

#undef PAYPIPE_READ_FIELD

}  // namespace paypipe::gateway
