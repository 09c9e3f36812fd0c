#include "paypipe/messages/payment_verify.hpp"

#include "parse_support.hpp"
#include "paypipe/messages/origin.hpp"
#include "paypipe/messages/payment_confirm.hpp"

namespace paypipe::messages {
namespace {

// Empty is accepted: bodies written before the contract moved here may carry "reason": "".
constexpr TextRule kReasonRule{0, 200, Charset::kText};
// claimedStatus and eventAt: short ASCII, checked further by their own parsers.
constexpr TextRule kShortAsciiRule{1, 32, Charset::kVisibleAscii};

std::string CorrelationOf(const PaymentVerify& verify) {
  return verify.order_id ? verify.order_id->str() : std::string();
}

}  // namespace

runtime::MessageTypeSpec PaymentVerifySpec() { return {std::string(kPaymentVerifyType), {1}}; }

nlohmann::json ToJson(const PaymentVerify& verify) {
  nlohmann::json body = {{"schema_version", 1},
                         {"provider", ToString(verify.provider)},
                         {"paymentKey", verify.payment_key.str()}};
  if (verify.order_id) body["orderId"] = verify.order_id->str();
  if (!verify.reason.empty()) body["reason"] = verify.reason;
  if (verify.claimed_status) body["claimedStatus"] = domain::ToString(*verify.claimed_status);
  if (verify.event_at) body["eventAt"] = FormatWebhookTime(*verify.event_at);
  return body;
}

domain::Result<PaymentVerify> ParsePaymentVerify(const nlohmann::json& body) {
  PAYPIPE_RETURN_IF_ERROR(detail::CheckVersion1(kPaymentVerifyType, body));
  PaymentVerify verify;
  auto provider = ReadProvider(body, "provider");
  if (!provider.ok()) return detail::Malformed(kPaymentVerifyType, provider.error());
  verify.provider = *provider;
  auto payment_key = ReadText(body, "paymentKey", kPaymentKeyRule);
  if (!payment_key.ok()) return detail::Malformed(kPaymentVerifyType, payment_key.error());
  verify.payment_key = domain::PaymentKey(std::move(*payment_key));
  auto order_id = ReadOptionalText(body, "orderId", kOrderIdRule);
  if (!order_id.ok()) return detail::Malformed(kPaymentVerifyType, order_id.error());
  if (*order_id) verify.order_id = domain::OrderId(std::move(**order_id));
  auto reason = ReadOptionalText(body, "reason", kReasonRule);
  if (!reason.ok()) return detail::Malformed(kPaymentVerifyType, reason.error());
  verify.reason = reason->value_or("");
  auto claimed = ReadOptionalText(body, "claimedStatus", kShortAsciiRule);
  if (!claimed.ok()) return detail::Malformed(kPaymentVerifyType, claimed.error());
  if (*claimed) {
    auto status = domain::ParsePaymentStatus(**claimed);
    if (!status.ok()) {
      return detail::Malformed(kPaymentVerifyType,
                               FieldError("claimedStatus", "must be a payment status name"));
    }
    verify.claimed_status = *status;
  }
  auto event_at = ReadOptionalText(body, "eventAt", kShortAsciiRule);
  if (!event_at.ok()) return detail::Malformed(kPaymentVerifyType, event_at.error());
  if (*event_at) {
    auto time = ParseWebhookTime(**event_at);
    if (!time.ok()) {
      return detail::Malformed(kPaymentVerifyType, FieldError("eventAt",
                                                              "must be a UTC time like "
                                                              "2026-03-01T01:00:00.123Z"));
    }
    verify.event_at = *time;
  }
  return verify;
}

std::string ReconcileVerifyMessageId(std::int64_t payment_id, std::int64_t attempt) {
  return OriginMessageId(kPaymentVerifyType,
                         "reconcile:" + std::to_string(payment_id) + ":" + std::to_string(attempt));
}

runtime::OutboundMessage BuildPaymentVerify(const PaymentVerify& verify, std::string message_id,
                                            std::int64_t now_seconds) {
  return Originate(kPaymentVerifyType, kConfirmRoutingKey, std::move(message_id),
                   CorrelationOf(verify), ToJson(verify), now_seconds);
}

runtime::OutgoingMessage ToOutgoing(const PaymentVerify& verify) {
  return detail::Outgoing(kPaymentVerifyType, kConfirmRoutingKey, ToJson(verify),
                          CorrelationOf(verify));
}

}  // namespace paypipe::messages
