#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/amqp/message.hpp"
#include "paypipe/infra/amqp/options.hpp"
#include "paypipe/infra/amqp/url.hpp"

namespace paypipe::infra::amqp {

enum class Requeue { kNo, kYes };

struct ConsumerOptions {
  ConnectionOptions connection;
  // Subscribed on one channel, each with its own consumer tag. A queue that does not exist
  // fails the whole consumer (the broker answers basic.consume with 404, closing the channel).
  std::vector<std::string> queues;
  // Unacknowledged deliveries in flight per queue (basic.qos with global=false, which is what
  // quorum queues support).
  std::uint16_t prefetch = 32;
};

// Consumes with manual acknowledgement on its own connection and channel.
//
// Delivery is at least once: a message is redelivered if it is not acked before the channel or
// the connection ends (crash, reconnect, broker restart, 406), and also after Nack/Reject with
// Requeue::kYes. Handlers must be idempotent or deduplicate by message_id.
//
// Reconnects by itself: when the connection is lost the next Next() reconnects (jittered
// exponential backoff), reopens the channel, sets QoS and subscribes again. Each channel has a
// generation; acks for deliveries of an earlier generation are refused with
// AMQP_STALE_DELIVERY (see IsStaleDelivery) instead of being sent on the new channel, where the
// same tag numbers name other messages. The broker requeues those deliveries itself.
//
// Thread safety: none. One Consumer per thread; never share it. Heartbeats are serviced only
// inside calls: the owner must come back to Next(), Ack() or Nack() at least every heartbeat
// interval (bound handler time with SQL and HTTP timeouts), or the broker closes the
// connection and every unacked delivery is redelivered.
class Consumer {
 public:
  Consumer(AmqpUrl url, ConsumerOptions options);
  ~Consumer();
  Consumer(Consumer&&) noexcept;
  Consumer& operator=(Consumer&&) noexcept;
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Connects and subscribes now (normally the first Next does).
  [[nodiscard]] domain::Status Connect(std::chrono::milliseconds timeout);

  // Waits up to `timeout` for the next delivery. nullopt: nothing arrived in time; the
  // connection stays usable. An error: the connection or channel was lost (Transient; the next
  // call reconnects, waiting out the backoff within its timeout), the broker cancelled a
  // subscription (AMQP_CONSUMER_CANCELLED; the next call subscribes again), or the channel was
  // closed by an error such as a 404 for a missing queue (Permanent).
  [[nodiscard]] domain::Result<std::optional<Delivery>> Next(std::chrono::milliseconds timeout);

  // The broker may still refuse an ack it cannot match (406, closing the channel); that shows up
  // as an error from a later Next().
  [[nodiscard]] domain::Status Ack(const DeliveryTag& tag);
  // Acknowledges every delivery of the tag's channel up to and including it in one frame
  // (`multiple`). Only for a caller that has settled or is acking everything received before.
  [[nodiscard]] domain::Status AckThrough(const DeliveryTag& tag);
  [[nodiscard]] domain::Status Nack(const DeliveryTag& tag, Requeue requeue);
  [[nodiscard]] domain::Status Reject(const DeliveryTag& tag, Requeue requeue);

  [[nodiscard]] bool connected() const;
  // Successful connections made after an earlier one was lost.
  [[nodiscard]] std::uint64_t reconnects() const;
  // Generation of the current channel (0 before the first one).
  [[nodiscard]] std::uint64_t generation() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paypipe::infra::amqp
