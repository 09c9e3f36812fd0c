#pragma once

// PG answers mapped to the domain: payment objects into ObservedPayment (Toss, PortOne V1, V2),
// failed calls into PgCallFailure, and the Idempotency-Keys derived from operations.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/instant.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/domain/pg_mapping.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/pg/pg_client.hpp"

namespace paypipe::pg {

[[nodiscard]] domain::PgProvider PgProviderOf(messages::Provider provider);

// The Idempotency-Key of "confirm payment <key> at <provider>": the same for every attempt of
// one confirm (Toss replays the first answer for 15 days), different for every other operation.
[[nodiscard]] std::string ConfirmIdempotencyKey(messages::Provider provider,
                                                std::string_view payment_key);
// The request key (payment_cancels.request_key) of the automatic full cancel of a payment whose
// amount differs from its order's.
[[nodiscard]] std::string AutoCancelIdempotencyKey(messages::Provider provider,
                                                   std::string_view payment_key);

// The failure of a call that did not succeed: PG code (Toss `code`, PortOne V2 `type`) and
// message from the body when there is one.
[[nodiscard]] domain::PgCallFailure FailureOf(const PgReply& reply);

// ISO-8601 with an offset ("2026-03-01T10:00:00+09:00", "...Z") or without one (KST, as in Toss
// webhooks), with any number of fraction digits.
[[nodiscard]] std::optional<domain::Instant> ParseIsoInstant(std::string_view text);

// A payment as the PG reports it, in our vocabulary, plus what the payments row stores besides.
struct PgPayment {
  domain::ObservedPayment observed;
  std::string order_id;
  std::string method;
  std::string payment_type;
  std::string last_transaction_key;
  std::string secret;  // Toss virtual accounts
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
};

// Errors: Permanent PG_RESPONSE_MALFORMED, or the domain mapping's errors.
[[nodiscard]] domain::Result<PgPayment> ParseTossPayment(const nlohmann::json& payment);
[[nodiscard]] domain::Result<PgPayment> ParsePortOneV2Payment(const nlohmann::json& payment);
// The `response` member of GET /payments/{imp_uid}.
[[nodiscard]] domain::Result<PgPayment> ParsePortOneV1Payment(const nlohmann::json& payment);
[[nodiscard]] domain::Result<PgPayment> ParsePgPayment(domain::PgProvider provider,
                                                       const std::string& response_body);

inline constexpr std::string_view kPgResponseMalformed = "PG_RESPONSE_MALFORMED";

// PgPayment through message.prepared (instants as microseconds since the epoch).
[[nodiscard]] nlohmann::json ToJson(const PgPayment& payment);
[[nodiscard]] domain::Result<PgPayment> PgPaymentFromJson(const nlohmann::json& json);

}  // namespace paypipe::pg
