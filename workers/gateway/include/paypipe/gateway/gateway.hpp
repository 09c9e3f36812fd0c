#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "paypipe/domain/result.hpp"
#include "paypipe/gateway/db_pool.hpp"
#include "paypipe/gateway/publish_pipeline.hpp"
#include "paypipe/gateway/standard_webhooks.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/infra/metrics/registry.hpp"

namespace paypipe::gateway {

struct GatewayOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks, see Gateway::port()
  int loop_threads = 1;
  // Larger bodies are answered 413 by the HTTP server before any handler runs.
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // Bearer token of the payment API (/v1/...). Compared in constant time.
  std::string api_token;
  // Verifies PortOne V2 webhooks; without it they are answered 503 (see webhook_reader.hpp).
  std::optional<StandardWebhookVerifier> portone_verifier;
  PublishPipelineOptions publishing;
  DbPoolOptions database;
  // A request not answered within this is answered 503 by the server. Above the publish and
  // database deadlines, so that it only ever catches a bug.
  std::chrono::milliseconds handler_timeout{30'000};
};

// Where the gateway's outside connections come from: the real broker and database in
// production (AmqpPublisherFactory, MysqlConnectionFactory), fakes in tests.
struct GatewayPorts {
  BatchPublisherFactory publishers;
  ConnectionFactory connections;
};

// `paypipe gateway`: the HTTP API of ARCHITECTURE.md — PG webhooks, the payment API, /healthz,
// /readyz, /metrics.
//
// Threads: `loop_threads` libuv loops parse requests, authenticate, validate and verify
// signatures (never blocking); `publishing.threads` publisher threads share broker confirms
// between requests (PublishPipeline); `database.threads` database threads run queries
// (DbPool). Handlers hand work to those queues and return; responses are completed from
// whichever thread finishes the work. Both queues are bounded: when full, requests are answered
// 503 at once (backpressure) instead of piling up. While no broker connection is up, requests
// that must publish are answered 503 at once as well, instead of waiting for their deadline.
//
// A webhook is answered 200 only after the broker confirmed its `webhook.received` message; a
// payment command (confirm, cancel) 202 only after the broker confirmed its message. Anything
// not known to be stored is answered 503 so that the sender retries; retries carry the same
// message_id and are deduplicated downstream.
class Gateway {
 public:
  // Starts the threads and serves. Fails when the address cannot be bound.
  [[nodiscard]] static domain::Result<std::unique_ptr<Gateway>> Start(
      GatewayOptions options, GatewayPorts ports, const infra::clock::Clock& clock,
      infra::metrics::Registry& metrics, const infra::log::Logger& logger);

  // Stops with no grace if Stop was not called.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  [[nodiscard]] std::uint16_t port() const;

  // Graceful stop (SIGTERM): /readyz turns 503, the server stops accepting and answers what it
  // has received (within 3/4 of `grace`), then the queues are drained. False when work was
  // still running at the end of `grace`: the threads still use this object, so the process must
  // end without destroying it (std::_Exit). Idempotent.
  [[nodiscard]] bool Stop(std::chrono::milliseconds grace);

  // What GET /metrics serves.
  [[nodiscard]] std::string RenderMetrics() const;

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace paypipe::gateway
