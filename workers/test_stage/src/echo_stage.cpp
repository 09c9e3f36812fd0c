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

  const std::string payload = message.body.value("payload", std::string());
  auto inserted = work.Db().Execute(
      "INSERT INTO test_echo_effects (message_id, attempt, payload) VALUES (?, ?, ?)",
      {message.message_id.str(), message.attempt, payload});
  if (!inserted.ok()) return inserted.error();

  runtime::OutgoingMessage echoed;
  echoed.type = std::string(kEchoedType);
  echoed.routing_key = std::string(kSinkRoutingKey);
  echoed.body = {{"schema_version", 1}, {"echo_of", message.message_id.str()},
                 {"payload", payload}};
  return std::vector<runtime::OutgoingMessage>{std::move(echoed)};
}

}  // namespace paypipe::test_stage
