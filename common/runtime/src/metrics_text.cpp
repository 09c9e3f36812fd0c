#include "paypipe/runtime/metrics_text.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <sstream>
#include <vector>

#include "paypipe/runtime/worker.hpp"

namespace paypipe::runtime {
namespace {

using Read = std::function<std::uint64_t(const StageStats&)>;

void Header(std::ostringstream& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// A counter family with labels {stage} or {stage, <label>} when `label` is set.
void StageCounter(std::ostringstream& out, std::span<const StageStatsRef> stages,
                  std::string_view name, std::string_view help, std::string_view label,
                  const std::vector<std::pair<std::string_view, Read>>& series) {
  Header(out, name, "counter", help);
  for (const StageStatsRef& ref : stages) {
    for (const auto& [value, read] : series) {
      out << name << "{stage=\"" << ref.stage << '"';
      if (!label.empty()) out << ',' << label << "=\"" << value << '"';
      out << "} " << read(*ref.stats) << '\n';
    }
  }
}

Read Field(const std::atomic<std::uint64_t> StageStats::*member) {
  return [member](const StageStats& s) { return (s.*member).load(std::memory_order_relaxed); };
}

}  // namespace

std::string RenderRuntimeMetrics(std::span<const StageStatsRef> stages, const RelayStats& relay) {
  std::ostringstream out;
  StageCounter(out, stages, "paypipe_stage_messages_total",
               "Deliveries of a stage by outcome (received, acked, retried: sent to a retry tier, "
               "dead_lettered, duplicate: already processed, requeued)",
               "outcome",
               {{"received", Field(&StageStats::received)},
                {"acked", Field(&StageStats::acked)},
                {"retried", Field(&StageStats::retried)},
                {"dead_lettered", Field(&StageStats::dead_lettered)},
                {"duplicate", Field(&StageStats::inbox_duplicates)},
                {"requeued", Field(&StageStats::requeued)}});
  StageCounter(out, stages, "paypipe_stage_messages_committed_total",
               "Messages whose effects committed (several share a unit of work)", "", {{"", Field(&StageStats::committed)}});
  StageCounter(out, stages, "paypipe_stage_transaction_reruns_total",
               "Units rerun at once after a deadlock or lock wait timeout", "",
               {{"", Field(&StageStats::transaction_reruns)}});
  StageCounter(out, stages, "paypipe_stage_batch_fallbacks_total",
               "Batches rerun one message per transaction because one message failed", "",
               {{"", Field(&StageStats::batch_fallbacks)}});
  StageCounter(out, stages, "paypipe_stage_unit_failures_total",
               "Units abandoned on a broken connection (rerun after reconnecting)", "",
               {{"", Field(&StageStats::unit_failures)}});
  StageCounter(out, stages, "paypipe_stage_outbox_published_total",
               "Outbox rows published and marked by the consume threads", "",
               {{"", Field(&StageStats::outbox_published)}});
  StageCounter(out, stages, "paypipe_stage_publish_failures_total",
               "Publications the broker nacked or could not route", "",
               {{"", Field(&StageStats::publish_failures)}});
  StageCounter(out, stages, "paypipe_stage_reconnects_total",
               "Connections rebuilt after a loss, by connection", "connection",
               {{"broker", Field(&StageStats::broker_reconnects)},
                {"database", Field(&StageStats::db_reconnects)}});

  constexpr std::string_view kHistogram = "paypipe_stage_processing_seconds";
  Header(out, kHistogram, "histogram", "Time from receipt to acknowledgement of a delivery");
  for (const StageStatsRef& ref : stages) {
    const StageStats& s = *ref.stats;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < StageStats::kBucketsSeconds.size(); ++i) {
      cumulative += s.duration_buckets[i].load(std::memory_order_relaxed);
      out << kHistogram << "_bucket{stage=\"" << ref.stage << "\",le=\""
          << StageStats::kBucketsSeconds[i] << "\"} " << cumulative << '\n';
    }
    const std::uint64_t count = s.duration_count.load(std::memory_order_relaxed);
    out << kHistogram << "_bucket{stage=\"" << ref.stage << "\",le=\"+Inf\"} " << count << '\n';
    out << kHistogram << "_sum{stage=\"" << ref.stage << "\"} "
        << static_cast<double>(s.duration_sum_micros.load(std::memory_order_relaxed)) / 1e6 << '\n';
    out << kHistogram << "_count{stage=\"" << ref.stage << "\"} " << count << '\n';
  }

  Header(out, "paypipe_outbox_relay_published_total", "counter",
         "Orphaned outbox rows published by the relay");
  out << "paypipe_outbox_relay_published_total " << relay.published.load() << '\n';
  Header(out, "paypipe_outbox_relay_failures_total", "counter", "Relay sweeps that failed");
  out << "paypipe_outbox_relay_failures_total " << relay.failures.load() << '\n';
  Header(out, "paypipe_outbox_purged_total", "counter",
         "Published outbox rows and old inbox rows deleted past the retention");
  out << "paypipe_outbox_purged_total " << relay.purged.load() << '\n';
  Header(out, "paypipe_outbox_backlog", "gauge", "Outbox rows not yet published");
  out << "paypipe_outbox_backlog " << relay.backlog.load() << '\n';
  Header(out, "paypipe_outbox_oldest_age_seconds", "gauge",
         "Age of the oldest unpublished outbox row (0 when there is none)");
  out << "paypipe_outbox_oldest_age_seconds " << relay.oldest_age_seconds.load() << '\n';
  return out.str();
}

std::string RenderRuntimeMetrics(const Worker& worker) {
  std::vector<StageStatsRef> stages;
  for (const StageBinding& binding : worker.stages()) {
    stages.push_back({binding.stage->Name(), worker.Stats(binding.stage->Name())});
  }
  return RenderRuntimeMetrics(stages, worker.relay_stats());
}

}  // namespace paypipe::runtime
