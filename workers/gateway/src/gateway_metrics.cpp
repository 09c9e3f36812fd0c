#include "paypipe/gateway/gateway_metrics.hpp"

#include <cstdint>
#include <utility>

namespace paypipe::gateway {

namespace metrics = infra::metrics;

GatewayMetrics::GatewayMetrics(metrics::Registry& registry)
    : requests(registry.AddCounter({.name = "paypipe_gateway_requests_total",
                                    .help = "HTTP responses of the gateway, by route and status.",
                                    .labels = {"route", "status"}})),
      errors(registry.AddCounter({.name = "paypipe_gateway_errors_total",
                                  .help = "Error responses of the gateway, by route and code.",
                                  .labels = {"route", "code"}})),
      webhooks_accepted(registry.AddCounter(
          {.name = "paypipe_gateway_webhooks_accepted_total",
           .help = "Webhooks answered 200 after the broker confirmed their message.",
           .labels = {"format"}})),
      webhooks_refused(registry.AddCounter(
          {.name = "paypipe_gateway_webhooks_refused_total",
           .help = "Webhooks not accepted (4xx or 503), by provider and reason.",
           .labels = {"provider", "reason"}})),
      publish_batch_size(
          registry
              .AddHistogram({.name = "paypipe_gateway_publish_batch_size",
                             .help = "Messages per confirm round trip to the broker.",
                             .buckets = metrics::ExponentialBuckets(1, 2, 10)})
              .Get()),
      publish_latency(
          registry
              .AddHistogram({.name = "paypipe_gateway_publish_confirm_seconds",
                             .help = "Time from handing a message to a publisher thread to the "
                                     "broker's confirm (or the failure).",
                             .buckets = metrics::LatencyBuckets()})
              .Get()),
      publish_outcomes(
          registry.AddCounter({.name = "paypipe_gateway_publish_outcomes_total",
                               .help = "Messages published by the gateway, by outcome.",
                               .labels = {"outcome"}})),
      publish_refused(registry.AddCounter(
          {.name = "paypipe_gateway_publish_refused_total",
           .help = "Messages refused at once instead of being queued for a publisher thread, by "
                   "reason (broker_down, queue_full, shutting_down).",
           .labels = {"reason"}})),
      publish_queue_depth(registry
                              .AddGauge({.name = "paypipe_gateway_queue_depth",
                                         .help = "Work waiting for a thread, by queue.",
                                         .labels = {"queue"}})
                              .WithLabels({"publish"})),
      db_queue_depth(registry
                         .AddGauge({.name = "paypipe_gateway_queue_depth",
                                    .help = "Work waiting for a thread, by queue.",
                                    .labels = {"queue"}})
                         .WithLabels({"database"})),
      db_tasks(registry.AddCounter({.name = "paypipe_gateway_db_tasks_total",
                                    .help = "Database tasks of the gateway, by outcome.",
                                    .labels = {"outcome"}})) {}

std::string RenderServerStats(const infra::http_server::ServerStats& stats) {
  const std::pair<const char*, std::uint64_t> refusals[] = {
      {"body_too_large", stats.oversize_bodies},
      {"head_too_large", stats.oversize_heads},
      {"garbled", stats.parse_errors},
      {"header_timeout", stats.header_timeouts},
      {"body_timeout", stats.body_timeouts},
      {"handler_timeout", stats.handler_timeouts},
      {"connection_limit", stats.connections_rejected},
  };
  std::string text =
      "# HELP paypipe_gateway_http_refused_total Requests refused by the HTTP server before any "
      "handler ran, by reason.\n"
      "# TYPE paypipe_gateway_http_refused_total counter\n";
  for (const auto& [reason, count] : refusals) {
    text += "paypipe_gateway_http_refused_total{reason=\"";
    text += reason;
    text += "\"} " + std::to_string(count) + "\n";
  }
  text +=
      "# HELP paypipe_gateway_http_connections_open Client connections open now.\n"
      "# TYPE paypipe_gateway_http_connections_open gauge\n"
      "paypipe_gateway_http_connections_open " +
      std::to_string(stats.connections_open) + "\n";
  return text;
}

}  // namespace paypipe::gateway
