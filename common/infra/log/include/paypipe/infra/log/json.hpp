#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace paypipe::infra::log {

// Appends `text` as a JSON string literal, quotes included. Quotes, backslashes and control
// characters are escaped; valid UTF-8 is copied as is; every byte that is not part of a valid
// UTF-8 sequence becomes U+FFFD, so that the output is always valid JSON whatever the input
// (raw webhook bodies, driver error messages).
void AppendJsonString(std::string& out, std::string_view text);

// Appends a JSON number. Non-finite values, which JSON cannot express, are written as the strings
// "NaN", "Infinity" and "-Infinity".
void AppendJsonNumber(std::string& out, double value);
void AppendJsonNumber(std::string& out, std::int64_t value);
void AppendJsonNumber(std::string& out, std::uint64_t value);

}  // namespace paypipe::infra::log
