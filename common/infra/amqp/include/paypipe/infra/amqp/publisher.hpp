#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/amqp/message.hpp"
#include "paypipe/infra/amqp/options.hpp"
#include "paypipe/infra/amqp/url.hpp"

namespace paypipe::infra::amqp {

enum class PublishStatus {
  kConfirmed,  // the broker has taken responsibility for the message (stored in every queue)
  kReturned,   // unroutable: no queue is bound for it; nothing was stored
  kNacked,     // the broker refused to store it (e.g. a full reject-publish queue)
  kUnknown,    // not settled before the connection was lost or the time ran out: republish
};

[[nodiscard]] const char* ToString(PublishStatus status);
std::ostream& operator<<(std::ostream& out, PublishStatus status);

struct PublishOutcome {
  PublishStatus status = PublishStatus::kUnknown;
  // For kReturned: the broker's reason (312 NO_ROUTE, ...).
  std::uint16_t reply_code = 0;
  std::string reply_text;
};

struct PublishBatchResult {
  // One per message, in the order of the messages.
  std::vector<PublishOutcome> outcomes;
  // Why some outcomes are kUnknown (connection lost, channel closed by the broker, broker
  // unreachable or blocked). Its kind tells whether republishing can help: a Permanent error
  // (e.g. AMQP_NOT_FOUND for a missing exchange) will happen again.
  std::optional<domain::Error> error;

  [[nodiscard]] bool AllConfirmed() const;
  [[nodiscard]] std::size_t Count(PublishStatus status) const;
};

struct PublisherOptions {
  ConnectionOptions connection;
  // Bounds one PublishBatch call: connecting (including reconnect backoff), writing and waiting
  // for the confirms. What is not settled by then is kUnknown.
  std::chrono::milliseconds publish_timeout{10'000};
};

// Publishes with publisher confirms on its own connection and channel.
//
// Guarantees: a message is kConfirmed only after the broker's basic.ack and without a
// basic.return for it, i.e. it is stored in at least one queue (persistent, so it survives a
// broker restart once confirmed by a durable or quorum queue). Everything else is reported, never
// retried behind the caller's back; republishing kUnknown messages may create duplicates, which
// is why delivery is at-least-once and consumers deduplicate by message_id.
//
// Reconnects by itself: a lost connection is destroyed, and the next call reconnects after a
// jittered exponential backoff, reopens the channel and selects confirms again.
//
// Thread safety: none. One Publisher per thread; never share it (rabbitmq-c connections are
// not thread-safe). Heartbeats are serviced only inside calls: a thread that may stay away
// longer than the heartbeat interval should call KeepAlive() in between.
class Publisher {
 public:
  Publisher(AmqpUrl url, PublisherOptions options);
  ~Publisher();
  Publisher(Publisher&&) noexcept;
  Publisher& operator=(Publisher&&) noexcept;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Connects now (normally the first publish does): for readiness checks and fail-fast starts.
  [[nodiscard]] domain::Status Connect(std::chrono::milliseconds timeout);

  // Publishes every message (mandatory, persistent), then waits once for all their confirms.
  // The messages are read in place, never copied. Never throws for broker or network failures.
  [[nodiscard]] PublishBatchResult PublishBatch(std::span<const OutgoingMessage> messages);
  // The same, bounded by `deadline` instead of publish_timeout: for callers that answer someone
  // waiting (an HTTP request) and must give up at a time of their own.
  [[nodiscard]] PublishBatchResult PublishBatch(std::span<const OutgoingMessage> messages,
                                                std::chrono::steady_clock::time_point deadline);

  // One message: Ok only when kConfirmed. kReturned is a Permanent AMQP_UNROUTABLE error,
  // kNacked a Transient AMQP_NACKED, kUnknown the batch error. Prefer PublishBatch for several.
  [[nodiscard]] domain::Status Publish(const OutgoingMessage& message);

  // Services heartbeats and notices a dead connection early, without publishing. Cheap.
  [[nodiscard]] domain::Status KeepAlive();

  [[nodiscard]] bool connected() const;
  // Successful connections made after an earlier one was lost.
  [[nodiscard]] std::uint64_t reconnects() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paypipe::infra::amqp
