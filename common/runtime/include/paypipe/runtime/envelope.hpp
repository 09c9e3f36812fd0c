#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/trace_context.hpp"

namespace paypipe::runtime {

// Exchanges and header names every stage agrees on (ARCHITECTURE.md, "Stages and queues").
inline constexpr std::string_view kWorkExchange = "paypipe.work";
inline constexpr std::string_view kRetryExchange = "paypipe.retry";
inline constexpr std::string_view kDeadLetterExchange = "paypipe.dlx";

inline constexpr std::string_view kAttemptHeader = "x-attempt";
inline constexpr std::string_view kTraceparentHeader = "traceparent";
// Set on dead-lettered messages so that the parking lot can say where and why.
inline constexpr std::string_view kDeadLetterStageHeader = "x-paypipe-stage";
inline constexpr std::string_view kDeadLetterKindHeader = "x-paypipe-error-kind";
inline constexpr std::string_view kDeadLetterCodeHeader = "x-paypipe-error-code";
inline constexpr std::string_view kDeadLetterMessageHeader = "x-paypipe-error-message";
inline constexpr std::string_view kDeadLetterAttemptsHeader = "x-paypipe-attempts";

// The JSON member of every body that names its schema version (a positive integer).
inline constexpr std::string_view kSchemaVersionField = "schema_version";

using HeaderValue = std::variant<std::string, std::int64_t>;
using Headers = std::map<std::string, HeaderValue, std::less<>>;

// A message as it travels on the wire: AMQP basic properties the pipeline uses plus the body.
// Always published persistent with content type application/json.
struct WireMessage {
  std::string message_id;
  std::string correlation_id;
  std::string type;
  std::int64_t timestamp = 0;  // seconds since the Unix epoch
  Headers headers;
  std::string body;

  friend bool operator==(const WireMessage&, const WireMessage&) = default;
};

// A message to publish: where to, and what.
struct OutboundMessage {
  std::string exchange;
  std::string routing_key;
  WireMessage message;

  friend bool operator==(const OutboundMessage&, const OutboundMessage&) = default;
};

// A message a stage accepts: its type and the body schema versions it understands.
struct MessageTypeSpec {
  std::string type;
  std::set<int> schema_versions;
};

// A received message after validation: what a stage's Handle sees.
struct Envelope {
  domain::MessageId message_id;
  std::string correlation_id;
  std::string type;
  int schema_version = 0;
  nlohmann::json body;  // always a JSON object, including the schema_version member
  int attempt = 0;      // x-attempt: how many times processing was tried before this delivery
  std::int64_t timestamp = 0;
  TraceContext trace;
  nlohmann::json prepared;  // what Stage::Prepare returned for this delivery (null without one)
};

// Codes of the dead-letter reasons the runtime itself produces.
inline constexpr std::string_view kMissingMessageId = "MISSING_MESSAGE_ID";
inline constexpr std::string_view kUnknownMessageType = "UNKNOWN_MESSAGE_TYPE";
inline constexpr std::string_view kUnsupportedSchemaVersion = "UNSUPPORTED_SCHEMA_VERSION";
inline constexpr std::string_view kMalformedBody = "MALFORMED_BODY";
inline constexpr std::string_view kStageException = "STAGE_EXCEPTION";

// Reads x-attempt: a non-negative integer header, or a decimal string (some clients send
// numbers as strings). Absent or invalid counts as 0 — never a reason to drop a message.
[[nodiscard]] int AttemptOf(const WireMessage& message);

// Validates a received message against the types a stage accepts. Every failure is Permanent
// with one of the codes above: the runtime dead-letters such a message, it never requeues it.
[[nodiscard]] domain::Result<Envelope> ParseEnvelope(const WireMessage& message,
                                                     const std::vector<MessageTypeSpec>& accepted);

// What a stage emits for the next stage; the runtime fills in ids, trace and headers.
struct OutgoingMessage {
  std::string type;
  std::string routing_key;     // the next stage (queue paypipe.<routing_key>)
  nlohmann::json body;         // a JSON object; schema_version is added when absent
  std::string correlation_id;  // empty: inherit the incoming message's
  std::string exchange = std::string(kWorkExchange);
};

// The id of the index-th message `stage` derives from `incoming_id`: the same inputs always give
// the same id, so a rerun after a crash produces the same outbox rows and consumers can dedupe.
[[nodiscard]] std::string DerivedMessageId(std::string_view incoming_id, std::string_view stage,
                                           std::size_t index);

// Builds the wire form of a derived message: deterministic id, inherited correlation id,
// traceparent with the incoming trace id and a new parent id, x-attempt 0, timestamp `now`.
[[nodiscard]] OutboundMessage Derive(const Envelope& incoming, std::string_view stage,
                                     std::size_t index, const OutgoingMessage& outgoing,
                                     std::int64_t now_seconds);

// The same message, republished to a retry wait queue with x-attempt incremented.
[[nodiscard]] OutboundMessage ForRetry(const WireMessage& original, std::string_view stage,
                                       std::string_view tier, int next_attempt);

// The same message, sent to the dead-letter exchange with headers naming the stage, the error
// and the number of attempts made.
[[nodiscard]] OutboundMessage ForDeadLetter(const WireMessage& original, std::string_view stage,
                                            const domain::Error& error, int attempts);

}  // namespace paypipe::runtime
