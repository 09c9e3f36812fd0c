#pragma once

// Request parsing helpers shared by the provider services (private to the sim).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paypipe::sim::util {

// The body as a JSON object; nullopt if it is not one.
[[nodiscard]] std::optional<nlohmann::json> ParseObject(std::string_view body);

// Field checks. Each returns an error text naming the field, or nullopt when the field is fine.
// Absent optional fields are fine; present fields must have the right type.
[[nodiscard]] std::optional<std::string> CheckString(const nlohmann::json& object, const char* name,
                                                     std::size_t min_length, std::size_t max_length,
                                                     bool required);
// KRW amounts are JSON integers; 1.5, 1.0, "100" and values below `min` are refused.
[[nodiscard]] std::optional<std::string> CheckAmount(const nlohmann::json& object, const char* name,
                                                     std::int64_t min, bool required);

// Toss order ids: 6-64 characters of [A-Za-z0-9_-].
[[nodiscard]] bool IsValidOrderId(std::string_view order_id);
// Toss customer keys: 2-300 characters of [A-Za-z0-9-_=.@].
[[nodiscard]] bool IsValidCustomerKey(std::string_view key);

// Number of Unicode code points in UTF-8 text (invalid bytes count one each).
[[nodiscard]] std::size_t Utf8Length(std::string_view text);
// The longest prefix of at most `max_code_points` code points.
[[nodiscard]] std::string Utf8Prefix(std::string_view text, std::size_t max_code_points);

[[nodiscard]] std::string PercentDecode(std::string_view text);
// application/x-www-form-urlencoded body or query string.
[[nodiscard]] std::map<std::string, std::string> ParseForm(std::string_view text);

// "/a/b/c" -> {"a", "b", "c"}; empty segments are dropped; segments are percent-decoded.
[[nodiscard]] std::vector<std::string> SplitPath(std::string_view path);

[[nodiscard]] std::string_view Trim(std::string_view text);

// Round half up of amount / 11: the VAT inside a VAT-inclusive KRW amount (amount >= 0).
[[nodiscard]] std::int64_t VatOf(std::int64_t vat_inclusive_amount);

}  // namespace paypipe::sim::util
