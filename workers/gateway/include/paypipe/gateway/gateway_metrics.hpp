#pragma once

#include <string>
#include <string_view>

#include "paypipe/infra/http_server/server.hpp"
#include "paypipe/infra/metrics/registry.hpp"

namespace paypipe::gateway {

// Every metric of the gateway, registered in one place. Label values come from fixed sets: route
// patterns, HTTP status codes, error codes, provider names, publish outcomes.
struct GatewayMetrics {
  explicit GatewayMetrics(infra::metrics::Registry& registry);

  // Responses by route pattern ("/webhooks/toss", "/v1/payments/{paymentKey}", "other") and
  // status code.
  infra::metrics::CounterFamily& requests;
  // Every error response by route and its error code (the `code` of the JSON body).
  infra::metrics::CounterFamily& errors;
  // Webhooks whose message the broker confirmed, by provider format (toss, portone_v1, ...).
  infra::metrics::CounterFamily& webhooks_accepted;
  // Webhooks answered with anything but 200, by provider and reason (invalid_json,
  // signature_mismatch, timestamp_out_of_tolerance, ..., broker_unconfirmed, queue_full).
  infra::metrics::CounterFamily& webhooks_refused;
  // Messages per PublishBatch call: its _count is the number of confirm round trips.
  infra::metrics::Histogram& publish_batch_size;
  // From a message's submission to its broker confirm (or failure).
  infra::metrics::Histogram& publish_latency;
  // Messages by what became of them (confirmed, returned, nacked, unconfirmed, expired, ...).
  infra::metrics::CounterFamily& publish_outcomes;
  // Messages the publish pipeline refused without queueing them, by reason: broker_down (every
  // broker connection is known down: answered 503 at once), queue_full, shutting_down.
  infra::metrics::CounterFamily& publish_refused;
  // Work waiting for a publisher thread / a database thread.
  infra::metrics::Gauge& publish_queue_depth;
  infra::metrics::Gauge& db_queue_depth;
  // Database tasks by outcome (connected, unavailable, expired, exception).
  infra::metrics::CounterFamily& db_tasks;
};

// The HTTP server's own refusals and timeouts, which happen before any handler runs (413 for
// oversized bodies, 400 for garbled requests, 431, 408), in the Prometheus text format:
// paypipe_gateway_http_refused_total{reason="body_too_large"} and friends.
[[nodiscard]] std::string RenderServerStats(const infra::http_server::ServerStats& stats);

}  // namespace paypipe::gateway
