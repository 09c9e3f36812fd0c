#pragma once

// Reading one series out of a Prometheus text exposition (a process's /metrics).

#include <sstream>
#include <string>
#include <string_view>

namespace paypipe::testing {

// The value of `series` — a metric name with its labels exactly as rendered, e.g.
// `paypipe_gateway_webhooks_accepted_total{format="toss"}` — or 0 when it is absent.
[[nodiscard]] inline double MetricValue(const std::string& text, std::string_view series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return 0;
}

}  // namespace paypipe::testing
