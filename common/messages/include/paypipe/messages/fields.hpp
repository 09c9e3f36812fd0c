#pragma once

// Field rules shared by the message parsers and the gateway's request validation, so that a value
// the gateway accepts is always one the stages accept (and the database stores) too.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::messages {

// Code of every refusal of a field value (Permanent). The message names the field and says what
// is expected, never quoting the value (it may be personal data).
inline constexpr std::string_view kInvalidField = "INVALID_FIELD";

// The PG a payment is made with, by its wire name: "toss", "portone" (PortOne V2 API) or
// "portone_v1" (PortOne V1, iamport). orders.provider and payments.provider hold these names.
enum class Provider { kToss, kPortOne, kPortOneV1 };

[[nodiscard]] const char* ToString(Provider provider);
[[nodiscard]] std::optional<Provider> ProviderFromString(std::string_view text);

// What characters a text field may hold.
enum class Charset {
  kIdentifier,     // [A-Za-z0-9_-] (Toss orderId)
  kVisibleAscii,   // 0x21..0x7e: keys and ids that travel in URLs and headers
  kText,           // any UTF-8 without control characters: names, reasons
  kMultilineText,  // kText plus line breaks (\n): alert texts
};

// Length limits count characters (UTF-8 code points), as MariaDB's VARCHAR(n) does.
struct TextRule {
  std::size_t min_chars = 1;
  std::size_t max_chars = 0;
  Charset charset = Charset::kText;
};

// Toss: orderId is 6-64 characters of [A-Za-z0-9_-]; orders.order_id is VARCHAR(64).
inline constexpr TextRule kOrderIdRule{6, 64, Charset::kIdentifier};
inline constexpr TextRule kOrderNameRule{1, 100, Charset::kText};
// Toss paymentKey <= 200; PortOne imp_uid / paymentId fit as well (payments.payment_key).
inline constexpr TextRule kPaymentKeyRule{1, 200, Charset::kVisibleAscii};
inline constexpr TextRule kPartnerIdRule{1, 64, Charset::kVisibleAscii};
inline constexpr TextRule kCustomerIdRule{1, 128, Charset::kVisibleAscii};
inline constexpr TextRule kPlanRule{1, 64, Charset::kText};
// Toss: cancelReason is required, at most 200 characters.
inline constexpr TextRule kCancelReasonRule{1, 200, Charset::kText};
// Toss keeps Idempotency-Key values of up to 300 characters.
inline constexpr TextRule kIdempotencyKeyRule{1, 300, Charset::kVisibleAscii};

// Largest amount accepted anywhere: 2^53 - 1, the largest integer every JSON reader (JavaScript
// storefronts included) represents exactly.
inline constexpr std::int64_t kMaxAmount = (std::int64_t{1} << 53) - 1;

[[nodiscard]] bool IsValidUtf8(std::string_view text);

// Checks `value` against `rule`; the error names `field`.
[[nodiscard]] domain::Status CheckText(std::string_view field, std::string_view value,
                                       const TextRule& rule);

// Readers of one member of a JSON object. A missing member and JSON null are the same ("is
// required" for the required forms, nullopt for the optional ones); a member of the wrong type is
// refused, never converted.
[[nodiscard]] domain::Result<std::string> ReadText(const nlohmann::json& object,
                                                   std::string_view field, const TextRule& rule);
[[nodiscard]] domain::Result<std::optional<std::string>> ReadOptionalText(
    const nlohmann::json& object, std::string_view field, const TextRule& rule);
// A whole number of KRW in [1, kMaxAmount]: 15000 is accepted, 15000.0, "15000" and 0 are not.
[[nodiscard]] domain::Result<domain::Money> ReadAmount(const nlohmann::json& object,
                                                       std::string_view field);
[[nodiscard]] domain::Result<std::optional<domain::Money>> ReadOptionalAmount(
    const nlohmann::json& object, std::string_view field);
[[nodiscard]] domain::Result<Provider> ReadProvider(const nlohmann::json& object,
                                                    std::string_view field);

// A Permanent kInvalidField error: "'<field>' <what>".
[[nodiscard]] domain::Error FieldError(std::string_view field, std::string_view what);

}  // namespace paypipe::messages
