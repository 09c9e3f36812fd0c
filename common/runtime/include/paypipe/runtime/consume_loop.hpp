#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "paypipe/runtime/batch_processor.hpp"

namespace paypipe::runtime {

// Builds a database connection for the protocol; called again after one broke.
using StoreFactory = std::function<domain::Result<std::unique_ptr<MessageStore>>()>;

struct LoopOptions {
  std::size_t batch_max = 64;                  // deliveries per unit of work
  std::chrono::milliseconds batch_wait{0};     // after the first delivery, wait this long for more
  std::chrono::milliseconds poll{200};         // bounds how late a stop is noticed
  std::chrono::milliseconds retry_delay{200};  // first wait after a connection failure
  std::chrono::milliseconds max_retry_delay{5'000};
};

// One consume thread: receives batches (the first delivery waits up to `poll`, the rest up to
// `batch_wait` after it, so a quiet queue never waits for a full batch) and runs them through
// the BatchProcessor until each is settled. While the last batch's marks are carried, the first
// delivery is awaited only for `batch_wait` before they are flushed (their deliveries hold
// prefetch that the next delivery may need).
//
// After a connection failure the same batch is rerun once the connection is back (safe: the
// inbox tells what committed). Deliveries of a consumer connection that died cannot be acked
// any more (skipped) and are redelivered by the broker, then recognised as duplicates.
class ConsumeLoop {
 public:
  ConsumeLoop(BatchProcessor& processor, DeliverySource& source, Publisher& publisher,
              StoreFactory store_factory, LoopOptions options, StageStats& stats);

  // Runs until `stop` becomes true, finishing the batch in hand first unless the stop comes
  // while waiting for a broken connection (then the batch is left unacked for redelivery), and
  // settling what the processor carries.
  void Run(const std::atomic<bool>& stop);

  // Receives and settles one batch; returns how many deliveries it held (0: nothing arrived
  // within `poll`).
  [[nodiscard]] std::size_t RunOnce(const std::atomic<bool>& stop);

  // Writes the marks the processor carries and acks their deliveries: done by RunOnce when a
  // poll finds nothing and by Run at the end; a caller driving RunOnce calls it before leaving.
  void FlushCarried();

 private:
  void Pause(std::chrono::milliseconds delay, const std::atomic<bool>& stop) const;

  BatchProcessor& processor_;
  DeliverySource& source_;
  Publisher& publisher_;
  StoreFactory store_factory_;
  LoopOptions options_;
  StageStats& stats_;
  std::unique_ptr<MessageStore> store_;
  bool had_store_ = false;  // a rebuilt store counts as a database reconnect
  std::vector<Delivery> batch_;
};

}  // namespace paypipe::runtime
