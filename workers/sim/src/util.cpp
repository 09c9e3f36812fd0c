#include "util.hpp"

#include <cctype>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/domain/percent_encoding.hpp"

namespace paypipe::sim::util {

using nlohmann::json;

std::optional<json> ParseObject(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

std::optional<std::string> CheckString(const json& object, const char* name, std::size_t min_length,
                                       std::size_t max_length, bool required) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (!required) return std::nullopt;
    return std::string(name) + " is required";
  }
  if (!it->is_string()) return std::string(name) + " must be a string";
  const std::size_t length = Utf8Length(it->get_ref<const std::string&>());
  if (length < min_length || length > max_length) {
    return std::string(name) + " must be " + std::to_string(min_length) + "-" +
           std::to_string(max_length) + " characters";
  }
  return std::nullopt;
}

std::optional<std::string> CheckAmount(const json& object, const char* name, std::int64_t min,
                                       bool required) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (!required) return std::nullopt;
    return std::string(name) + " is required";
  }
  // is_number_integer() is false for 1.0 and 1.5: KRW has no minor unit.
  if (!it->is_number_integer()) return std::string(name) + " must be an integer amount of KRW";
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX) {
    return std::string(name) + " is too large";
  }
  if (it->get<std::int64_t>() < min) {
    return std::string(name) + " must be at least " + std::to_string(min);
  }
  return std::nullopt;
}

bool IsValidOrderId(std::string_view order_id) {
  if (order_id.size() < 6 || order_id.size() > 64) return false;
  for (char c : order_id) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') return false;
  }
  return true;
}

bool IsValidCustomerKey(std::string_view key) {
  if (key.size() < 2 || key.size() > 300) return false;
  for (char c : key) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                    c == '=' || c == '.' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::size_t Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    // Continuation bytes (10xxxxxx) do not start a code point.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string Utf8Prefix(std::string_view text, std::size_t max_code_points) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == max_code_points) return std::string(text.substr(0, i));
      ++count;
    }
  }
  return std::string(text);
}

std::string PercentDecode(std::string_view text) {
  // Lenient like the services it stands in for: a malformed escape stays as it was written.
  return domain::PercentDecode(text, domain::PlusIs::kSpace).value_or(std::string(text));
}

std::map<std::string, std::string> ParseForm(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (!segment.empty())
      out.push_back(domain::PercentDecode(segment).value_or(std::string(segment)));
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

std::int64_t VatOf(std::int64_t amount) { return (amount * 2 + 11) / 22; }

}  // namespace paypipe::sim::util
