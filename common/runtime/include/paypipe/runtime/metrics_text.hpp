#pragma once

#include <span>
#include <string>
#include <string_view>

#include "paypipe/runtime/outbox_relay.hpp"
#include "paypipe/runtime/stage_stats.hpp"

namespace paypipe::runtime {

class Worker;

struct StageStatsRef {
  std::string_view stage;
  const StageStats* stats = nullptr;
};

// The runtime's counters, processing-time histogram, reconnects and outbox backlog in the
// Prometheus text format (0.0.4), one HELP/TYPE header per family and one series per stage.
// Family names do not collide with those of infra::metrics::Registry, whose text is rendered
// next to this one on /metrics.
[[nodiscard]] std::string RenderRuntimeMetrics(std::span<const StageStatsRef> stages,
                                               const RelayStats& relay);
[[nodiscard]] std::string RenderRuntimeMetrics(const Worker& worker);

}  // namespace paypipe::runtime
