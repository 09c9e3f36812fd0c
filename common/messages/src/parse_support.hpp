#pragma once

// Shared by the message parsers: what a refused body looks like.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages::detail {

// A Permanent MALFORMED_BODY error (the runtime's dead-letter code for bad bodies) naming the
// message type and carrying the field error's text: "payment.confirm: 'amount' is required".
[[nodiscard]] inline domain::Error Malformed(std::string_view type, std::string_view what) {
  std::string message(type);
  message += ": ";
  message += what;
  return domain::Error::Permanent(std::string(runtime::kMalformedBody), std::move(message));
}

[[nodiscard]] inline domain::Error Malformed(std::string_view type, const domain::Error& error) {
  return Malformed(type, error.message);
}

// The body must be a JSON object of schema_version 1, the only version defined so far.
[[nodiscard]] inline domain::Status CheckVersion1(std::string_view type,
                                                  const nlohmann::json& body) {
  if (!body.is_object()) {
    return Malformed(type, "body is not a JSON object");
  }
  const auto version = body.find(runtime::kSchemaVersionField);
  if (version == body.end() || !version->is_number_integer() || version->get<std::int64_t>() != 1) {
    return Malformed(type, "'schema_version' must be 1");
  }
  return domain::Ok();
}

}  // namespace paypipe::messages::detail
