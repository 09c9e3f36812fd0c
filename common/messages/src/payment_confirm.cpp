#include "paypipe/messages/payment_confirm.hpp"

#include "parse_support.hpp"
#include "paypipe/messages/origin.hpp"

namespace paypipe::messages {

runtime::MessageTypeSpec PaymentConfirmSpec() { return {std::string(kPaymentConfirmType), {1}}; }

nlohmann::json ToJson(const PaymentConfirm& confirm) {
  return {{"schema_version", 1},
          {"provider", ToString(confirm.provider)},
          {"paymentKey", confirm.payment_key.str()},
          {"orderId", confirm.order_id.str()},
          {"amount", confirm.amount.krw()}};
}

domain::Result<PaymentConfirm> ParsePaymentConfirm(const nlohmann::json& body) {
  PAYPIPE_RETURN_IF_ERROR(detail::CheckVersion1(kPaymentConfirmType, body));
  auto provider = ReadProvider(body, "provider");
  if (!provider.ok()) return detail::Malformed(kPaymentConfirmType, provider.error());
  auto payment_key = ReadText(body, "paymentKey", kPaymentKeyRule);
  if (!payment_key.ok()) return detail::Malformed(kPaymentConfirmType, payment_key.error());
  auto order_id = ReadText(body, "orderId", kOrderIdRule);
  if (!order_id.ok()) return detail::Malformed(kPaymentConfirmType, order_id.error());
  auto amount = ReadAmount(body, "amount");
  if (!amount.ok()) return detail::Malformed(kPaymentConfirmType, amount.error());
  return PaymentConfirm{*provider, domain::PaymentKey(std::move(*payment_key)),
                        domain::OrderId(std::move(*order_id)), *amount};
}

std::string PaymentConfirmMessageId(Provider provider, const domain::PaymentKey& payment_key) {
  std::string key = ToString(provider);
  key += ':';
  key += payment_key.str();
  return OriginMessageId(kPaymentConfirmType, key);
}

runtime::OutboundMessage BuildPaymentConfirm(const PaymentConfirm& confirm,
                                             std::int64_t now_seconds) {
  return Originate(kPaymentConfirmType, kConfirmRoutingKey,
                   PaymentConfirmMessageId(confirm.provider, confirm.payment_key),
                   confirm.order_id.str(), ToJson(confirm), now_seconds);
}

runtime::OutgoingMessage ToOutgoing(const PaymentConfirm& confirm) {
  runtime::OutgoingMessage out;
  out.type = std::string(kPaymentConfirmType);
  out.routing_key = std::string(kConfirmRoutingKey);
  out.body = ToJson(confirm);
  out.correlation_id = confirm.order_id.str();
  return out;
}

}  // namespace paypipe::messages
