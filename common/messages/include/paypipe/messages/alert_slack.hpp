#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {

// `alert.slack`, consumed by the notify-slack stage (routing key "notify-slack"): one alert for
// the operators' Slack channel. Any stage, the scheduler and the dead-letter archiver emit it.
//
// Body, schema_version 1:
//   {"schema_version": 1, "severity": "info"|"warning"|"critical",
//    "title": "<1..255 characters>",                      (alerts.title)
//    "text": "<0..3000 characters, line breaks allowed>", (Slack's limit for a section)
//    "dedupe_key": "<1..191 visible ASCII>",              (alerts.dedupe_key: alerts with one key
//                                                          coalesce into one Slack message)
//    "fields": {"<1..64 characters>": "<0..500 characters>" | <integer>, ...}}
// `fields` name what the alert is about (orderId, paymentKey, provider, amounts): shown as a
// table, never parsed. Correlation id: the order or payment concerned, when there is one.
// Message id: derived by the runtime for a stage; chosen by the emitter otherwise (the
// scheduler derives it from the dedupe key of an alert it raises once).
inline constexpr std::string_view kAlertSlackType = "alert.slack";
inline constexpr std::string_view kNotifySlackRoutingKey = "notify-slack";

enum class AlertSeverity { kInfo, kWarning, kCritical };

// "info", "warning", "critical".
[[nodiscard]] const char* ToString(AlertSeverity severity);
[[nodiscard]] std::optional<AlertSeverity> AlertSeverityFromString(std::string_view text);

struct SlackAlert {
  AlertSeverity severity = AlertSeverity::kWarning;
  std::string title;
  std::string text;
  std::string dedupe_key;
  nlohmann::json fields = nlohmann::json::object();  // names to strings or integers

  friend bool operator==(const SlackAlert&, const SlackAlert&) = default;
};

[[nodiscard]] runtime::MessageTypeSpec SlackAlertSpec();

[[nodiscard]] nlohmann::json ToJson(const SlackAlert& alert);
// Permanent MALFORMED_BODY naming the bad field when the body does not follow the schema.
[[nodiscard]] domain::Result<SlackAlert> ParseSlackAlert(const nlohmann::json& body);

// The message as a process that is not a stage publishes it (the scheduler): the given id.
[[nodiscard]] runtime::OutboundMessage BuildSlackAlert(const SlackAlert& alert,
                                                       std::string message_id,
                                                       std::string correlation_id,
                                                       std::int64_t now_seconds);
// The message as a stage emits it through its outbox (the runtime derives the id); an empty
// correlation id inherits the incoming message's.
[[nodiscard]] runtime::OutgoingMessage ToOutgoing(const SlackAlert& alert,
                                                  std::string correlation_id = {});

}  // namespace paypipe::messages
