#include "paypipe/webhook_intake/webhook_parser.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "paypipe/domain/pg_mapping.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/portone_v1.hpp"
#include "paypipe/pg/pg_mapping.hpp"

namespace paypipe::webhook_intake {

namespace {

using nlohmann::json;

domain::Error Malformed(std::string what) {
  return domain::Error::Permanent(std::string(kWebhookMalformed), std::move(what));
}

std::string Text(const json& object, const char* field) {
  if (object.is_object() && object.contains(field) && object[field].is_string()) {
    return object[field].get<std::string>();
  }
  return {};
}

// A verify for a payment key the message contract accepts; the order id only when valid.
std::optional<messages::PaymentVerify> VerifyOf(messages::Provider provider, const std::string& key,
                                                const std::string& order_id, std::string reason) {
  if (!messages::CheckText("paymentKey", key, messages::kPaymentKeyRule).ok()) {
    return std::nullopt;
  }
  messages::PaymentVerify verify;
  verify.provider = provider;
  verify.payment_key = domain::PaymentKey(key);
  verify.reason = std::move(reason);
  if (messages::CheckText("orderId", order_id, messages::kOrderIdRule).ok()) {
    verify.order_id = domain::OrderId(order_id);
  }
  return verify;
}

// Adds what the webhook says the payment became to its look-up. `status` is nullopt when the
// event names no payment status of ours; `time_field` names the member of `root` holding the
// event's time (nullptr: the body has none). A time that is there but does not read as one drops
// the claim (the confirm stage then looks up, as for any webhook without one). The time is
// rounded up to the message's milliseconds: a later event time only ever asks for a look-up more.
void AddClaim(messages::PaymentVerify& verify, std::optional<domain::PaymentStatus> status,
              const json& root, const char* time_field) {
  if (!status) return;
  if (time_field != nullptr && root.contains(time_field) && !root[time_field].is_null()) {
    const json& time = root[time_field];
    const auto at = time.is_string() ? pg::ParseIsoInstant(time.get<std::string>()) : std::nullopt;
    if (!at) return;
    verify.event_at = std::chrono::ceil<messages::WebhookTime::duration>(*at);
  }
  verify.claimed_status = status;
}

// PortOne V2 event types that say which status the payment reached.
std::optional<domain::PaymentStatus> PortOneV2StatusOf(std::string_view type) {
  if (!type.starts_with("Transaction.")) return std::nullopt;
  type.remove_prefix(std::string_view("Transaction.").size());
  if (type == "Paid") return domain::PaymentStatus::kDone;
  if (type == "Cancelled") return domain::PaymentStatus::kCanceled;
  if (type == "PartialCancelled") return domain::PaymentStatus::kPartialCanceled;
  if (type == "Failed") return domain::PaymentStatus::kFailed;
  return std::nullopt;  // Ready, PayPending, VirtualAccountIssued, CancelPending, new types
}

// PortOne V1 statuses that name one status of ours ("cancelled" covers partial cancels too).
std::optional<domain::PaymentStatus> PortOneV1StatusOf(std::string_view status) {
  if (status == "paid") return domain::PaymentStatus::kDone;
  if (status == "failed") return domain::PaymentStatus::kFailed;
  return std::nullopt;
}

domain::Result<ParsedWebhook> ParseToss(const std::string& body) {
  const json root = json::parse(body, nullptr, false);
  if (!root.is_object()) return Malformed("Toss webhook body is not a JSON object");
  ParsedWebhook out;
  if (!root.contains("eventType")) {
    // DEPOSIT_CALLBACK is flat: {createdAt, secret, status, transactionKey, orderId}.
    out.event_type = "DEPOSIT_CALLBACK";
    out.order_id = Text(root, "orderId");
    out.deposit_secret = Text(root, "secret");
    const std::string status = Text(root, "status");
    if (out.order_id.empty() || status.empty() || out.deposit_secret.empty()) {
      return Malformed("Toss webhook has neither eventType nor a deposit callback's fields");
    }
    out.event_key = "DEPOSIT_CALLBACK:" + out.order_id + ":" + status + ":" +
                    Text(root, "transactionKey") + ":" + Text(root, "createdAt");
    return out;  // the stage finds the payment key (and checks the secret) from the order
  }
  out.event_type = Text(root, "eventType");
  if (out.event_type.empty()) return Malformed("Toss webhook eventType is not a string");
  const json data = root.contains("data") ? root["data"] : json();
  if (out.event_type == "PAYMENT_STATUS_CHANGED" || out.event_type == "CANCEL_STATUS_CHANGED") {
    out.payment_key = Text(data, "paymentKey");
    out.order_id = Text(data, "orderId");
    if (out.payment_key.empty()) return Malformed(out.event_type + " without data.paymentKey");
    const std::string status = out.event_type == "PAYMENT_STATUS_CHANGED"
                                   ? Text(data, "status")
                                   : Text(data, "cancelStatus");
    const std::string transaction = out.event_type == "PAYMENT_STATUS_CHANGED"
                                        ? Text(data, "lastTransactionKey")
                                        : Text(data, "transactionKey");
    out.event_key = out.event_type + ":" + out.payment_key + ":" + status + ":" + transaction;
    out.verify = VerifyOf(messages::Provider::kToss, out.payment_key, out.order_id,
                          "webhook:" + out.event_type);
    if (!out.verify) return Malformed(out.event_type + " with an invalid paymentKey");
    if (out.event_type == "PAYMENT_STATUS_CHANGED") {
      const auto claimed = domain::MapTossStatus(status);
      AddClaim(*out.verify, claimed.ok() ? std::optional(*claimed) : std::nullopt, root,
               "createdAt");
    }
    return out;
  }
  if (out.event_type == "BILLING_DELETED") {
    out.event_key = "BILLING_DELETED:" + Text(data, "billingKey") + ":" + Text(data, "customerKey");
    return out;
  }
  // payout.changed, seller.changed and types we do not know: recorded, never acted on.
  out.event_key = out.event_type + ":" + infra::crypto::Sha256Hex(body);
  return out;
}

domain::Result<ParsedWebhook> ParsePortOneV1(const messages::WebhookReceived& webhook) {
  auto notification = messages::ParsePortOneV1Notification(webhook.content_type, webhook.body);
  if (!notification.ok()) return Malformed(notification.error().message);
  ParsedWebhook out;
  out.event_type = notification->status;
  out.payment_key = notification->imp_uid;
  out.order_id = notification->merchant_uid;
  out.event_key = notification->imp_uid + ":" + notification->status + ":" +
                  notification->cancellation_id.value_or("");
  out.verify = VerifyOf(messages::Provider::kPortOneV1, out.payment_key, out.order_id,
                        "webhook:" + notification->status);
  if (!out.verify) return Malformed("PortOne V1 webhook with an invalid imp_uid");
  AddClaim(*out.verify, PortOneV1StatusOf(notification->status), json(), nullptr);
  return out;
}

domain::Result<ParsedWebhook> ParsePortOneV2(const messages::WebhookReceived& webhook) {
  const json root = json::parse(webhook.body, nullptr, false);
  if (!root.is_object()) return Malformed("PortOne V2 webhook body is not a JSON object");
  ParsedWebhook out;
  out.event_type = Text(root, "type");
  if (out.event_type.empty()) return Malformed("PortOne V2 webhook without a type");
  const json data = root.contains("data") ? root["data"] : json();
  out.payment_key = Text(data, "paymentId");
  out.event_key = webhook.verification == messages::WebhookVerification::kSignature
                      ? "webhook-id:" + webhook.webhook_id
                      : out.event_type + ":" + out.payment_key + ":" + Text(data, "transactionId") +
                            ":" + Text(data, "cancellationId");
  if (out.event_type.starts_with("Transaction.")) {
    if (out.payment_key.empty()) return Malformed(out.event_type + " without data.paymentId");
    out.verify =
        VerifyOf(messages::Provider::kPortOne, out.payment_key, "", "webhook:" + out.event_type);
    if (!out.verify) return Malformed("PortOne V2 webhook with an invalid paymentId");
    AddClaim(*out.verify, PortOneV2StatusOf(out.event_type), root, "timestamp");
  }
  return out;  // BillingKey.* and unknown types: recorded only
}

}  // namespace

domain::Result<ParsedWebhook> ParseWebhook(const messages::WebhookReceived& webhook) {
  switch (webhook.format) {
    case messages::WebhookFormat::kToss:
      return ParseToss(webhook.body);
    case messages::WebhookFormat::kPortOneV1:
      return ParsePortOneV1(webhook);
    case messages::WebhookFormat::kPortOneV2:
      return ParsePortOneV2(webhook);
  }
  return Malformed("unknown webhook format");
}

}  // namespace paypipe::webhook_intake
