#include "paypipe/gateway/webhook_reader.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "paypipe/gateway/requests.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/portone_v1.hpp"

namespace paypipe::gateway {
namespace {

namespace msg = messages;
using infra::http::Request;

constexpr msg::TextRule kCorrelationRule{1, 200, msg::Charset::kVisibleAscii};

WebhookRefusal Refusal(int status, std::string_view code, std::string_view reason,
                       std::string message) {
  return {status, std::string(code), std::string(reason), std::move(message)};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The common part of every accepted webhook: time, sender, kept headers, raw body.
msg::WebhookReceived Received(const Request& request, msg::WebhookFormat format,
                              infra::clock::WallTime now) {
  msg::WebhookReceived webhook;
  webhook.format = format;
  webhook.received_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  webhook.remote_address = request.remote_address;
  webhook.content_type = std::string(request.headers.Get("content-type").value_or(""));
  for (const auto& [name, value] : request.headers.entries()) {
    // The first of repeated headers wins, as Headers::Get does.
    if (msg::IsKeptWebhookHeader(name) && msg::IsValidUtf8(value)) {
      webhook.headers.emplace(Lower(name), value);
    }
  }
  webhook.body = request.body;
  return webhook;
}

// `object[first][second]` (or `object[first]` when `second` is empty) if it is a string fit to
// be a correlation id, else empty.
std::string CorrelationFrom(const nlohmann::json& object, std::string_view first,
                            std::string_view second = {}) {
  const nlohmann::json* value = &object;
  for (const std::string_view key : {first, second}) {
    if (key.empty()) break;
    if (!value->is_object()) return {};
    const auto it = value->find(key);
    if (it == value->end()) return {};
    value = &*it;
  }
  if (!value->is_string()) return {};
  const auto& text = value->get_ref<const std::string&>();
  return msg::CheckText("correlation", text, kCorrelationRule).ok() ? text : std::string();
}

std::optional<WebhookRefusal> CheckEncoding(const Request& request) {
  if (msg::IsValidUtf8(request.body)) return std::nullopt;
  return Refusal(400, kInvalidEncoding, "invalid_encoding", "the body is not valid UTF-8");
}

}  // namespace

WebhookVerdict WebhookReader::ReadToss(const Request& request, infra::clock::WallTime now) const {
  if (auto refused = CheckEncoding(request)) return *refused;
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Refusal(400, kInvalidJson, "invalid_json", "a Toss webhook body is a JSON object");
  }
  // Payment events carry the order in data.orderId; DEPOSIT_CALLBACK is flat.
  std::string correlation = CorrelationFrom(body, "data", "orderId");
  if (correlation.empty()) correlation = CorrelationFrom(body, "orderId");
  return AcceptedWebhook{Received(request, msg::WebhookFormat::kToss, now), std::move(correlation)};
}

WebhookVerdict WebhookReader::ReadPortOne(const Request& request,
                                          infra::clock::WallTime now) const {
  if (HasStandardWebhookHeaders(request.headers)) {
    if (!portone_verifier_) {
      return Refusal(503, kWebhookSecretNotConfigured, "secret_not_configured",
                     "PortOne V2 webhooks cannot be verified: no webhook secret is configured");
    }
    auto verified = portone_verifier_->Verify(request.headers, request.body, now);
    if (!verified.ok()) {
      return Refusal(401, kInvalidSignature, Lower(verified.error().code),
                     verified.error().message);
    }
    if (auto refused = CheckEncoding(request)) return *refused;
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Refusal(400, kInvalidJson, "invalid_json",
                     "a PortOne V2 webhook body is a JSON object");
    }
    msg::WebhookReceived webhook = Received(request, msg::WebhookFormat::kPortOneV2, now);
    webhook.verification = msg::WebhookVerification::kSignature;
    webhook.webhook_id = verified->id;
    webhook.webhook_timestamp = verified->timestamp;
    return AcceptedWebhook{std::move(webhook), CorrelationFrom(body, "data", "paymentId")};
  }

  if (auto refused = CheckEncoding(request)) return *refused;
  const std::string_view content_type = request.headers.Get("content-type").value_or("");
  auto notification = msg::ParsePortOneV1Notification(content_type, request.body);
  if (!notification.ok()) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("type") && body.contains("data")) {
      return Refusal(401, kInvalidSignature, "signature_headers_missing",
                     "a PortOne V2 webhook must carry webhook-id, webhook-timestamp and "
                     "webhook-signature");
    }
    if (body.is_discarded() && !msg::IsFormContentType(content_type)) {
      return Refusal(400, kInvalidJson, "invalid_json",
                     "a PortOne V1 webhook body is JSON or form-encoded");
    }
    return Refusal(400, kInvalidWebhook, "invalid_body", notification.error().message);
  }
  const std::string& merchant_uid = notification->merchant_uid;
  std::string correlation =
      msg::CheckText("correlation", merchant_uid, kCorrelationRule).ok() ? merchant_uid : "";
  return AcceptedWebhook{Received(request, msg::WebhookFormat::kPortOneV1, now),
                         std::move(correlation)};
}

}  // namespace paypipe::gateway
