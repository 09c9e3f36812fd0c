#include "paypipe/messages/portone_v1.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "paypipe/domain/percent_encoding.hpp"
#include "paypipe/messages/fields.hpp"

namespace paypipe::messages {
namespace {

constexpr TextRule kValueRule{1, 200, Charset::kText};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Form fields as a JSON object of strings, the first occurrence of a name winning.
domain::Result<nlohmann::json> DecodeForm(std::string_view body) {
  nlohmann::json object = nlohmann::json::object();
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = domain::PercentDecode(pair.substr(0, eq), domain::PlusIs::kSpace);
    auto value = domain::PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
        domain::PlusIs::kSpace);
    if (!name || !value) return FieldError("body", "is not valid form encoding");
    if (!IsValidUtf8(*name) || !IsValidUtf8(*value)) {
      return FieldError("body", "must be valid UTF-8");
    }
    if (!object.contains(*name)) object[*name] = std::move(*value);
  }
  return object;
}

}  // namespace

bool IsFormContentType(std::string_view content_type) {
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  const std::size_t semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  if (media.size() != kForm.size()) return false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (Lower(media[i]) != kForm[i]) return false;
  }
  return true;
}

domain::Result<PortOneV1Notification> ParsePortOneV1Notification(std::string_view content_type,
                                                                 std::string_view body) {
  nlohmann::json object;
  if (IsFormContentType(content_type)) {
    auto form = DecodeForm(body);
    if (!form.ok()) return form.error();
    object = std::move(*form);
  } else {
    object = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded() || !object.is_object()) {
      return FieldError("body", "is neither a JSON object nor form-encoded");
    }
  }
  PortOneV1Notification notification;
  auto imp_uid = ReadText(object, "imp_uid", kValueRule);
  if (!imp_uid.ok()) return imp_uid.error();
  notification.imp_uid = std::move(*imp_uid);
  auto status = ReadText(object, "status", kValueRule);
  if (!status.ok()) return status.error();
  notification.status = std::move(*status);
  auto merchant_uid = ReadOptionalText(object, "merchant_uid", kValueRule);
  if (!merchant_uid.ok()) return merchant_uid.error();
  notification.merchant_uid = merchant_uid->value_or("");
  auto cancellation_id = ReadOptionalText(object, "cancellation_id", kValueRule);
  if (!cancellation_id.ok()) return cancellation_id.error();
  notification.cancellation_id = std::move(*cancellation_id);
  return notification;
}

}  // namespace paypipe::messages
