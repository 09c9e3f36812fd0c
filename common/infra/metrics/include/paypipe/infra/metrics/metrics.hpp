#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace paypipe::infra::metrics {

// The three kinds of metric. Each is one time series (one combination of label values); get them
// from a Family in the Registry and keep the reference: every operation on them is a few atomic
// instructions, safe from any thread, and never allocates or takes a lock.

// A count that only goes up (messages handled, PG calls, signature failures).
class Counter {
 public:
  void Increment(std::uint64_t by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t Value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (messages in flight, connections open, last success time).
class Gauge {
 public:
  void Set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Subtract(double delta) noexcept { value_.fetch_sub(delta, std::memory_order_relaxed); }
  void Increment() noexcept { Add(1.0); }
  void Decrement() noexcept { Subtract(1.0); }
  [[nodiscard]] double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// What a histogram holds at one moment. `cumulative_counts[i]` counts observations <= upper
// bound i; its last element is the +Inf bucket and equals `count`.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;
  std::vector<std::uint64_t> cumulative_counts;
  double sum = 0.0;
  std::uint64_t count = 0;
};

// Distribution of observed values (latencies in seconds, body sizes in bytes) in fixed buckets.
// A snapshot taken while other threads observe may lag by the observations in flight, but its
// bucket counts are always consistent with its count.
class Histogram {
 public:
  // `upper_bounds` must be finite and strictly increasing (std::invalid_argument otherwise); the
  // +Inf bucket is implicit.
  explicit Histogram(std::span<const double> upper_bounds);

  void Observe(double value) noexcept;
  // Records a duration in seconds, the unit Prometheus expects for time.
  template <typename Rep, typename Period>
  void ObserveDuration(std::chrono::duration<Rep, Period> elapsed) noexcept {
    Observe(std::chrono::duration<double>(elapsed).count());
  }

  [[nodiscard]] HistogramSnapshot Snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  // One per bound plus +Inf, not cumulative: an observation touches a single bucket.
  std::vector<std::atomic<std::uint64_t>> buckets_;
  std::atomic<double> sum_{0.0};
};

// Bucket layouts. All throw std::invalid_argument for parameters that give no valid layout.
// start, start*factor, start*factor^2, ... (`count` bounds).
[[nodiscard]] std::vector<double> ExponentialBuckets(double start, double factor, int count);
// start, start+width, start+2*width, ... (`count` bounds).
[[nodiscard]] std::vector<double> LinearBuckets(double start, double width, int count);
// 5 ms .. 10 s, for request and call latencies in seconds.
[[nodiscard]] std::vector<double> LatencyBuckets();

}  // namespace paypipe::infra::metrics
