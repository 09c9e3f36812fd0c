#pragma once

// Message contracts shared by webhook-intake and confirm that belong in common/messages (owned by
// another change): kept here until they move, with the same shape a common/messages header has.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::pg {

// `payment.verify`, consumed by the confirm stage (routing key "confirm"): look one payment up at
// its PG and apply what the PG holds. Emitted for webhooks (never trusted as such) and by the
// reconciler.
//
// Body, schema_version 1:
//   {"schema_version": 1, "provider": "toss"|"portone"|"portone_v1",
//    "paymentKey": "<1..200 visible ASCII>", "orderId": "<6..64 of [A-Za-z0-9_-]>"?,
//    "reason": "<what asked for it, e.g. webhook:PAYMENT_STATUS_CHANGED>"?}
inline constexpr std::string_view kPaymentVerifyType = "payment.verify";

struct PaymentVerify {
  messages::Provider provider = messages::Provider::kToss;
  domain::PaymentKey payment_key;
  std::optional<domain::OrderId> order_id;
  std::string reason;

  friend bool operator==(const PaymentVerify&, const PaymentVerify&) = default;
};

[[nodiscard]] runtime::MessageTypeSpec PaymentVerifySpec();
[[nodiscard]] nlohmann::json ToJson(const PaymentVerify& verify);
// Permanent MALFORMED_BODY naming the bad field.
[[nodiscard]] domain::Result<PaymentVerify> ParsePaymentVerify(const nlohmann::json& body);
[[nodiscard]] runtime::OutgoingMessage ToOutgoing(const PaymentVerify& verify);

// `alert.slack`, consumed by notify-slack (routing key "notify-slack").
//
// Body, schema_version 1:
//   {"schema_version": 1, "severity": "info"|"warning"|"critical", "title": "...",
//    "text": "...", "dedupe_key": "<alerts.dedupe_key: same key, one coalesced message>",
//    "fields": {"<name>": "<value>", ...}}
inline constexpr std::string_view kAlertSlackType = "alert.slack";
inline constexpr std::string_view kNotifySlackRoutingKey = "notify-slack";

struct SlackAlert {
  std::string severity = "warning";
  std::string title;
  std::string text;
  std::string dedupe_key;
  nlohmann::json fields = nlohmann::json::object();
};

[[nodiscard]] runtime::OutgoingMessage ToOutgoing(const SlackAlert& alert);

}  // namespace paypipe::pg
