#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace paypipe::runtime {

// Counters of one stage, shared by its consume threads. Lock-free; read by /metrics and tests.
struct StageStats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> committed{0};  // units of work with effects committed
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> retried{0};  // republished to a retry tier
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::uint64_t> inbox_duplicates{0};  // deliveries whose inbox row existed
  std::atomic<std::uint64_t> transaction_reruns{0};
  std::atomic<std::uint64_t> batch_fallbacks{0};  // batches re-run one message at a time
  std::atomic<std::uint64_t> outbox_published{0};
  std::atomic<std::uint64_t> publish_failures{0};  // nacked or unroutable publications
  std::atomic<std::uint64_t> requeued{0};
  std::atomic<std::uint64_t> unit_failures{0};      // units abandoned on a broken connection
  std::atomic<std::uint64_t> broker_reconnects{0};  // consumer and publisher connections rebuilt
  std::atomic<std::uint64_t> db_reconnects{0};      // database connections rebuilt after a loss

  // Processing time from receipt to acknowledgement, per message.
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  std::array<std::atomic<std::uint64_t>, kBucketsSeconds.size() + 1> duration_buckets{};
  std::atomic<std::uint64_t> duration_count{0};
  std::atomic<std::uint64_t> duration_sum_micros{0};

  void ObserveDuration(std::chrono::microseconds elapsed) {
    const double seconds = static_cast<double>(elapsed.count()) / 1e6;
    std::size_t bucket = 0;
    while (bucket < kBucketsSeconds.size() && seconds > kBucketsSeconds[bucket]) ++bucket;
    duration_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    duration_count.fetch_add(1, std::memory_order_relaxed);
    duration_sum_micros.fetch_add(static_cast<std::uint64_t>(elapsed.count()),
                                  std::memory_order_relaxed);
  }
};

}  // namespace paypipe::runtime
