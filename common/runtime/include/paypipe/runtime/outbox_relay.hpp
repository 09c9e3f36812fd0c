#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "paypipe/runtime/consume_loop.hpp"
#include "paypipe/runtime/ports.hpp"

namespace paypipe::runtime {

struct RelayOptions {
  std::chrono::seconds min_age{10};  // younger rows are still being published by their worker
  std::size_t batch = 500;
  std::chrono::milliseconds interval{1'000};
  std::chrono::seconds retention{std::chrono::hours(24 * 7)};  // of published outbox + inbox rows
  std::chrono::seconds purge_interval{300};
  std::size_t purge_limit = 5'000;
};

struct RelayStats {
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> purged{0};
  std::atomic<std::int64_t> backlog{0};
  std::atomic<std::int64_t> oldest_age_seconds{0};
};

// Publishes outbox rows that their worker left unpublished (it crashed, or the broker refused
// them), in every worker process. Each sweep claims rows FOR UPDATE SKIP LOCKED inside a
// transaction, publishes them with confirms, marks the confirmed ones and commits, so several
// replicas share the work; a crash anywhere in a sweep only causes republication (consumers
// deduplicate by message id). Also purges old published outbox rows and inbox rows.
class OutboxRelay {
 public:
  OutboxRelay(Publisher& publisher, StoreFactory store_factory, RelayOptions options,
              RelayStats& stats);

  // One sweep of at most `batch` rows; returns how many were published.
  [[nodiscard]] domain::Result<std::size_t> SweepOnce();
  [[nodiscard]] domain::Result<std::int64_t> PurgeOnce();
  // Sweeps every `interval` (at once again while full batches come back) until `stop`.
  void Run(const std::atomic<bool>& stop);

 private:
  [[nodiscard]] domain::Result<MessageStore*> Store();

  Publisher& publisher_;
  StoreFactory store_factory_;
  RelayOptions options_;
  RelayStats& stats_;
  std::unique_ptr<MessageStore> store_;
};

}  // namespace paypipe::runtime
