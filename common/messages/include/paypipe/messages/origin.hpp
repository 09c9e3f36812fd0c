#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {

// The message id of the first message of a pipeline run, derived from what makes it unique (a
// webhook's event key, a payment key, an Idempotency-Key): the same request always yields the
// same id, so a repeat (a double click, a PG retry, a 503 answered after all) is deduplicated by
// the consuming stage's inbox instead of being processed twice.
[[nodiscard]] std::string OriginMessageId(std::string_view type, std::string_view key);

// The wire form of a message that starts a pipeline run (nothing to derive it from, unlike
// runtime::Derive): `message_id` as given, a new trace started from it, x-attempt 0, persistent
// JSON with schema_version added when absent. Published to the work exchange with
// `routing_key` = the stage that consumes it.
[[nodiscard]] runtime::OutboundMessage Originate(std::string_view type,
                                                 std::string_view routing_key,
                                                 std::string message_id, std::string correlation_id,
                                                 nlohmann::json body,
                                                 std::int64_t timestamp_seconds);

}  // namespace paypipe::messages
