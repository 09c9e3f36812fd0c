#pragma once

// Case-insensitive comparison of ASCII protocol tokens (URL schemes, header names, auth
// schemes, media types). Bytes outside A-Z are compared as they are.

#include <string_view>

namespace paypipe::domain {

[[nodiscard]] bool EqualsIgnoringCase(std::string_view a, std::string_view b);
[[nodiscard]] bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix);

}  // namespace paypipe::domain
