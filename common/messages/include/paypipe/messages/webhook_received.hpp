#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {

// `webhook.received`, consumed by the webhook-intake stage (routing key "webhook-intake"): one
// PG webhook exactly as the gateway received it, for parsing, dedupe and audit downstream.
//
// Body, schema_version 1:
//   {"schema_version": 1,
//    "provider": "toss"|"portone",
//    "format": "toss"|"portone_v1"|"portone_v2",      (= webhook_events.provider)
//    "received_at": "2026-03-01T01:00:00.123Z",       (UTC, milliseconds)
//    "remote_address": "203.0.113.7:50123",           (may be empty)
//    "content_type": "application/json",              (may be empty)
//    "headers": {"webhook-id": "...", ...},           (lower-case names, see kKeptHeaders)
//    "body": "<the raw HTTP body, byte for byte>",    (valid UTF-8; JSON or form text)
//    "verification": {"method": "none"}
//                  | {"method": "signature", "webhook_id": "...", "webhook_timestamp": <unix s>}}
// "signature" means the gateway verified a Standard Webhooks signature (PortOne V2) over exactly
// `body`; "none" means the webhook is unsigned (Toss payment events, PortOne V1) and must be
// verified by looking the payment up. The body is never re-serialised, so signatures can be
// re-checked from the audit row.
//
// Message id: OriginMessageId of the format and the event key (the verified webhook-id for
// PortOne V2, the SHA-256 of the body otherwise), so a PG's retry of one event is one message.
// Correlation id: the order or payment the body names, when the gateway could read one.
inline constexpr std::string_view kWebhookReceivedType = "webhook.received";
inline constexpr std::string_view kWebhookIntakeRoutingKey = "webhook-intake";

enum class WebhookFormat { kToss, kPortOneV1, kPortOneV2 };
enum class WebhookVerification { kNone, kSignature };

// "toss", "portone_v1", "portone_v2".
[[nodiscard]] const char* ToString(WebhookFormat format);
// "toss" or "portone".
[[nodiscard]] const char* ProviderName(WebhookFormat format);

// Whether a request header travels with the webhook: Content-Type, User-Agent, X-Forwarded-For
// and every `webhook-*` and `tosspayments-*` header. Credentials and cookies never do.
[[nodiscard]] bool IsKeptWebhookHeader(std::string_view name);

using WebhookTime = std::chrono::sys_time<std::chrono::milliseconds>;

struct WebhookReceived {
  WebhookFormat format = WebhookFormat::kToss;
  WebhookTime received_at{};
  std::string remote_address;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // raw, valid UTF-8
  WebhookVerification verification = WebhookVerification::kNone;
  std::string webhook_id;              // kSignature only
  std::int64_t webhook_timestamp = 0;  // kSignature only

  friend bool operator==(const WebhookReceived&, const WebhookReceived&) = default;
};

[[nodiscard]] runtime::MessageTypeSpec WebhookReceivedSpec();

// The body of a webhook is kept as a JSON string, which must be valid UTF-8: callers check with
// IsValidUtf8 first (ToJson would throw otherwise).
[[nodiscard]] nlohmann::json ToJson(const WebhookReceived& webhook);
// Permanent MALFORMED_BODY naming the bad field when the body does not follow the schema.
[[nodiscard]] domain::Result<WebhookReceived> ParseWebhookReceived(const nlohmann::json& body);

// The event key the message id derives from: the webhook-id when signed, else the body's hash.
[[nodiscard]] std::string WebhookEventKey(const WebhookReceived& webhook);
// The message as the gateway publishes it; its timestamp is received_at.
[[nodiscard]] runtime::OutboundMessage BuildWebhookReceived(const WebhookReceived& webhook,
                                                            std::string correlation_id);

// "2026-03-01T01:00:00.123Z" and back. Parsing accepts exactly that form.
[[nodiscard]] std::string FormatWebhookTime(WebhookTime time);
[[nodiscard]] domain::Result<WebhookTime> ParseWebhookTime(std::string_view text);

}  // namespace paypipe::messages
