#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "paypipe/infra/http/message.hpp"
#include "paypipe/infra/http_server/handler.hpp"
#include "paypipe/sim/call.hpp"
#include "paypipe/sim/clock.hpp"
#include "paypipe/sim/faults.hpp"
#include "paypipe/sim/ledger.hpp"
#include "paypipe/sim/portone.hpp"
#include "paypipe/sim/random.hpp"
#include "paypipe/sim/scheduler.hpp"
#include "paypipe/sim/slack.hpp"
#include "paypipe/sim/toss.hpp"
#include "paypipe/sim/webhooks.hpp"

namespace paypipe::sim {

struct SimOptions {
  TossConfig toss;
  PortOneV1Config portone_v1;
  PortOneV2Config portone_v2;
  WebhookTargets webhooks;
  FaultPlan faults;
  // Seeds fault decisions and generated ids: the same seed and the same request order give the
  // same run.
  std::uint64_t seed = 1;

  // Where each service is mounted, so one port serves them all.
  std::string toss_base = "/toss";
  std::string portone_v1_base = "/portone/v1";
  std::string portone_v2_base = "/portone/v2";
  std::string slack_base = "/slack";
};

// The whole sim behind one HTTP handler: routes to Toss, PortOne V1/V2 and Slack, applies
// idempotency, fault injection and latency in front of every operation, and serves the control
// API under /_sim. Never blocks the calling (event-loop) thread: delayed answers are completed
// from the scheduler's thread. Thread-safe.
//
// Order of things for one request: route and authenticate (errors answered at once) ->
// Idempotency-Key (replay or 409 without executing) -> fault decision -> latency -> the fault or
// the operation -> answer, withheld (timeout) or replaced by an injected error.
class Simulator {
 public:
  Simulator(SimOptions options, const Clock& clock, Scheduler& scheduler,
            WebhookTransport& transport);

  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  void Handle(const infra::http::Request& request, const infra::http_server::Responder& responder);

  // Everything the sim knows: payments of every provider plus the ledger.
  [[nodiscard]] nlohmann::json Truth() const;
  // Counts only (payments by status, ledger totals): what a benchmark checks.
  [[nodiscard]] nlohmann::json TruthSummary() const;
  // Prometheus text of the summary, served at GET /metrics.
  [[nodiscard]] std::string Metrics() const;
  // Back to the start: no payments, no ledger, no queued webhooks, the start-up fault plan and
  // seed. Webhook targets and keys stay.
  void Reset();

  [[nodiscard]] WebhookDispatcher& webhooks() { return dispatcher_; }
  [[nodiscard]] FaultInjector& faults() { return faults_; }
  [[nodiscard]] TossService& toss() { return toss_; }
  [[nodiscard]] PortOneV1Service& portone_v1() { return portone_v1_; }
  [[nodiscard]] PortOneV2Service& portone_v2() { return portone_v2_; }

 private:
  [[nodiscard]] Call Route(const infra::http::Request& request);
  void Execute(const std::shared_ptr<Call>& call, const infra::http_server::Responder& responder);
  void Finish(const std::shared_ptr<Call>& call, const FaultDecision& decision,
              const infra::http_server::Responder& responder);
  void Hold(const FaultDecision& decision, const infra::http_server::Responder& responder);
  [[nodiscard]] infra::http::Response Control(const infra::http::Request& request,
                                              std::string_view path);
  [[nodiscard]] nlohmann::json Config() const;

  const SimOptions options_;
  Scheduler& scheduler_;
  SeededRandom ids_;
  TruthLedger ledger_;
  FaultInjector faults_;
  WebhookDispatcher dispatcher_;
  TossService toss_;
  PortOneV1Service portone_v1_;
  PortOneV2Service portone_v2_;
  SlackReceiver slack_;
};

}  // namespace paypipe::sim
