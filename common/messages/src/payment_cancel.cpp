#include "paypipe/messages/payment_cancel.hpp"

#include <array>

#include "parse_support.hpp"
#include "paypipe/messages/origin.hpp"

namespace paypipe::messages {
namespace {

constexpr std::array<std::pair<CancelOrigin, std::string_view>, 4> kOriginNames = {{
    {CancelOrigin::kApi, "API"},
    {CancelOrigin::kAuto, "AUTO"},
    {CancelOrigin::kSubscription, "SUBSCRIPTION"},
    {CancelOrigin::kPg, "PG"},
}};

domain::Result<CancelOrigin> ReadOrigin(const nlohmann::json& body) {
  const auto it = body.find("origin");
  if (it != body.end() && it->is_string()) {
    for (const auto& [origin, name] : kOriginNames) {
      if (name == it->get_ref<const std::string&>()) return origin;
    }
  }
  return FieldError("origin", "must be one of \"API\", \"AUTO\", \"SUBSCRIPTION\", \"PG\"");
}

}  // namespace

const char* ToString(CancelOrigin origin) {
  for (const auto& [value, name] : kOriginNames) {
    if (value == origin) return name.data();
  }
  return "unknown";
}

runtime::MessageTypeSpec PaymentCancelSpec() { return {std::string(kPaymentCancelType), {1}}; }

nlohmann::json ToJson(const PaymentCancel& cancel) {
  nlohmann::json body = {{"schema_version", 1},
                         {"provider", ToString(cancel.provider)},
                         {"paymentKey", cancel.payment_key.str()},
                         {"cancelReason", cancel.cancel_reason},
                         {"idempotencyKey", cancel.idempotency_key.str()},
                         {"origin", ToString(cancel.origin)}};
  if (cancel.cancel_amount) body["cancelAmount"] = cancel.cancel_amount->krw();
  return body;
}

domain::Result<PaymentCancel> ParsePaymentCancel(const nlohmann::json& body) {
  PAYPIPE_RETURN_IF_ERROR(detail::CheckVersion1(kPaymentCancelType, body));
  PaymentCancel cancel;
  auto provider = ReadProvider(body, "provider");
  if (!provider.ok()) return detail::Malformed(kPaymentCancelType, provider.error());
  cancel.provider = *provider;
  auto payment_key = ReadText(body, "paymentKey", kPaymentKeyRule);
  if (!payment_key.ok()) return detail::Malformed(kPaymentCancelType, payment_key.error());
  cancel.payment_key = domain::PaymentKey(std::move(*payment_key));
  auto reason = ReadText(body, "cancelReason", kCancelReasonRule);
  if (!reason.ok()) return detail::Malformed(kPaymentCancelType, reason.error());
  cancel.cancel_reason = std::move(*reason);
  auto amount = ReadOptionalAmount(body, "cancelAmount");
  if (!amount.ok()) return detail::Malformed(kPaymentCancelType, amount.error());
  cancel.cancel_amount = *amount;
  auto key = ReadText(body, "idempotencyKey", kIdempotencyKeyRule);
  if (!key.ok()) return detail::Malformed(kPaymentCancelType, key.error());
  cancel.idempotency_key = domain::IdempotencyKey(std::move(*key));
  auto origin = ReadOrigin(body);
  if (!origin.ok()) return detail::Malformed(kPaymentCancelType, origin.error());
  cancel.origin = *origin;
  return cancel;
}

std::string PaymentCancelMessageId(const PaymentCancel& cancel) {
  // Lengths first, so that no choice of key text can make two different triples collide.
  std::string key = ToString(cancel.provider);
  key += ':';
  key += std::to_string(cancel.payment_key.str().size());
  key += ':';
  key += cancel.payment_key.str();
  key += ':';
  key += cancel.idempotency_key.str();
  return OriginMessageId(kPaymentCancelType, key);
}

runtime::OutboundMessage BuildPaymentCancel(const PaymentCancel& cancel,
                                            const domain::OrderId& order_id,
                                            std::int64_t now_seconds) {
  return Originate(kPaymentCancelType, kCancelRetryRoutingKey, PaymentCancelMessageId(cancel),
                   order_id.str(), ToJson(cancel), now_seconds);
}

runtime::OutgoingMessage ToOutgoing(const PaymentCancel& cancel, std::string correlation_id) {
  runtime::OutgoingMessage out;
  out.type = std::string(kPaymentCancelType);
  out.routing_key = std::string(kCancelRetryRoutingKey);
  out.body = ToJson(cancel);
  out.correlation_id = std::move(correlation_id);
  return out;
}

}  // namespace paypipe::messages
