#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "paypipe/infra/amqp/field_table.hpp"

namespace paypipe::infra::amqp {

// Header names the pipeline relies on.
inline constexpr std::string_view kHeaderAttempt = "x-attempt";
inline constexpr std::string_view kHeaderTraceparent = "traceparent";
// Set by quorum queues on redelivery; counts returns of the message to the queue.
inline constexpr std::string_view kHeaderDeliveryCount = "x-delivery-count";

// The AMQP basic properties paypipe uses. Every message is published persistent
// (delivery_mode 2); an empty string property is not sent at all.
struct MessageProperties {
  std::string message_id;
  std::string correlation_id;
  std::string type;
  std::string content_type = "application/json";
  std::optional<std::chrono::sys_seconds> timestamp;
  // Per-message TTL. Quorum queues expire only from the head, so use one TTL per queue.
  std::optional<std::chrono::milliseconds> expiration;
  FieldTable headers;
};

struct OutgoingMessage {
  std::string exchange;
  std::string routing_key;
  MessageProperties properties;
  std::string body;
};

// Identifies a delivery for ack/nack. `generation` names the channel the delivery arrived on:
// a tag is meaningful only on that channel, and every reconnect or channel reopen starts a new
// generation.
struct DeliveryTag {
  std::uint64_t generation = 0;
  std::uint64_t value = 0;
};

struct Delivery {
  DeliveryTag tag;
  std::string queue;  // the queue this consumer subscription reads
  std::string exchange;
  std::string routing_key;
  bool redelivered = false;
  // content_type is whatever the publisher sent (empty when absent). Header values other than
  // strings, integers and booleans (arrays such as x-death, tables, floats) are not kept.
  MessageProperties properties;
  std::string body;

  // x-delivery-count of quorum queues: absent (or 0) on a first delivery.
  [[nodiscard]] std::optional<std::int64_t> DeliveryCount() const {
    return properties.headers.FindInt(kHeaderDeliveryCount);
  }
};

}  // namespace paypipe::infra::amqp
