#include "paypipe/cli/health_server.hpp"

#include <utility>

#include "paypipe/infra/http_server/router.hpp"
#include "paypipe/infra/metrics/registry.hpp"

namespace paypipe::cli {

namespace http_server = infra::http_server;
using infra::http::Request;
using infra::http::Response;

domain::Result<std::unique_ptr<http_server::Server>> ServeHealth(
    const infra::config::HostPort& address, HealthEndpoints endpoints,
    const CommandContext& context) {
  http_server::Router router;
  router.Add("GET", "/healthz",
             [](Request, http_server::PathParams, http_server::Responder responder) {
               responder.Respond(Response::Json(200, R"({"status":"ok"})"));
             });
  router.Add("GET", "/readyz",
             [readiness = endpoints.readiness](Request, http_server::PathParams,
                                               http_server::Responder responder) {
               ReadinessReport report = readiness();
               nlohmann::json body = {{"status", report.ready ? "ready" : "not ready"}};
               body.update(report.detail);
               responder.Respond(Response::Json(report.ready ? 200 : 503, body.dump()));
             });
  router.Add("GET", "/metrics",
             [extra = endpoints.extra_metrics, &metrics = context.metrics](
                 Request, http_server::PathParams, http_server::Responder responder) {
               auto response =
                   Response::Text(200, metrics.RenderText() + (extra ? extra() : std::string()));
               response.headers.Set("Content-Type", std::string(infra::metrics::kTextContentType));
               responder.Respond(std::move(response));
             });
  http_server::ServerOptions options;
  options.host = address.host;
  options.port = address.port;
  auto started = http_server::Server::Start(options, router.ToHandler());
  if (!started.ok()) return started.error();
  context.logger.Info("serving health and metrics",
                      {{"port", static_cast<std::int64_t>((*started)->port())}});
  return std::move(started).value();
}

}  // namespace paypipe::cli
