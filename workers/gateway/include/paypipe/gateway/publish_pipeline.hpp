#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "paypipe/gateway/bounded_queue.hpp"
#include "paypipe/gateway/broker_links.hpp"
#include "paypipe/gateway/gateway_metrics.hpp"
#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/infra/log/logger.hpp"

namespace paypipe::gateway {

// What became of one message handed to the pipeline.
enum class PublishResult {
  kConfirmed,    // the broker stored it: confirmed without a return
  kReturned,     // unroutable: no queue bound for it (topology not applied); nothing stored
  kNacked,       // the broker refused to store it (e.g. a full queue)
  kUnconfirmed,  // broker unreachable, connection lost, or no confirm before the deadline
  kExpired,      // waited for a publisher thread past its deadline; never published
};

// "confirmed", "returned", "nacked", "unconfirmed", "expired" (metric label values).
[[nodiscard]] const char* ToString(PublishResult result);

// One broker connection in confirm mode, used by one publisher thread only.
class BatchPublisher {
 public:
  virtual ~BatchPublisher() = default;
  // Publishes (mandatory, persistent) and waits once for all confirms, until `deadline`.
  [[nodiscard]] virtual infra::amqp::PublishBatchResult PublishBatch(
      std::span<const infra::amqp::OutgoingMessage> messages,
      std::chrono::steady_clock::time_point deadline) = 0;
  // Called while idle: services heartbeats, or tries to (re)connect for at most `timeout`, so
  // that readiness reflects the broker and the next request finds a live connection.
  virtual void Maintain(std::chrono::milliseconds timeout) = 0;
  [[nodiscard]] virtual bool connected() const = 0;
};

using BatchPublisherFactory = std::function<std::unique_ptr<BatchPublisher>()>;

// BatchPublisher over infra::amqp::Publisher.
[[nodiscard]] BatchPublisherFactory AmqpPublisherFactory(infra::amqp::AmqpUrl url,
                                                         infra::amqp::PublisherOptions options);

struct PublishPipelineOptions {
  // Publisher threads, each with its own connection: while one waits for its confirms, the next
  // can already write the requests that arrived meanwhile.
  std::size_t threads = 2;
  // Messages waiting for a thread; beyond it Submit answers kFull (backpressure: 503).
  std::size_t capacity = 10'000;
  // Messages per PublishBatch call.
  std::size_t max_batch = 256;
  // Once a thread holds a message, how long it waits for more (up to max_batch) before
  // publishing: a batch then shares its confirm round trip with the messages of that moment too.
  std::chrono::microseconds gather{0};
  // Deadline of each message, from Submit to the broker's confirm.
  std::chrono::milliseconds confirm_timeout{5'000};
  // An idle thread maintains its connection this often, for at most maintain_timeout. A thread
  // without a connection tries to reconnect on its connection's backoff schedule instead, and
  // looks for queued work at least every maintain_timeout.
  std::chrono::milliseconds idle_interval{1'000};
  std::chrono::milliseconds maintain_timeout{500};
};

// Shares broker confirms between concurrent requests: handlers Submit (message, callback)
// without blocking; publisher threads take everything queued (up to max_batch) into one
// PublishBatch, then call every callback of the batch with its outcome. Under load a batch
// holds whatever arrived during the previous round trip, so confirms cost one round trip per
// batch, not per request, and no request waits for more than one batch ahead of it.
//
// Guarantees: every accepted Submit gets exactly one callback, on a publisher thread, at the
// latest shortly after its deadline (PublishBatch is bounded by the earliest deadline of its
// batch). kConfirmed means stored by the broker; every other result means "not known to be
// stored" — the caller answers 503 and the client (or PG) retries; a retried message has the
// same message_id and is deduplicated downstream.
//
// Broker outages: while every publisher thread knows its connection is down (a connect failed,
// or the connection was lost and is not back), Submit refuses at once (kBrokerDown) instead of
// queueing messages that could only wait for their deadline; the threads keep reconnecting
// with backoff, and Submit accepts again as soon as one connection is back. Messages accepted
// before the outage was known keep their deadline: they are published when a connection comes
// back in time and answered kUnconfirmed otherwise, never kConfirmed without a confirm.
//
// Thread safety: Submit, broker_ready, broker_down and depth from any thread (lock-free reads
// of the threads' connection states); Start and Stop from one.
class PublishPipeline {
 public:
  using Callback = std::function<void(PublishResult)>;

  PublishPipeline(BatchPublisherFactory factory, PublishPipelineOptions options,
                  GatewayMetrics& metrics, infra::log::Logger logger);
  // Stops with no grace if Stop was not called (joins the threads).
  ~PublishPipeline();
  PublishPipeline(const PublishPipeline&) = delete;
  PublishPipeline& operator=(const PublishPipeline&) = delete;

  void Start();

  // Queues the message; `done` is called once with its outcome. kFull / kClosed / kBrokerDown:
  // not queued, `done` is never called.
  [[nodiscard]] Admission Submit(infra::amqp::OutgoingMessage message, Callback done);

  // Refuses new messages, publishes what is queued, and waits for the threads until `deadline`.
  // False when they did not finish in time: they still use this object, so the process must end
  // without destroying it (std::_Exit).
  [[nodiscard]] bool Stop(std::chrono::steady_clock::time_point deadline);

  // At least one publisher thread holds a live broker connection.
  [[nodiscard]] bool broker_ready() const { return links_.any_up(); }
  // Every publisher thread knows its connection is down: Submit answers kBrokerDown.
  [[nodiscard]] bool broker_down() const { return links_.all_down(); }
  [[nodiscard]] std::size_t depth() const { return queue_.size(); }

 private:
  struct Item {
    infra::amqp::OutgoingMessage message;
    Callback done;
    std::chrono::steady_clock::time_point submitted;
    std::chrono::steady_clock::time_point deadline;
  };

  void Run(std::size_t index);
  // Maintains the thread's connection and reports what became of it.
  void Maintain(std::size_t index, BatchPublisher& publisher);
  void Report(std::size_t index, const BatchPublisher& publisher);
  void Finish(Item& item, PublishResult result, std::chrono::steady_clock::time_point now);

  BatchPublisherFactory factory_;
  PublishPipelineOptions options_;
  GatewayMetrics& metrics_;
  infra::log::Logger logger_;
  BoundedQueue<Item> queue_;
  BrokerLinks links_;
  std::atomic<std::size_t> running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace paypipe::gateway
