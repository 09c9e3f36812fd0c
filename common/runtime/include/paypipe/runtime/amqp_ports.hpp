#pragma once

#include <span>

#include "paypipe/infra/amqp/consumer.hpp"
#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/runtime/ports.hpp"

namespace paypipe::runtime {

// Wire form conversions between the runtime's messages and the AMQP adapter's.
[[nodiscard]] infra::amqp::OutgoingMessage ToAmqp(const OutboundMessage& message);
[[nodiscard]] Delivery FromAmqp(infra::amqp::Delivery delivery);

// DeliverySource over an infra::amqp::Consumer (which reconnects by itself and refuses acks of
// earlier generations). Acks of stale deliveries are skipped: the broker has requeued them.
class AmqpDeliverySource final : public DeliverySource {
 public:
  explicit AmqpDeliverySource(infra::amqp::Consumer& consumer) : consumer_(consumer) {}

  [[nodiscard]] domain::Result<std::optional<Delivery>> Next(
      std::chrono::milliseconds timeout) override;
  [[nodiscard]] domain::Status Ack(std::span<const DeliveryTag> tags) override;
  [[nodiscard]] domain::Status Requeue(std::span<const DeliveryTag> tags) override;

  [[nodiscard]] std::uint64_t generation() const { return consumer_.generation(); }

 private:
  infra::amqp::Consumer& consumer_;
};

// Publisher over an infra::amqp::Publisher: one PublishBatch (one confirm wait) per call.
// kUnknown outcomes become kBrokerConnectionLost (republish after reconnecting); kReturned and
// kNacked are per-message failures.
class AmqpPublisher final : public Publisher {
 public:
  explicit AmqpPublisher(infra::amqp::Publisher& publisher) : publisher_(publisher) {}

  [[nodiscard]] std::vector<domain::Status> PublishConfirmed(
      std::span<const OutboundMessage> messages) override;

 private:
  infra::amqp::Publisher& publisher_;
};

}  // namespace paypipe::runtime
