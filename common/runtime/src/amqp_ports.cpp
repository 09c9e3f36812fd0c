#include "paypipe/runtime/amqp_ports.hpp"

#include <algorithm>

#include "paypipe/infra/amqp/errors.hpp"

namespace paypipe::runtime {

using domain::Error;

infra::amqp::OutgoingMessage ToAmqp(const OutboundMessage& message) {
  infra::amqp::OutgoingMessage out;
  out.exchange = message.exchange;
  out.routing_key = message.routing_key;
  const WireMessage& m = message.message;
  out.properties.message_id = m.message_id;
  out.properties.correlation_id = m.correlation_id;
  out.properties.type = m.type;
  if (m.timestamp > 0) out.properties.timestamp = std::chrono::sys_seconds{std::chrono::seconds{m.timestamp}};
  out.properties.headers.reserve(m.headers.size());
  for (const auto& [key, value] : m.headers) {
    std::visit([&](const auto& v) { out.properties.headers.Set(key, v); }, value);
  }
  out.body = m.body;
  return out;
}

Delivery FromAmqp(infra::amqp::Delivery delivery) {
  Delivery out;
  out.routing_key = std::move(delivery.routing_key);
  out.tag = DeliveryTag{delivery.tag.value, delivery.tag.generation};
  out.redelivered = delivery.redelivered;
  auto& p = delivery.properties;
  WireMessage& m = out.message;
  m.message_id = std::move(p.message_id);
  m.correlation_id = std::move(p.correlation_id);
  m.type = std::move(p.type);
  if (p.timestamp) m.timestamp = p.timestamp->time_since_epoch().count();
  for (const auto& [key, value] : p.headers) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      m.headers.emplace(key, *text);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      m.headers.emplace(key, *number);
    } else {
      m.headers.emplace(key, std::int64_t{std::get<bool>(value) ? 1 : 0});
    }
  }
  m.body = std::move(delivery.body);
  return out;
}

domain::Result<std::optional<Delivery>> AmqpDeliverySource::Next(
    std::chrono::milliseconds timeout) {
  auto next = consumer_.Next(timeout);
  if (!next.ok()) {
    return Error{next.error().kind, std::string(kBrokerConnectionLost), next.error().ToString()};
  }
  if (!next->has_value()) return std::optional<Delivery>{};
  return std::optional<Delivery>{FromAmqp(std::move(**next))};
}

namespace {

template <typename Fn>
domain::Status ForEachTag(std::span<const DeliveryTag> tags, Fn&& fn) {
  for (const DeliveryTag& tag : tags) {
    const domain::Status status = fn(infra::amqp::DeliveryTag{tag.generation, tag.tag});
    if (status.ok() || infra::amqp::IsStaleDelivery(status.error())) continue;
    return Error{status.error().kind, std::string(kBrokerConnectionLost),
                 status.error().ToString()};
  }
  return domain::Ok();
}

}  // namespace

domain::Status AmqpDeliverySource::Ack(std::span<const DeliveryTag> tags) {
  // One multiple-ack per channel generation, through the highest tag (see the port's contract).
  std::vector<DeliveryTag> highest;
  for (const DeliveryTag& tag : tags) {
    auto same = std::find_if(highest.begin(), highest.end(), [&](const DeliveryTag& h) {
      return h.generation == tag.generation;
    });
    if (same == highest.end()) {
      highest.push_back(tag);
    } else if (tag.tag > same->tag) {
      same->tag = tag.tag;
    }
  }
  return ForEachTag(highest,
                    [&](const infra::amqp::DeliveryTag& t) { return consumer_.AckThrough(t); });
}

domain::Status AmqpDeliverySource::Requeue(std::span<const DeliveryTag> tags) {
  return ForEachTag(tags, [&](const infra::amqp::DeliveryTag& t) {
    return consumer_.Nack(t, infra::amqp::Requeue::kYes);
  });
}

std::vector<domain::Status> AmqpPublisher::PublishConfirmed(
    std::span<const OutboundMessage> messages) {
  std::vector<infra::amqp::OutgoingMessage> wire;
  wire.reserve(messages.size());
  for (const auto& m : messages) wire.push_back(ToAmqp(m));
  const infra::amqp::PublishBatchResult result = publisher_.PublishBatch(wire);
  std::vector<domain::Status> statuses;
  statuses.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const infra::amqp::PublishOutcome outcome =
        i < result.outcomes.size() ? result.outcomes[i] : infra::amqp::PublishOutcome{};
    switch (outcome.status) {
      case infra::amqp::PublishStatus::kConfirmed:
        statuses.emplace_back();
        break;
      case infra::amqp::PublishStatus::kReturned:
        statuses.emplace_back(Error::Permanent(std::string(infra::amqp::kErrUnroutable),
                                               outcome.reply_text));
        break;
      case infra::amqp::PublishStatus::kNacked:
        statuses.emplace_back(
            Error::Transient(std::string(infra::amqp::kErrNacked), "broker refused to store"));
        break;
      case infra::amqp::PublishStatus::kUnknown:
        // A permanent cause (a missing exchange) will not go away by reconnecting: report it
        // per message so that the delivery is settled rather than rerun forever.
        if (result.error && result.error->kind == domain::ErrorKind::kPermanent) {
          statuses.emplace_back(*result.error);
          break;
        }
        statuses.emplace_back(Error::Transient(
            std::string(kBrokerConnectionLost),
            result.error ? result.error->ToString() : std::string("publish not confirmed")));
        break;
    }
  }
  return statuses;
}

}  // namespace paypipe::runtime
