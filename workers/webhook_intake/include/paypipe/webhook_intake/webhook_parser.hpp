#pragma once

// Reads a PG webhook into what webhook-intake needs: its type, a dedupe key built from the
// content (Toss sends no event id), the payment it names, and the look-up to ask for. The body's
// status is never acted on: it tells events apart, and travels with the look-up as a claim
// (payment.verify claimedStatus/eventAt) that only lets the confirm stage skip a look-up that
// could not reveal it.

#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/messages/payment_verify.hpp"
#include "paypipe/messages/webhook_received.hpp"

namespace paypipe::webhook_intake {

// Permanent error codes (the message goes to the parking lot).
inline constexpr std::string_view kWebhookMalformed = "WEBHOOK_MALFORMED";
inline constexpr std::string_view kWebhookSecretMismatch = "WEBHOOK_SECRET_MISMATCH";

struct ParsedWebhook {
  std::string event_type;      // webhook_events.event_type ("DEPOSIT_CALLBACK" for the flat body)
  std::string event_key;       // unique per provider (webhook_events.event_key), kept forever
  std::string payment_key;     // empty when the body names none
  std::string order_id;        // empty when the body names none
  std::string deposit_secret;  // Toss DEPOSIT_CALLBACK only
  // The look-up to ask the confirm stage for; nullopt for events that are only recorded
  // (BILLING_DELETED, unknown types, a deposit callback of a payment we do not know yet).
  std::optional<messages::PaymentVerify> verify;
};

[[nodiscard]] domain::Result<ParsedWebhook> ParseWebhook(const messages::WebhookReceived& webhook);

}  // namespace paypipe::webhook_intake
