#include "paypipe/messages/webhook_received.hpp"

#include <array>

#include "parse_support.hpp"
#include "paypipe/domain/ascii.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/origin.hpp"

namespace paypipe::messages {
namespace {

using domain::Result;

constexpr std::array<std::pair<WebhookFormat, std::string_view>, 3> kFormatNames = {{
    {WebhookFormat::kToss, "toss"},
    {WebhookFormat::kPortOneV1, "portone_v1"},
    {WebhookFormat::kPortOneV2, "portone_v2"},
}};

constexpr TextRule kWebhookIdRule{1, 256, Charset::kVisibleAscii};

// A string member that may be empty (but must be a string when present).
Result<std::string> ReadAnyString(const nlohmann::json& body, std::string_view field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return FieldError(field, "must be a string");
  return it->get<std::string>();
}

// Reads "DDDD" style fixed-width digits; false when any is not a digit.
bool Digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

Result<WebhookFormat> ReadFormat(const nlohmann::json& body) {
  const auto it = body.find("format");
  if (it != body.end() && it->is_string()) {
    for (const auto& [format, name] : kFormatNames) {
      if (name == it->get_ref<const std::string&>()) return format;
    }
  }
  return FieldError("format", "must be one of \"toss\", \"portone_v1\", \"portone_v2\"");
}

Result<std::map<std::string, std::string>> ReadHeaders(const nlohmann::json& body) {
  std::map<std::string, std::string> headers;
  const auto it = body.find("headers");
  if (it == body.end() || it->is_null()) return headers;
  if (!it->is_object()) return FieldError("headers", "must be an object of strings");
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) return FieldError("headers", "must be an object of strings");
    headers.emplace(name, value.get<std::string>());
  }
  return headers;
}

domain::Status ReadVerification(const nlohmann::json& body, WebhookReceived& webhook) {
  const auto it = body.find("verification");
  if (it == body.end() || !it->is_object()) {
    return FieldError("verification", "must be an object with a \"method\"");
  }
  const auto method = it->find("method");
  if (method != it->end() && *method == "none") {
    webhook.verification = WebhookVerification::kNone;
    return domain::Ok();
  }
  if (method == it->end() || *method != "signature") {
    return FieldError("verification.method", "must be \"none\" or \"signature\"");
  }
  webhook.verification = WebhookVerification::kSignature;
  auto id = ReadText(*it, "webhook_id", kWebhookIdRule);
  if (!id.ok()) return FieldError("verification.webhook_id", "must be the verified webhook-id");
  webhook.webhook_id = std::move(*id);
  const auto timestamp = it->find("webhook_timestamp");
  if (timestamp == it->end() || !timestamp->is_number_integer()) {
    return FieldError("verification.webhook_timestamp", "must be an integer (unix seconds)");
  }
  webhook.webhook_timestamp = timestamp->get<std::int64_t>();
  return domain::Ok();
}

}  // namespace

const char* ToString(WebhookFormat format) {
  for (const auto& [value, name] : kFormatNames) {
    if (value == format) return name.data();
  }
  return "unknown";
}

const char* ProviderName(WebhookFormat format) {
  return format == WebhookFormat::kToss ? "toss" : "portone";
}

bool IsKeptWebhookHeader(std::string_view name) {
  return domain::EqualsIgnoringCase(name, "content-type") ||
         domain::EqualsIgnoringCase(name, "user-agent") ||
         domain::EqualsIgnoringCase(name, "x-forwarded-for") ||
         domain::StartsWithIgnoringCase(name, "webhook-") ||
         domain::StartsWithIgnoringCase(name, "tosspayments-");
}

runtime::MessageTypeSpec WebhookReceivedSpec() { return {std::string(kWebhookReceivedType), {1}}; }

nlohmann::json ToJson(const WebhookReceived& webhook) {
  nlohmann::json verification = {{"method", "none"}};
  if (webhook.verification == WebhookVerification::kSignature) {
    verification = {{"method", "signature"},
                    {"webhook_id", webhook.webhook_id},
                    {"webhook_timestamp", webhook.webhook_timestamp}};
  }
  return {{"schema_version", 1},
          {"provider", ProviderName(webhook.format)},
          {"format", ToString(webhook.format)},
          {"received_at", FormatWebhookTime(webhook.received_at)},
          {"remote_address", webhook.remote_address},
          {"content_type", webhook.content_type},
          {"headers", webhook.headers},
          {"body", webhook.body},
          {"verification", std::move(verification)}};
}

