#include "paypipe/messages/origin.hpp"

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/runtime/trace_context.hpp"

namespace paypipe::messages {

std::string OriginMessageId(std::string_view type, std::string_view key) {
  std::string name_space = "paypipe:";
  name_space += type;
  return infra::crypto::DeterministicUuid(name_space, key);
}

runtime::OutboundMessage Originate(std::string_view type, std::string_view routing_key,
                                   std::string message_id, std::string correlation_id,
                                   nlohmann::json body, std::int64_t timestamp_seconds) {
  runtime::OutboundMessage out;
  out.exchange = std::string(runtime::kWorkExchange);
  out.routing_key = std::string(routing_key);
  runtime::WireMessage& m = out.message;
  m.message_id = std::move(message_id);
  m.correlation_id = std::move(correlation_id);
  m.type = std::string(type);
  m.timestamp = timestamp_seconds;
  m.headers.emplace(std::string(runtime::kAttemptHeader), std::int64_t{0});
  m.headers.emplace(std::string(runtime::kTraceparentHeader),
                    runtime::TraceContext::StartFrom(m.message_id).ToHeader());
  if (!body.is_object()) body = nlohmann::json::object();
  if (!body.contains(runtime::kSchemaVersionField)) {
    body[std::string(runtime::kSchemaVersionField)] = 1;
  }
  m.body = body.dump();
  return out;
}

}  // namespace paypipe::messages
