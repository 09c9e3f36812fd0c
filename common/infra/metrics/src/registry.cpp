#include "paypipe/infra/metrics/registry.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

namespace paypipe::infra::metrics {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void CheckMetricName(const std::string& name) {
  bool valid = !name.empty() && (IsNameStart(name[0]) || name[0] == ':');
  for (const char c : name) valid = valid && (IsNameStart(c) || IsDigit(c) || c == ':');
  if (!valid) throw std::invalid_argument("invalid metric name \"" + name + "\"");
}

void CheckLabelNames(const std::string& metric, const std::vector<std::string>& labels,
                     bool is_histogram) {
  std::set<std::string_view> seen;
  for (const std::string& label : labels) {
    bool valid = !label.empty() && IsNameStart(label[0]) && !label.starts_with("__");
    for (const char c : label) valid = valid && (IsNameStart(c) || IsDigit(c));
    if (!valid) {
      throw std::invalid_argument("metric " + metric + ": invalid label name \"" + label + "\"");
    }
    if (is_histogram && label == "le") {
      throw std::invalid_argument("metric " + metric + ": \"le\" is reserved for buckets");
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument("metric " + metric + ": label \"" + label + "\" repeated");
    }
  }
}

// HELP text: backslash and newline escaped.
void AppendEscapedHelp(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

// Label values: backslash, double quote and newline escaped.
void AppendEscapedLabelValue(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("NaN");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
  } else {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), result.ptr);
  }
}

void AppendValue(std::string& out, std::uint64_t value) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out.append("# HELP ").append(name).push_back(' ');
  AppendEscapedHelp(out, help);
  out.append("\n# TYPE ").append(name).push_back(' ');
  out.append(type).push_back('\n');
}

// `{a="x",b="y"}` — with an extra `le` pair for histogram buckets — or nothing when there are no
// labels at all.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out.push_back('{');
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(names[i]).append("=\"");
    AppendEscapedLabelValue(out, values[i]);
    out.push_back('"');
  }
  if (!le.empty()) {
    if (!names.empty()) out.push_back(',');
    out.append("le=\"").append(le).push_back('"');
  }
  out.push_back('}');
}

void Render(std::string& out, const CounterFamily& family) {
  AppendHeader(out, family.name(), family.help(), "counter");
  family.ForEach([&](const std::vector<std::string>& values, const Counter& counter) {
    out.append(family.name());
    AppendLabels(out, family.label_names(), values);
    out.push_back(' ');
    AppendValue(out, counter.Value());
    out.push_back('\n');
  });
}

void Render(std::string& out, const GaugeFamily& family) {
  AppendHeader(out, family.name(), family.help(), "gauge");
  family.ForEach([&](const std::vector<std::string>& values, const Gauge& gauge) {
    out.append(family.name());
    AppendLabels(out, family.label_names(), values);
    out.push_back(' ');
    AppendValue(out, gauge.Value());
    out.push_back('\n');
  });
}

void Render(std::string& out, const HistogramFamily& family) {
  AppendHeader(out, family.name(), family.help(), "histogram");
  family.ForEach([&](const std::vector<std::string>& values, const Histogram& histogram) {
    const HistogramSnapshot snapshot = histogram.Snapshot();
    std::string le;
    for (std::size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
      le.clear();
      if (i < snapshot.upper_bounds.size()) {
        AppendValue(le, snapshot.upper_bounds[i]);
      } else {
        le = "+Inf";
      }
      out.append(family.name()).append("_bucket");
      AppendLabels(out, family.label_names(), values, le);
      out.push_back(' ');
      AppendValue(out, snapshot.cumulative_counts[i]);
      out.push_back('\n');
    }
    out.append(family.name()).append("_sum");
    AppendLabels(out, family.label_names(), values);
    out.push_back(' ');
    AppendValue(out, snapshot.sum);
    out.append("\n").append(family.name()).append("_count");
    AppendLabels(out, family.label_names(), values);
    out.push_back(' ');
    AppendValue(out, snapshot.count);
    out.push_back('\n');
  });
}

}  // namespace

namespace detail {

void ThrowLabelMismatch(const std::string& name, const std::vector<std::string>& label_names,
                        std::size_t value_count) {
  std::string expected;
  for (const std::string& label : label_names) {
    if (!expected.empty()) expected.append(", ");
    expected.append(label);
  }
  throw std::invalid_argument("metric " + name + " has labels (" + expected + ") but " +
                              std::to_string(value_count) + " values were given");
}

}  // namespace detail

template <typename Metric>
Family<Metric>& Registry::AddFamily(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& labels,
                                    const std::vector<double>& upper_bounds) {
  CheckMetricName(name);
  CheckLabelNames(name, labels, std::is_same_v<Metric, Histogram>);

  std::lock_guard lock(mutex_);
  if (const auto found = families_.find(name); found != families_.end()) {
    auto* existing = std::get_if<std::unique_ptr<Family<Metric>>>(&found->second);
    if (existing == nullptr || (*existing)->label_names() != labels ||
        (*existing)->upper_bounds() != upper_bounds) {
      throw std::invalid_argument("metric " + name +
                                  " is already registered with another kind, labels or buckets");
    }
    return **existing;
  }
  auto family = std::make_unique<Family<Metric>>(name, help, labels, upper_bounds);
  Family<Metric>& added = *family;
  families_.emplace(name, std::move(family));
  return added;
}

CounterFamily& Registry::AddCounter(const CounterSpec& spec) {
  return AddFamily<Counter>(spec.name, spec.help, spec.labels, {});
}

GaugeFamily& Registry::AddGauge(const GaugeSpec& spec) {
  return AddFamily<Gauge>(spec.name, spec.help, spec.labels, {});
}

HistogramFamily& Registry::AddHistogram(const HistogramSpec& spec) {
  // Validates the bounds before anything is registered.
  const Histogram probe(spec.buckets);
  return AddFamily<Histogram>(spec.name, spec.help, spec.labels, spec.buckets);
}

std::string Registry::RenderText() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    std::visit([&out](const auto& f) { Render(out, *f); }, family);
  }
  return out;
}

}  // namespace paypipe::infra::metrics