Result<WebhookReceived> ParseWebhookReceived(const nlohmann::json& body) {
  constexpr std::string_view kType = kWebhookReceivedType;
  PAYPIPE_RETURN_IF_ERROR(detail::CheckVersion1(kType, body));
  WebhookReceived webhook;
  auto format = ReadFormat(body);
  if (!format.ok()) return detail::Malformed(kType, format.error());
  webhook.format = *format;
  const auto provider = body.find("provider");
  if (provider == body.end() || *provider != ProviderName(webhook.format)) {
    return detail::Malformed(
        kType, FieldError("provider", "must be \"toss\" or \"portone\", matching \"format\""));
  }
  const auto received_at = body.find("received_at");
  auto time = received_at != body.end() && received_at->is_string()
                  ? ParseWebhookTime(received_at->get_ref<const std::string&>())
                  : Result<WebhookTime>(FieldError("received_at", "is required"));
  if (!time.ok()) {
    return detail::Malformed(kType, FieldError("received_at",
                                               "must be a UTC time like "
                                               "2026-03-01T01:00:00.123Z"));
  }
  webhook.received_at = *time;
  auto remote = ReadAnyString(body, "remote_address");
  if (!remote.ok()) return detail::Malformed(kType, remote.error());
  webhook.remote_address = std::move(*remote);
  auto content_type = ReadAnyString(body, "content_type");
  if (!content_type.ok()) return detail::Malformed(kType, content_type.error());
  webhook.content_type = std::move(*content_type);
  auto headers = ReadHeaders(body);
  if (!headers.ok()) return detail::Malformed(kType, headers.error());
  webhook.headers = std::move(*headers);
  const auto raw = body.find("body");
  if (raw == body.end() || !raw->is_string()) {
    return detail::Malformed(kType, FieldError("body", "must be the raw body as a string"));
  }
  webhook.body = raw->get<std::string>();
  if (auto verified = ReadVerification(body, webhook); !verified.ok()) {
    return detail::Malformed(kType, verified.error());
  }
  if (webhook.format == WebhookFormat::kPortOneV2 &&
      webhook.verification != WebhookVerification::kSignature) {
    return detail::Malformed(
        kType, FieldError("verification", "must be \"signature\" for portone_v2 webhooks"));
  }
  return webhook;
}

std::string WebhookEventKey(const WebhookReceived& webhook) {
  if (webhook.verification == WebhookVerification::kSignature) return webhook.webhook_id;
  return "sha256:" + infra::crypto::Sha256Hex(webhook.body);
}

runtime::OutboundMessage BuildWebhookReceived(const WebhookReceived& webhook,
                                              std::string correlation_id) {
  std::string key = ToString(webhook.format);
  key += ':';
  key += WebhookEventKey(webhook);
  const auto seconds =
      std::chrono::floor<std::chrono::seconds>(webhook.received_at).time_since_epoch().count();
  return Originate(kWebhookReceivedType, kWebhookIntakeRoutingKey,
                   OriginMessageId(kWebhookReceivedType, key), std::move(correlation_id),
                   ToJson(webhook), seconds);
}

std::string FormatWebhookTime(WebhookTime time) {
  return infra::clock::FormatIso8601Millis(
      std::chrono::time_point_cast<infra::clock::WallTime::duration>(time));
}

Result<WebhookTime> ParseWebhookTime(std::string_view text) {
  // 2026-03-01T01:00:00.123Z
  const auto refuse = [] { return FieldError("received_at", "is not a UTC time"); };
  if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
    return refuse();
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!Digits(text, 0, 4, year) || !Digits(text, 5, 2, month) || !Digits(text, 8, 2, day) ||
      !Digits(text, 11, 2, hour) || !Digits(text, 14, 2, minute) || !Digits(text, 17, 2, second) ||
      !Digits(text, 20, 3, millis)) {
    return refuse();
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return refuse();
  return WebhookTime(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) +
         std::chrono::milliseconds(millis);
}

}  // namespace paypipe::messages
