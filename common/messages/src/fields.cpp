#include "paypipe/messages/fields.hpp"

#include <array>

namespace paypipe::messages {
namespace {

using domain::Error;
using domain::Money;
using domain::Result;

constexpr std::array<std::pair<Provider, std::string_view>, 3> kProviderNames = {{
    {Provider::kToss, "toss"},
    {Provider::kPortOne, "portone"},
    {Provider::kPortOneV1, "portone_v1"},
}};

bool IsIdentifierChar(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Length of the UTF-8 sequence starting with `lead`, 0 when `lead` cannot start one.
std::size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

const nlohmann::json* Member(const nlohmann::json& object, std::string_view field) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Describe(const TextRule& rule) {
  std::string text = "must be ";
  switch (rule.charset) {
    case Charset::kIdentifier:
      text += "letters, digits, '_' or '-'";
      break;
    case Charset::kVisibleAscii:
      text += "visible ASCII characters";
      break;
    case Charset::kText:
      text += "text without control characters";
      break;
    case Charset::kMultilineText:
      text += "text without control characters other than line breaks";
      break;
  }
  text += ", " + std::to_string(rule.min_chars) + " to " + std::to_string(rule.max_chars) +
          " characters long";
  return text;
}

}  // namespace

const char* ToString(Provider provider) {
  for (const auto& [value, name] : kProviderNames) {
    if (value == provider) return name.data();
  }
  return "unknown";
}

std::optional<Provider> ProviderFromString(std::string_view text) {
  for (const auto& [value, name] : kProviderNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = SequenceLength(lead);
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xc0) != 0x80) return false;
    }
    if (length >= 3) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      if (lead == 0xe0 && second < 0xa0) return false;  // overlong
      if (lead == 0xed && second > 0x9f) return false;  // surrogates
      if (lead == 0xf0 && second < 0x90) return false;  // overlong
      if (lead == 0xf4 && second > 0x8f) return false;  // beyond U+10FFFF
    }
    i += length;
  }
  return true;
}

Error FieldError(std::string_view field, std::string_view what) {
  std::string message = "'";
  message += field;
  message += "' ";
  message += what;
  return Error::Permanent(std::string(kInvalidField), std::move(message));
}

domain::Status CheckText(std::string_view field, std::string_view value, const TextRule& rule) {
  std::size_t chars = 0;
  switch (rule.charset) {
    case Charset::kIdentifier:
      for (const char c : value) {
        if (!IsIdentifierChar(static_cast<unsigned char>(c)))
          return FieldError(field, Describe(rule));
      }
      chars = value.size();
      break;
    case Charset::kVisibleAscii:
      for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e) return FieldError(field, Describe(rule));
      }
      chars = value.size();
      break;
    case Charset::kText:
    case Charset::kMultilineText:
      if (!IsValidUtf8(value)) return FieldError(field, "must be valid UTF-8");
      for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        const bool line_break = c == '\n' && rule.charset == Charset::kMultilineText;
        if ((u < 0x20 && !line_break) || u == 0x7f) return FieldError(field, Describe(rule));
        if ((u & 0xc0) != 0x80) ++chars;  // count lead bytes only
      }
      break;
  }
  if (chars < rule.min_chars || chars > rule.max_chars) {
    return FieldError(field, value.empty() ? "must not be empty" : Describe(rule));
  }
  return domain::Ok();
}

Result<std::string> ReadText(const nlohmann::json& object, std::string_view field,
                             const TextRule& rule) {
  auto value = ReadOptionalText(object, field, rule);
  if (!value.ok()) return value.error();
  if (!value->has_value()) return FieldError(field, "is required");
  return std::move(**value);
}

Result<std::optional<std::string>> ReadOptionalText(const nlohmann::json& object,
                                                    std::string_view field, const TextRule& rule) {
  const nlohmann::json* member = Member(object, field);
  if (member == nullptr) return std::optional<std::string>();
  if (!member->is_string()) return FieldError(field, "must be a string");
  const auto& text = member->get_ref<const std::string&>();
  PAYPIPE_RETURN_IF_ERROR(CheckText(field, text, rule));
  return std::optional<std::string>(text);
}

Result<std::optional<Money>> ReadOptionalAmount(const nlohmann::json& object,
                                                std::string_view field) {
  const nlohmann::json* member = Member(object, field);
  if (member == nullptr) return std::optional<Money>();
  constexpr std::string_view kWhat = "must be a whole number of KRW from 1 to 9007199254740991";
  if (member->is_number_unsigned()) {
    const auto value = member->get<std::uint64_t>();
    if (value < 1 || value > static_cast<std::uint64_t>(kMaxAmount)) {
      return FieldError(field, kWhat);
    }
    return std::optional<Money>(Money::Krw(static_cast<std::int64_t>(value)));
  }
  if (member->is_number_integer()) {
    const auto value = member->get<std::int64_t>();
    if (value < 1 || value > kMaxAmount) return FieldError(field, kWhat);
    return std::optional<Money>(Money::Krw(value));
  }
  return FieldError(field, kWhat);
}

Result<Money> ReadAmount(const nlohmann::json& object, std::string_view field) {
  auto amount = ReadOptionalAmount(object, field);
  if (!amount.ok()) return amount.error();
  if (!amount->has_value()) return FieldError(field, "is required");
  return **amount;
}

Result<Provider> ReadProvider(const nlohmann::json& object, std::string_view field) {
  const nlohmann::json* member = Member(object, field);
  if (member == nullptr) return FieldError(field, "is required");
  if (member->is_string()) {
    if (auto provider = ProviderFromString(member->get_ref<const std::string&>())) {
      return *provider;
    }
  }
  return FieldError(field, "must be one of \"toss\", \"portone\", \"portone_v1\"");
}

}  // namespace paypipe::messages
