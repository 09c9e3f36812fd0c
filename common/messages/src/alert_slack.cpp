#include "paypipe/messages/alert_slack.hpp"

#include <array>

#include "parse_support.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/origin.hpp"

namespace paypipe::messages {
namespace {

constexpr detail::NameTable<AlertSeverity, 3> kSeverityNames = {{
    {AlertSeverity::kInfo, "info"},
    {AlertSeverity::kWarning, "warning"},
    {AlertSeverity::kCritical, "critical"},
}};

// alerts.title is VARCHAR(255), alerts.dedupe_key VARCHAR(191); Slack shows at most 3000
// characters in one section.
constexpr TextRule kTitleRule{1, 255, Charset::kText};
constexpr TextRule kAlertTextRule{0, 3000, Charset::kMultilineText};
constexpr TextRule kDedupeKeyRule{1, 191, Charset::kVisibleAscii};
constexpr TextRule kFieldNameRule{1, 64, Charset::kText};
constexpr TextRule kFieldValueRule{0, 500, Charset::kText};

domain::Result<AlertSeverity> ReadSeverity(const nlohmann::json& body) {
  const auto it = body.find("severity");
  if (it != body.end() && it->is_string()) {
    if (auto severity = AlertSeverityFromString(it->get_ref<const std::string&>())) {
      return *severity;
    }
  }
  return FieldError("severity", "must be one of \"info\", \"warning\", \"critical\"");
}

domain::Result<nlohmann::json> ReadFields(const nlohmann::json& body) {
  const auto it = body.find("fields");
  if (it == body.end() || it->is_null()) return nlohmann::json::object();
  constexpr std::string_view kWhat = "must be an object of texts and integers";
  if (!it->is_object()) return FieldError("fields", kWhat);
  for (const auto& [name, value] : it->items()) {
    PAYPIPE_RETURN_IF_ERROR(CheckText("fields", name, kFieldNameRule));
    if (value.is_string()) {
      PAYPIPE_RETURN_IF_ERROR(
          CheckText("fields", value.get_ref<const std::string&>(), kFieldValueRule));
    } else if (!value.is_number_integer()) {
      return FieldError("fields", kWhat);
    }
  }
  return *it;
}

}  // namespace

const char* ToString(AlertSeverity severity) { return detail::NameOf(kSeverityNames, severity); }

std::optional<AlertSeverity> AlertSeverityFromString(std::string_view text) {
  return detail::ValueOf(kSeverityNames, text);
}

runtime::MessageTypeSpec SlackAlertSpec() { return {std::string(kAlertSlackType), {1}}; }

nlohmann::json ToJson(const SlackAlert& alert) {
  return {{"schema_version", 1}, {"severity", ToString(alert.severity)}, {"title", alert.title},
          {"text", alert.text},  {"dedupe_key", alert.dedupe_key},       {"fields", alert.fields}};
}

domain::Result<SlackAlert> ParseSlackAlert(const nlohmann::json& body) {
  PAYPIPE_RETURN_IF_ERROR(detail::CheckVersion1(kAlertSlackType, body));
  SlackAlert alert;
  auto severity = ReadSeverity(body);
  if (!severity.ok()) return detail::Malformed(kAlertSlackType, severity.error());
  alert.severity = *severity;
  auto title = ReadText(body, "title", kTitleRule);
  if (!title.ok()) return detail::Malformed(kAlertSlackType, title.error());
  alert.title = std::move(*title);
  auto text = ReadOptionalText(body, "text", kAlertTextRule);
  if (!text.ok()) return detail::Malformed(kAlertSlackType, text.error());
  alert.text = text->value_or("");
  auto dedupe_key = ReadText(body, "dedupe_key", kDedupeKeyRule);
  if (!dedupe_key.ok()) return detail::Malformed(kAlertSlackType, dedupe_key.error());
  alert.dedupe_key = std::move(*dedupe_key);
  auto fields = ReadFields(body);
  if (!fields.ok()) return detail::Malformed(kAlertSlackType, fields.error());
  alert.fields = std::move(*fields);
  return alert;
}

runtime::OutboundMessage BuildSlackAlert(const SlackAlert& alert, std::string message_id,
                                         std::string correlation_id, std::int64_t now_seconds) {
  return Originate(kAlertSlackType, kNotifySlackRoutingKey, std::move(message_id),
                   std::move(correlation_id), ToJson(alert), now_seconds);
}

runtime::OutgoingMessage ToOutgoing(const SlackAlert& alert, std::string correlation_id) {
  return detail::Outgoing(kAlertSlackType, kNotifySlackRoutingKey, ToJson(alert),
                          std::move(correlation_id));
}

}  // namespace paypipe::messages
