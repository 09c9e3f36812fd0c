#include "paypipe/runtime/consume_loop.hpp"

#include <algorithm>
#include <thread>
#include <utility>

namespace paypipe::runtime {

ConsumeLoop::ConsumeLoop(BatchProcessor& processor, DeliverySource& source, Publisher& publisher,
                         StoreFactory store_factory, LoopOptions options, StageStats& stats)
    : processor_(processor),
      source_(source),
      publisher_(publisher),
      store_factory_(std::move(store_factory)),
      options_(options),
      stats_(stats) {}

void ConsumeLoop::Pause(std::chrono::milliseconds delay, const std::atomic<bool>& stop) const {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(
        std::min<std::chrono::milliseconds>(delay, std::chrono::milliseconds(50)));
  }
}

void ConsumeLoop::Run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) (void)RunOnce(stop);
  FlushCarried();
}

void ConsumeLoop::FlushCarried() {
  if (!store_) return;  // nothing was processed since the last connection failure
  (void)processor_.Flush(Ports{source_, publisher_, *store_});
  if (processor_.TakeStoreBroken()) store_.reset();
}

std::size_t ConsumeLoop::RunOnce(const std::atomic<bool>& stop) {
  batch_.clear();
  // The deliveries of a batch whose marks are carried hold their prefetch until the next batch
  // commits: while they do, the next delivery is awaited only for batch_wait, and if none comes
  // the marks are flushed, which frees the prefetch, before waiting a whole poll.
  const bool carrying = processor_.HasCarried();
  auto first = source_.Next(carrying ? options_.batch_wait : options_.poll);
  if (carrying && first.ok() && !first->has_value()) {
    FlushCarried();
    first = source_.Next(options_.poll);
  }
  if (!first.ok()) {
    // The consumer reconnects inside its next call; wait a little so a dead broker is not spun on.
    Pause(options_.retry_delay, stop);
    return 0;
  }
  if (!first->has_value()) {
    FlushCarried();  // the stream paused: make the last batch's marks durable and ack it
    return 0;
  }
  batch_.push_back(std::move(**first));
  const auto gathered_by = std::chrono::steady_clock::now() + options_.batch_wait;
  while (batch_.size() < options_.batch_max) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        gathered_by - std::chrono::steady_clock::now());
    auto more = source_.Next(std::max(left, std::chrono::milliseconds(0)));
    if (!more.ok() || !more->has_value()) break;
    batch_.push_back(std::move(**more));
  }
  stats_.received.fetch_add(batch_.size(), std::memory_order_relaxed);

  std::chrono::milliseconds delay = options_.retry_delay;
  while (true) {
    if (!store_) {
      auto made = store_factory_();
      if (made.ok()) {
        store_ = std::move(made).value();
        if (std::exchange(had_store_, true)) {
          stats_.db_reconnects.fetch_add(1, std::memory_order_relaxed);
        }
      } else if (stop.load(std::memory_order_relaxed)) {
        return batch_.size();  // left unacked: redelivered to whoever consumes next
      } else {
        Pause(delay, stop);
        delay = std::min(delay * 2, options_.max_retry_delay);
        continue;
      }
    }
    const domain::Status status = processor_.Process(batch_, Ports{source_, publisher_, *store_});
    if (status.ok()) {
      if (processor_.TakeStoreBroken()) store_.reset();
      return batch_.size();
    }
    if (status.error().code != kBrokerConnectionLost) store_.reset();
    if (stop.load(std::memory_order_relaxed)) return batch_.size();
    Pause(delay, stop);
    delay = std::min(delay * 2, options_.max_retry_delay);
  }
}

}  // namespace paypipe::runtime
