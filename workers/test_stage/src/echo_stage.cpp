#include "paypipe/test_stage/echo_stage.hpp"

#include <stdexcept>
#include <string>

#include "paypipe/infra/db/connection.hpp"

namespace paypipe::test_stage {

std::vector<runtime::MessageTypeSpec> EchoStage::AcceptedTypes() const {
  return {{std::string(kEchoType), {1}}};
}

domain::Result<std::vector<runtime::OutgoingMessage>> EchoStage::Handle(
    const runtime::Envelope& message, runtime::UnitOfWork& work) const {
  const std::string fail = message.body.value("fail", std::string());
  if (fail == "transient") {
    return domain::Error::Transient(std::string(kRequestedTransient), "the message asked for it");
  }
  if (fail == "permanent") {
    return domain::Error::Permanent(std::string(kRequestedPermanent), "the message asked for it");
  }
  if (fail == "throw") throw std::runtime_error("test-echo was asked to throw");

  const runtime::Envelope* const one[] = {&message};
  auto handled = HandleBatch(one, work);
  if (!handled.ok()) return handled.error();
  return std::move(handled->front());
}

domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> EchoStage::HandleBatch(
    std::span<const runtime::Envelope* const> messages, runtime::UnitOfWork& work) const {
  // A message asking for a failure fails the batch; Handle then fails that message alone.
  for (const runtime::Envelope* message : messages) {
    const std::string fail = message->body.value("fail", std::string());
    if (fail == "transient" || fail == "permanent" || fail == "throw") {
      return domain::Error::Transient("TEST_BATCH_FALLBACK", "a message asks for a failure");
    }
  }
  std::string sql = "INSERT INTO test_echo_effects (message_id, attempt, payload) VALUES ";
  infra::db::Params params;
  params.reserve(messages.size() * 3);
  std::vector<std::vector<runtime::OutgoingMessage>> out;
  out.reserve(messages.size());
  for (const runtime::Envelope* message : messages) {
    const std::string payload = message->body.value("payload", std::string());
    sql += params.empty() ? "(?, ?, ?)" : ", (?, ?, ?)";
    params.emplace_back(message->message_id.str());
    params.emplace_back(message->attempt);
    params.emplace_back(payload);

    runtime::OutgoingMessage echoed;
    echoed.type = std::string(kEchoedType);
    echoed.routing_key = std::string(kSinkRoutingKey);
    echoed.body = {{"schema_version", 1}, {"echo_of", message->message_id.str()},
                   {"payload", payload}};
    out.push_back({std::move(echoed)});
  }
  auto inserted = work.Db().Execute(sql, params);
  if (!inserted.ok()) return inserted.error();
  return out;
}

}  // namespace paypipe::test_stage
