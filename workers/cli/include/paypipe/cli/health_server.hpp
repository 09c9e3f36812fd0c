#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "paypipe/cli/command.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/infra/config/values.hpp"
#include "paypipe/infra/http_server/server.hpp"

namespace paypipe::cli {

// What /readyz answers: 200 {"status": "ready", ...detail} or 503 {"status": "not ready", ...}.
struct ReadinessReport {
  bool ready = false;
  nlohmann::json detail = nlohmann::json::object();  // the conditions, by name
};

struct HealthEndpoints {
  // Called for each /readyz request, on a server thread: must be thread-safe and quick.
  std::function<ReadinessReport()> readiness;
  // Prometheus text appended to the registry's on /metrics (same thread rules); may be empty.
  std::function<std::string()> extra_metrics;
};

// The operational endpoints of the long-running commands other than the gateway (`worker`,
// `scheduler`) on `address` (PAYPIPE_HTTP_ADDR): GET /healthz (200 while the process runs),
// /readyz, and /metrics (context.metrics, then extra_metrics). Logs "serving health and metrics"
// with the port actually bound (port 0 picks one). The server runs until the returned object is
// destroyed.
[[nodiscard]] domain::Result<std::unique_ptr<infra::http_server::Server>> ServeHealth(
    const infra::config::HostPort& address, HealthEndpoints endpoints,
    const CommandContext& context);

}  // namespace paypipe::cli
