#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "paypipe/gateway/standard_webhooks.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/http/message.hpp"
#include "paypipe/messages/webhook_received.hpp"

namespace paypipe::gateway {

// A webhook that may be handed to the pipeline as `webhook.received`.
struct AcceptedWebhook {
  messages::WebhookReceived webhook;
  std::string correlation_id;  // the order / payment the body names, else empty
};

// Why a webhook is answered with something other than 200.
struct WebhookRefusal {
  int status = 400;
  std::string code;    // the JSON error code: INVALID_JSON, INVALID_SIGNATURE, ...
  std::string reason;  // metric label: invalid_json, signature_mismatch, ...
  std::string message;
};

using WebhookVerdict = std::variant<AcceptedWebhook, WebhookRefusal>;

// Error codes of webhook refusals.
inline constexpr std::string_view kInvalidWebhook = "INVALID_WEBHOOK";      // 400
inline constexpr std::string_view kInvalidEncoding = "INVALID_ENCODING";    // 400, not UTF-8
inline constexpr std::string_view kInvalidSignature = "INVALID_SIGNATURE";  // 401
// 503: a signed PortOne webhook arrived but no PAYPIPE_PORTONE_WEBHOOK_SECRET is configured.
// Not the sender's fault, and the PG retries a 5xx, so nothing is lost once it is configured.
inline constexpr std::string_view kWebhookSecretNotConfigured = "WEBHOOK_SECRET_NOT_CONFIGURED";

// Decides, without I/O, whether a webhook request is acceptable and builds its message.
// Immutable; safe on any number of threads.
class WebhookReader {
 public:
  explicit WebhookReader(std::optional<StandardWebhookVerifier> portone_verifier)
      : portone_verifier_(std::move(portone_verifier)) {}

  // Toss: any JSON object (payment events are unsigned; the intake re-fetches the payment).
  // The request is taken over: an accepted webhook's message keeps its body without a copy.
  [[nodiscard]] WebhookVerdict ReadToss(infra::http::Request request,
                                        infra::clock::WallTime now) const;

  // PortOne: V2 when any Standard Webhooks header is present (the signature must verify), else
  // V1 {imp_uid, merchant_uid, status} as JSON or form (unsigned). A V2-shaped body without
  // signature headers is refused 401, so that dropping the headers cannot bypass verification.
  [[nodiscard]] WebhookVerdict ReadPortOne(infra::http::Request request,
                                           infra::clock::WallTime now) const;

 private:
  std::optional<StandardWebhookVerifier> portone_verifier_;
};

}  // namespace paypipe::gateway
