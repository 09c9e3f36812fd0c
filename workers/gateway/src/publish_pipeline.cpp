#include "paypipe/gateway/publish_pipeline.hpp"

#include <algorithm>

namespace paypipe::gateway {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace amqp = infra::amqp;

class AmqpBatchPublisher final : public BatchPublisher {
 public:
  AmqpBatchPublisher(amqp::AmqpUrl url, amqp::PublisherOptions options)
      : publisher_(std::move(url), std::move(options)) {}

  amqp::PublishBatchResult PublishBatch(std::span<const amqp::OutgoingMessage> messages,
                                        SteadyClock::time_point deadline) override {
    return publisher_.PublishBatch(messages, deadline);
  }

  void Maintain(std::chrono::milliseconds timeout) override {
    // Failures show in connected(); the next publish reports them to its callers.
    if (publisher_.connected()) {
      static_cast<void>(publisher_.KeepAlive());
    } else {
      static_cast<void>(publisher_.Connect(timeout));
    }
  }

  [[nodiscard]] bool connected() const override { return publisher_.connected(); }

 private:
  amqp::Publisher publisher_;
};

PublishResult FromStatus(amqp::PublishStatus status) {
  switch (status) {
    case amqp::PublishStatus::kConfirmed:
      return PublishResult::kConfirmed;
    case amqp::PublishStatus::kReturned:
      return PublishResult::kReturned;
    case amqp::PublishStatus::kNacked:
      return PublishResult::kNacked;
    case amqp::PublishStatus::kUnknown:
      return PublishResult::kUnconfirmed;
  }
  return PublishResult::kUnconfirmed;
}

}  // namespace

const char* ToString(PublishResult result) {
  switch (result) {
    case PublishResult::kConfirmed:
      return "confirmed";
    case PublishResult::kReturned:
      return "returned";
    case PublishResult::kNacked:
      return "nacked";
    case PublishResult::kUnconfirmed:
      return "unconfirmed";
    case PublishResult::kExpired:
      return "expired";
  }
  return "unconfirmed";
}

BatchPublisherFactory AmqpPublisherFactory(amqp::AmqpUrl url, amqp::PublisherOptions options) {
  return [url = std::move(url), options = std::move(options)] {
    return std::make_unique<AmqpBatchPublisher>(url, options);
  };
}

PublishPipeline::PublishPipeline(BatchPublisherFactory factory, PublishPipelineOptions options,
                                 GatewayMetrics& metrics, infra::log::Logger logger)
    : factory_(std::move(factory)),
      options_(options),
      metrics_(metrics),
      logger_(std::move(logger)),
      queue_(options.capacity),
      links_(std::max<std::size_t>(options.threads, 1)) {}

PublishPipeline::~PublishPipeline() {
  queue_.Close();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void PublishPipeline::Start() {
  const std::size_t count = links_.size();
  running_ = count;
  for (std::size_t i = 0; i < count; ++i) threads_.emplace_back([this, i] { Run(i); });
}

Admission PublishPipeline::Submit(amqp::OutgoingMessage message, Callback done) {
  Admission admission = Admission::kBrokerDown;
  // A message that races with the last connection going down is queued all the same: it keeps
  // its deadline, like every message accepted before the outage was known.
  if (!links_.all_down()) {
    const auto now = SteadyClock::now();
    admission =
        queue_.Push(Item{std::move(message), std::move(done), now, now + options_.confirm_timeout});
  } else if (queue_.closed()) {
    admission = Admission::kClosed;  // the threads report down once they have stopped
  }
  if (admission == Admission::kQueued) {
    metrics_.publish_queue_depth.Increment();
  } else {
    metrics_.publish_refused.WithLabels({ToString(admission)}).Increment();
  }
  return admission;
}

bool PublishPipeline::Stop(SteadyClock::time_point deadline) {
  return CloseAndJoin(queue_, running_, threads_, deadline);
}

void PublishPipeline::Finish(Item& item, PublishResult result, SteadyClock::time_point now) {
  metrics_.publish_outcomes.WithLabels({ToString(result)}).Increment();
  metrics_.publish_latency.ObserveDuration(now - item.submitted);
  try {
    item.done(result);
  } catch (const std::exception& error) {
    logger_.Error("publish callback failed", {{"error", error.what()}});
  }
}

void PublishPipeline::Maintain(std::size_t index, BatchPublisher& publisher) {
  publisher.Maintain(options_.maintain_timeout);
  Report(index, publisher);
}

void PublishPipeline::Report(std::size_t index, const BatchPublisher& publisher) {
  const LinkState before = links_.state(index);
  const LinkState now = publisher.connected() ? LinkState::kUp : LinkState::kDown;
  if (now == before) return;
  links_.Report(index, now);
  const auto thread = static_cast<std::uint64_t>(index);
  if (now == LinkState::kDown) {
    logger_.Warn("publisher connection down",
                 {{"thread", thread}, {"was", ToString(before)}, {"all_down", links_.all_down()}});
  } else if (before == LinkState::kDown) {
    logger_.Info("publisher connection restored", {{"thread", thread}});
  }
}

void PublishPipeline::Run(std::size_t index) {
  std::unique_ptr<BatchPublisher> publisher = factory_();
  // Connect at once, so that readiness and the first request need not wait for an idle round.
  Maintain(index, *publisher);
  std::vector<Item> batch;
  std::vector<amqp::OutgoingMessage> messages;
  while (true) {
    if (!links_.TakesWork(index)) {
      // Another thread has a connection and publishes; this one only reconnects.
      if (queue_.drained()) break;
      Maintain(index, *publisher);
      continue;
    }
    // Without a connection there is nothing to wait for: Submit refuses new messages, and what
    // is queued was accepted before the outage was known.
    const auto wait = links_.state(index) == LinkState::kUp ? options_.idle_interval
                                                            : std::chrono::milliseconds(0);
    batch = queue_.PopUpTo(options_.max_batch, wait, options_.gather);
    if (batch.empty()) {
      if (queue_.drained()) break;
      Maintain(index, *publisher);
      continue;
    }
    metrics_.publish_queue_depth.Subtract(static_cast<double>(batch.size()));

    // What waited too long is answered without publishing: its client has been told nothing
    // yet, and a late confirm would come after the deadline the client was promised.
    auto now = SteadyClock::now();
    std::vector<Item*> live;
    for (Item& item : batch) {
      if (item.deadline <= now) {
        Finish(item, PublishResult::kExpired, now);
      } else {
        live.push_back(&item);
      }
    }
    if (live.empty()) continue;

    messages.clear();
    auto deadline = live.front()->deadline;
    for (Item* item : live) {
      messages.push_back(std::move(item->message));
      deadline = std::min(deadline, item->deadline);
    }
    metrics_.publish_batch_size.Observe(static_cast<double>(messages.size()));
    const amqp::PublishBatchResult result = publisher->PublishBatch(messages, deadline);
    Report(index, *publisher);
    if (result.error) {
      logger_.Warn("publish batch not confirmed",
                   {{"messages", messages.size()},
                    {"unconfirmed", result.Count(amqp::PublishStatus::kUnknown)},
                    {"error", result.error->ToString()}});
    }
    now = SteadyClock::now();
    for (std::size_t i = 0; i < live.size(); ++i) {
      const PublishResult outcome = i < result.outcomes.size()
                                        ? FromStatus(result.outcomes[i].status)
                                        : PublishResult::kUnconfirmed;
      Finish(*live[i], outcome, now);
    }
  }
  links_.Report(index, LinkState::kDown);
  --running_;
}

}  // namespace paypipe::gateway
