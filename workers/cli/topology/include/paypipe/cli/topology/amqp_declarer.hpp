#pragma once

#include "paypipe/cli/topology/topology_command.hpp"
#include "paypipe/infra/amqp/admin.hpp"

namespace paypipe::cli::topology {

// Declares topology objects through an AMQP admin connection.
class AmqpDeclarer final : public Declarer {
 public:
  explicit AmqpDeclarer(infra::amqp::Admin& admin) : admin_(admin) {}

  [[nodiscard]] domain::Status DeclareExchange(const model::ExchangeDef& exchange) override;
  [[nodiscard]] domain::Status DeclareQueue(const model::QueueDef& queue) override;
  [[nodiscard]] domain::Status Bind(const model::BindingDef& binding) override;

 private:
  infra::amqp::Admin& admin_;
};

}  // namespace paypipe::cli::topology
