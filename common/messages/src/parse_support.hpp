#pragma once

// Shared by the message parsers and builders: what a refused body looks like, wire names of
// enums, the outgoing form of a message.

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

// The wire names of an enum's values, as a fixed table.
template <typename Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <typename Enum, std::size_t N>
[[nodiscard]] const char* NameOf(const NameTable<Enum, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name.data();
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
[[nodiscard]] std::optional<Enum> ValueOf(const NameTable<Enum, N>& names, std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

// What a stage writes to its outbox for a message of `type` to `routing_key`.
[[nodiscard]] inline runtime::OutgoingMessage Outgoing(std::string_view type,
                                                       std::string_view routing_key,
                                                       nlohmann::json body,
                                                       std::string correlation_id) {
  runtime::OutgoingMessage out;
  out.type = std::string(type);
  out.routing_key = std::string(routing_key);
  out.body = std::move(body);
  out.correlation_id = std::move(correlation_id);
  return out;
}

}  // namespace paypipe::messages::detail
