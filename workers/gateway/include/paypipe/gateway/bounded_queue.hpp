#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace paypipe::gateway {

// Whether a piece of work was taken. Anything but kQueued leaves the caller to answer at once
// (503): a full queue is the gateway's backpressure.
enum class Admission {
  kQueued,
  kFull,        // too much work waiting already
  kClosed,      // shutting down
  kBrokerDown,  // PublishPipeline only: no broker connection is up, publishing cannot succeed now
};

// Metric label of a refusal: "queue_full", "shutting_down", "broker_down" ("queued").
[[nodiscard]] inline const char* ToString(Admission admission) {
  switch (admission) {
    case Admission::kQueued:
      return "queued";
    case Admission::kFull:
      return "queue_full";
    case Admission::kClosed:
      return "shutting_down";
    case Admission::kBrokerDown:
      return "broker_down";
  }
  return "queued";
}

// A bounded multi-producer, multi-consumer queue. Closing refuses new items but lets consumers
// take what is already queued, so that work accepted before a shutdown is still done.
// Thread-safe.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] Admission Push(T item) {
    {
      const std::lock_guard lock(mutex_);
      if (closed_) return Admission::kClosed;
      if (items_.size() >= capacity_) return Admission::kFull;
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return Admission::kQueued;
  }

  // Waits up to `wait` for an item and then, while fewer than `max` are queued, up to `gather`
  // for more; takes up to `max` items in order. Empty when the wait ran out, or when the queue
  // is closed and drained (see drained()).
  [[nodiscard]] std::vector<T> PopUpTo(std::size_t max, std::chrono::milliseconds wait,
                                       std::chrono::microseconds gather = {}) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [this] { return closed_ || !items_.empty(); });
    if (gather > std::chrono::microseconds(0) && !items_.empty()) {
      ready_.wait_for(lock, gather, [this, max] { return closed_ || items_.size() >= max; });
    }
    std::vector<T> taken;
    while (!items_.empty() && taken.size() < max) {
      taken.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return taken;
  }

  void Close() {
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  // Closed and empty: consumers may stop.
  [[nodiscard]] bool drained() const {
    const std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }
  [[nodiscard]] bool closed() const {
    const std::lock_guard lock(mutex_);
    return closed_;
  }
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

// Stops the threads that consume `queue`: closes it (they finish what is queued), waits until
// `running` (threads not yet returned) is 0, then joins them. False when `deadline` came first;
// the threads are then left running.
template <typename T>
[[nodiscard]] bool CloseAndJoin(BoundedQueue<T>& queue, const std::atomic<std::size_t>& running,
                                std::vector<std::thread>& threads,
                                std::chrono::steady_clock::time_point deadline) {
  queue.Close();
  while (running.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (std::thread& thread : threads) {
    if (thread.joinable()) thread.join();
  }
  return true;
}

}  // namespace paypipe::gateway
