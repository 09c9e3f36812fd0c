#include "paypipe/cli/topology/amqp_declarer.hpp"

namespace paypipe::cli::topology {
namespace {

domain::Result<infra::amqp::ExchangeType> ExchangeTypeOf(const std::string& type) {
  using infra::amqp::ExchangeType;
  if (type == "direct") return ExchangeType::kDirect;
  if (type == "fanout") return ExchangeType::kFanout;
  if (type == "topic") return ExchangeType::kTopic;
  if (type == "headers") return ExchangeType::kHeaders;
  return domain::Error::Permanent("TOPOLOGY_INVALID", "unknown exchange type '" + type + "'");
}

}  // namespace

domain::Status AmqpDeclarer::DeclareExchange(const model::ExchangeDef& exchange) {
  auto type = ExchangeTypeOf(exchange.type);
  if (!type.ok()) return type.error();
  infra::amqp::ExchangeSpec spec;
  spec.name = exchange.name;
  spec.type = *type;
  return admin_.DeclareExchange(spec);
}

domain::Status AmqpDeclarer::DeclareQueue(const model::QueueDef& queue) {
  infra::amqp::QueueSpec spec;
  spec.name = queue.name;
  spec.arguments.reserve(queue.arguments.size());
  for (const auto& [key, value] : queue.arguments) {
    std::visit([&](const auto& v) { spec.arguments.Set(key, v); }, value);
  }
  auto declared = admin_.DeclareQueue(spec);
  if (!declared.ok()) return declared.error();
  return {};
}

domain::Status AmqpDeclarer::Bind(const model::BindingDef& binding) {
  return admin_.Bind(binding.queue, binding.exchange, binding.routing_key);
}

}  // namespace paypipe::cli::topology
