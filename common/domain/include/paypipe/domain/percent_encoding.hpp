#pragma once

// Percent-encoding (RFC 3986 section 2.1) for URLs, path segments and form bodies.

#include <optional>
#include <string>
#include <string_view>

namespace paypipe::domain {

// Whether '+' stands for a space (application/x-www-form-urlencoded) or for itself (URLs).
enum class PlusIs { kPlus, kSpace };

// Decodes %XX escapes (either letter case). nullopt when an escape is cut short or is not two
// hex digits; callers name the part in their own message so that a secret is never echoed.
[[nodiscard]] std::optional<std::string> PercentDecode(std::string_view text,
                                                       PlusIs plus = PlusIs::kPlus);

// Escapes every byte outside the unreserved set (ALPHA DIGIT - . _ ~) as upper-case %XX, so
// the result is safe as a URL component, a path segment or a form key or value.
[[nodiscard]] std::string PercentEncode(std::string_view text);

}  // namespace paypipe::domain
