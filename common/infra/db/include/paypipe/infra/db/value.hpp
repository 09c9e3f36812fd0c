#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"

namespace paypipe::infra::db {

// SQL NULL as a statement parameter.
struct Null {
  friend bool operator==(Null, Null) = default;
};
inline constexpr Null kNull{};

// Binary data, bound as a BLOB (no character set conversion, embedded NULs kept). Text goes
// in a std::string and is bound as utf8mb4.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

template <typename T>
concept IsCharacterOrBool = std::same_as<T, bool> || std::same_as<T, char> ||
    std::same_as<T, signed char> || std::same_as<T, unsigned char> || std::same_as<T, wchar_t> ||
    std::same_as<T, char8_t> || std::same_as<T, char16_t> || std::same_as<T, char32_t>;

// One parameter of a prepared statement: NULL, a 64-bit integer, utf8mb4 text or bytes.
//
// Built implicitly from the types callers hold, so that `{order_id, amount, std::nullopt}`
// reads naturally: any integer except bool (bool is refused so that a `const char*` or a flag
// cannot slip in as 0/1), text, Bytes, Money (its KRW amount), strong ids (their text) and
// std::optional of those (empty = NULL). Floating point is deliberately not accepted (no
// floats where money may flow), nor are characters, nor unsigned 64-bit integers (they may not
// fit a signed BIGINT: convert explicitly).
class Value {
 public:
  using Variant = std::variant<Null, std::int64_t, std::string, Bytes>;

  Value() = default;        // NULL
  Value(Null) {}            // NOLINT(google-explicit-constructor)
  Value(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)

  template <std::integral T>
  requires(!IsCharacterOrBool<std::remove_cv_t<T>>)
      Value(T number)  // NOLINT(google-explicit-constructor)
      : value_(static_cast<std::int64_t>(number)) {
    static_assert(sizeof(T) < sizeof(std::int64_t) || std::is_signed_v<T>,
                  "unsigned 64-bit values may not fit a signed BIGINT; convert explicitly");
  }

  Value(std::string text) : value_(std::move(text)) {}         // NOLINT
  Value(std::string_view text) : value_(std::string(text)) {}  // NOLINT
  Value(const char* text) : value_(std::string(text)) {}       // NOLINT
  Value(Bytes bytes) : value_(std::move(bytes)) {}             // NOLINT
  Value(domain::Money money) : value_(money.krw()) {}          // NOLINT

  template <typename Tag>
  Value(const domain::StrongId<Tag>& id) : value_(id.str()) {}  // NOLINT

  template <typename T>
  requires std::constructible_from<Value, const T&> Value(
      const std::optional<T>& maybe) {  // NOLINT(google-explicit-constructor)
    if (maybe.has_value()) *this = Value(*maybe);
  }

  Value(bool) = delete;
  Value(double) = delete;
  Value(float) = delete;

  [[nodiscard]] bool IsNull() const { return std::holds_alternative<Null>(value_); }
  [[nodiscard]] const Variant& variant() const { return value_; }

  friend bool operator==(const Value&, const Value&) = default;

 private:
  Variant value_;
};

// Parameters of one statement, bound in order to its `?` placeholders.
using Params = std::vector<Value>;

// `count` copies of `one`, separated by `separator`: the placeholders of an IN list ("?"), the
// rows of a multi-row INSERT ("(?, ?, NOW(6))") or the arms of a CASE ("WHEN ? THEN ?", " ").
[[nodiscard]] inline std::string Placeholders(std::size_t count, std::string_view one,
                                              std::string_view separator = ", ") {
  std::string out;
  out.reserve(count * (one.size() + separator.size()));
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += separator;
    out += one;
  }
  return out;
}

}  // namespace paypipe::infra::db
