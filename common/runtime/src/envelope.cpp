#include "paypipe/runtime/envelope.hpp"

#include <algorithm>
#include <charconv>

#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::runtime {
namespace {

using domain::Error;

constexpr std::size_t kMaxHeaderMessageLength = 1000;

Error Reject(std::string_view code, std::string message) {
  return Error::Permanent(std::string(code), std::move(message));
}

}  // namespace

int AttemptOf(const WireMessage& message) {
  const auto it = message.headers.find(kAttemptHeader);
  if (it == message.headers.end()) return 0;
  std::int64_t value = 0;
  if (const auto* number = std::get_if<std::int64_t>(&it->second)) {
    value = *number;
  } else {
    const auto& text = std::get<std::string>(it->second);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return 0;
  }
  if (value < 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(value, 1'000'000));
}

domain::Result<Envelope> ParseEnvelope(const WireMessage& message,
                                       const std::vector<MessageTypeSpec>& accepted) {
  if (message.message_id.empty()) {
    return Reject(kMissingMessageId, "message has no message_id; it cannot be deduplicated");
  }
  const auto spec = std::find_if(accepted.begin(), accepted.end(),
                                 [&](const MessageTypeSpec& s) { return s.type == message.type; });
  if (spec == accepted.end()) {
    return Reject(kUnknownMessageType, "message type '" + message.type + "' is not handled here");
  }
  nlohmann::json body = nlohmann::json::parse(message.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Reject(kMalformedBody, "body is not a JSON object");
  }
  const auto version_it = body.find(kSchemaVersionField);
  if (version_it == body.end() || !version_it->is_number_integer()) {
    return Reject(kMalformedBody, "body has no integer schema_version");
  }
  const auto version = version_it->get<std::int64_t>();
  if (version <= 0 || version > 1'000'000 ||
      spec->schema_versions.count(static_cast<int>(version)) == 0) {
    return Reject(kUnsupportedSchemaVersion, "schema_version " + std::to_string(version) +
                                                 " of '" + message.type + "' is not supported");
  }
  Envelope envelope;
  envelope.message_id = domain::MessageId(message.message_id);
  envelope.correlation_id = message.correlation_id;
  envelope.type = message.type;
  envelope.schema_version = static_cast<int>(version);
  envelope.body = std::move(body);
  envelope.attempt = AttemptOf(message);
  envelope.timestamp = message.timestamp;
  std::optional<TraceContext> trace;
  if (const auto it = message.headers.find(kTraceparentHeader); it != message.headers.end()) {
    if (const auto* text = std::get_if<std::string>(&it->second)) trace = TraceContext::Parse(*text);
  }
  envelope.trace = trace ? *trace : TraceContext::StartFrom(message.message_id);
  return envelope;
}

std::string DerivedMessageId(std::string_view incoming_id, std::string_view stage,
                             std::size_t index) {
  std::string name(stage);
  name += '/';
  name += std::to_string(index);
  return infra::crypto::DeterministicUuid(incoming_id, name);
}

OutboundMessage Derive(const Envelope& incoming, std::string_view stage, std::size_t index,
                       const OutgoingMessage& outgoing, std::int64_t now_seconds) {
  OutboundMessage out;
  out.exchange = outgoing.exchange;
  out.routing_key = outgoing.routing_key;
  WireMessage& m = out.message;
  m.message_id = DerivedMessageId(incoming.message_id.str(), stage, index);
  m.correlation_id =
      outgoing.correlation_id.empty() ? incoming.correlation_id : outgoing.correlation_id;
  m.type = outgoing.type;
  m.timestamp = now_seconds;
  m.headers.emplace(std::string(kAttemptHeader), std::int64_t{0});
  m.headers.emplace(std::string(kTraceparentHeader),
                    incoming.trace.Child(m.message_id).ToHeader());
  nlohmann::json body = outgoing.body.is_object() ? outgoing.body : nlohmann::json::object();
  if (!body.contains(kSchemaVersionField)) body[std::string(kSchemaVersionField)] = 1;
  m.body = body.dump();
  return out;
}

OutboundMessage ForRetry(const WireMessage& original, std::string_view stage,
                         std::string_view tier, int next_attempt) {
  OutboundMessage out{std::string(kRetryExchange), std::string(stage) + "." + std::string(tier),
                      original};
  out.message.headers.insert_or_assign(std::string(kAttemptHeader),
                                       std::int64_t{next_attempt});
  return out;
}

OutboundMessage ForDeadLetter(const WireMessage& original, std::string_view stage,
                              const domain::Error& error, int attempts) {
  OutboundMessage out{std::string(kDeadLetterExchange), std::string(stage), original};
  auto& headers = out.message.headers;
  headers.insert_or_assign(std::string(kDeadLetterStageHeader), std::string(stage));
  headers.insert_or_assign(std::string(kDeadLetterKindHeader),
                           std::string(domain::ToString(error.kind)));
  headers.insert_or_assign(std::string(kDeadLetterCodeHeader), error.code);
  headers.insert_or_assign(std::string(kDeadLetterMessageHeader),
                           error.message.substr(0, kMaxHeaderMessageLength));
  headers.insert_or_assign(std::string(kDeadLetterAttemptsHeader), std::int64_t{attempts});
  return out;
}

}  // namespace paypipe::runtime
