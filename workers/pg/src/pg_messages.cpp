#include "paypipe/pg/pg_messages.hpp"

#include <utility>

#include "paypipe/messages/payment_confirm.hpp"

namespace paypipe::pg {

namespace {

constexpr messages::TextRule kReasonRule{0, 200, messages::Charset::kText};

domain::Error Malformed(const domain::Error& field_error) {
  return domain::Error::Permanent(std::string(runtime::kMalformedBody), field_error.message);
}

}  // namespace

runtime::MessageTypeSpec PaymentVerifySpec() { return {std::string(kPaymentVerifyType), {1}}; }

nlohmann::json ToJson(const PaymentVerify& verify) {
  nlohmann::json body = {{"schema_version", 1},
                         {"provider", messages::ToString(verify.provider)},
                         {"paymentKey", verify.payment_key.str()}};
  if (verify.order_id) body["orderId"] = verify.order_id->str();
  if (!verify.reason.empty()) body["reason"] = verify.reason;
  return body;
}

domain::Result<PaymentVerify> ParsePaymentVerify(const nlohmann::json& body) {
  if (!body.is_object()) {
    return domain::Error::Permanent(std::string(runtime::kMalformedBody), "body is not an object");
  }
  PaymentVerify verify;
  auto provider = messages::ReadProvider(body, "provider");
  if (!provider.ok()) return Malformed(provider.error());
  verify.provider = *provider;
  auto key = messages::ReadText(body, "paymentKey", messages::kPaymentKeyRule);
  if (!key.ok()) return Malformed(key.error());
  verify.payment_key = domain::PaymentKey(*key);
  auto order = messages::ReadOptionalText(body, "orderId", messages::kOrderIdRule);
  if (!order.ok()) return Malformed(order.error());
  if (*order) verify.order_id = domain::OrderId(**order);
  auto reason = messages::ReadOptionalText(body, "reason", kReasonRule);
  if (!reason.ok()) return Malformed(reason.error());
  verify.reason = reason->value_or("");
  return verify;
}

runtime::OutgoingMessage ToOutgoing(const PaymentVerify& verify) {
  runtime::OutgoingMessage out;
  out.type = std::string(kPaymentVerifyType);
  out.routing_key = std::string(messages::kConfirmRoutingKey);
  out.body = ToJson(verify);
  if (verify.order_id) out.correlation_id = verify.order_id->str();
  return out;
}

runtime::OutgoingMessage ToOutgoing(const SlackAlert& alert) {
  runtime::OutgoingMessage out;
  out.type = std::string(kAlertSlackType);
  out.routing_key = std::string(kNotifySlackRoutingKey);
  out.body = {{"schema_version", 1}, {"severity", alert.severity},     {"title", alert.title},
              {"text", alert.text},  {"dedupe_key", alert.dedupe_key}, {"fields", alert.fields}};
  return out;
}

}  // namespace paypipe::pg
