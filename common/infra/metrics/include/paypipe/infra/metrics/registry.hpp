#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paypipe/infra/metrics/metrics.hpp"

namespace paypipe::infra::metrics {

// Content-Type of Registry::RenderText output (Prometheus text exposition format 0.0.4).
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// How a component declares a metric family. Names follow Prometheus rules
// ([a-zA-Z_:][a-zA-Z0-9_:]*; label names [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"); by
// convention every paypipe metric starts with "paypipe_", counters end in "_total" and units are
// seconds and bytes. Label values must come from small fixed sets (stage, outcome, provider):
// never ids, amounts or error messages, each distinct value is a time series kept forever.
struct CounterSpec {
  std::string name;
  std::string help;
  std::vector<std::string> labels = {};
};

struct GaugeSpec {
  std::string name;
  std::string help;
  std::vector<std::string> labels = {};
};

struct HistogramSpec {
  std::string name;
  std::string help;
  std::vector<std::string> labels = {};
  std::vector<double> buckets = LatencyBuckets();
};

namespace detail {

// Orders label-value tuples, and lets a tuple of string_views find a stored tuple of strings
// without building one.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

[[noreturn]] void ThrowLabelMismatch(const std::string& name,
                                     const std::vector<std::string>& label_names,
                                     std::size_t value_count);

}  // namespace detail

// All the time series of one metric name, one per combination of label values.
//
// WithLabels looks the series up (creating it at first use) under a lock: call it when a
// component is built, or once per distinct label combination, and keep the returned reference,
// which stays valid for the life of the Registry. Thread-safe.
template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> upper_bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        upper_bounds_(std::move(upper_bounds)) {
    // A family without labels is one series; create it now so that it is rendered (as 0) before
    // its first event.
    if (label_names_.empty()) Get();
  }
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // Values in the order the labels were declared. The wrong number of values is a programming
  // error (std::invalid_argument).
  Metric& WithLabels(std::initializer_list<std::string_view> values) {
    return Find(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Metric& WithLabels(std::span<const std::string_view> values) { return Find(values); }
  // The single series of a family declared without labels.
  Metric& Get() { return Find(std::span<const std::string_view>()); }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& help() const noexcept { return help_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const noexcept {
    return label_names_;
  }
  [[nodiscard]] const std::vector<double>& upper_bounds() const noexcept { return upper_bounds_; }

  // Calls fn(label_values, metric) for every series, ordered by label values.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, metric] : series_) fn(values, *metric);
  }

 private:
  Metric& Find(std::span<const std::string_view> values) {
    if (values.size() != label_names_.size()) {
      detail::ThrowLabelMismatch(name_, label_names_, values.size());
    }
    std::lock_guard lock(mutex_);
    auto found = series_.find(values);
    if (found == series_.end()) {
      std::vector<std::string> key(values.begin(), values.end());
      found = series_.emplace(std::move(key), MakeMetric()).first;
    }
    return *found->second;
  }

  std::unique_ptr<Metric> MakeMetric() const {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      return std::make_unique<Histogram>(upper_bounds_);
    } else {
      return std::make_unique<Metric>();
    }
  }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> upper_bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, detail::LabelValuesLess> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Every metric family of the process, rendered for GET /metrics. Built in main and passed by
// reference; components add their families when they are built, typically as the members of a
// per-component struct whose constructor lists them (see README.md).
//
// Adding a family whose name is already registered with the same kind, labels and buckets returns
// the existing family, so two instances of a component share their series. Any other reuse of a
// name, and invalid names or buckets, are programming errors: std::invalid_argument.
// Thread-safe.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& AddCounter(const CounterSpec& spec);
  GaugeFamily& AddGauge(const GaugeSpec& spec);
  HistogramFamily& AddHistogram(const HistogramSpec& spec);

  // Prometheus text exposition format 0.0.4, families ordered by name.
  [[nodiscard]] std::string RenderText() const;

 private:
  using AnyFamily = std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
                                 std::unique_ptr<HistogramFamily>>;

  template <typename Metric>
  Family<Metric>& AddFamily(const std::string& name, const std::string& help,
                            const std::vector<std::string>& labels,
                            const std::vector<double>& upper_bounds);

  mutable std::mutex mutex_;
  std::map<std::string, AnyFamily, std::less<>> families_;
};

}  // namespace paypipe::infra::metrics
