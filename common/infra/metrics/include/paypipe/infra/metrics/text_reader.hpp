#pragma once

// Reading the Prometheus text exposition that Registry::Render and the runtime write (a
// process's /metrics), for reports and checks of another process.

#include <string_view>

namespace paypipe::infra::metrics {

// The value of `series` — a metric name with its labels exactly as rendered, e.g.
// `paypipe_gateway_webhooks_accepted_total{format="toss"}` — or 0 when it is absent.
[[nodiscard]] double SeriesValue(std::string_view text, std::string_view series);

}  // namespace paypipe::infra::metrics
