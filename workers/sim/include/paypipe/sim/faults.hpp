#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/sim/errors.hpp"
#include "paypipe/sim/random.hpp"

namespace paypipe::sim {

using Millis = std::chrono::milliseconds;

// Every endpoint the sim can fault, named "<service>.<operation>".
[[nodiscard]] const std::vector<std::string_view>& KnownEndpoints();
// The provider whose error conventions an endpoint follows ("toss.confirm" -> kToss).
[[nodiscard]] std::optional<Provider> EndpointProvider(std::string_view endpoint);

enum class LatencyKind { kNone, kFixed, kUniform, kExponential };

// How long the sim takes before it answers (or, for webhooks, before the first attempt).
struct LatencySpec {
  LatencyKind kind = LatencyKind::kNone;
  Millis fixed{0};  // kFixed
  Millis min{0};    // kUniform: [min, max]
  Millis max{0};    // kUniform upper bound; kExponential cap (0 = 10 x mean)
  Millis mean{0};   // kExponential

  [[nodiscard]] Millis Draw(SeededRandom& random) const;
};

enum class FaultKind {
  kError,               // answer a documented error (not applied unless after_apply)
  kTimeoutBeforeApply,  // never answer, do nothing
  kTimeoutAfterApply,   // apply the request, never answer: the client cannot know it happened
};

struct FaultRule {
  FaultKind kind = FaultKind::kError;
  std::string code;                   // kError: a documented code of the endpoint's provider
  double probability = 0;             // chance per request
  std::optional<std::int64_t> count;  // instead of a probability: exactly the next N requests
  std::optional<int> status;          // override of the documented HTTP status
  std::string message;                // override of the documented message
  bool after_apply = false;           // kError: apply first, then answer the error
  int retry_after_s = 1;              // Slack rate_limited: the Retry-After header
};

struct EndpointFaults {
  LatencySpec latency;
  std::vector<FaultRule> rules;  // first counted rule with budget left wins, else one draw
  Millis hold{120'000};          // how long a timed-out request is held before the sim hangs up
};

struct WebhookFaults {
  double duplicate = 0;            // the event is delivered twice
  double out_of_order = 0;         // the event is held back until the next event to the same URL
  double drop = 0;                 // the event is never sent (the PG lost it)
  LatencySpec delay;               // extra wait before the first attempt
  Millis reorder_max_hold{2'000};  // a held-back event is released after this at the latest
};

// The whole fault configuration. Endpoint keys are exact names, "<service>.*" or "*"; the most
// specific key that matches an endpoint applies (no merging).
struct FaultPlan {
  std::map<std::string, EndpointFaults> endpoints;
  WebhookFaults webhooks;

  [[nodiscard]] static domain::Result<FaultPlan> FromJson(const nlohmann::json& json);
  [[nodiscard]] static domain::Result<EndpointFaults> EndpointFromJson(std::string_view endpoint,
                                                                       const nlohmann::json& json);
  [[nodiscard]] nlohmann::json ToJson() const;
};

struct FaultDecision {
  Millis latency{0};
  std::optional<FaultRule> fault;  // nullopt: behave normally
  Millis hold{0};
};

struct WebhookFaultDecision {
  bool drop = false;
  bool duplicate = false;
  bool out_of_order = false;
  Millis delay{0};
};

// Decides, per request, what goes wrong. Draws come from its own seeded streams (one for API
// calls, one for webhooks), so the fault sequence depends only on the seed and the order of
// calls, not on how many ids the sim generated meanwhile. Thread-safe.
class FaultInjector {
 public:
  FaultInjector(FaultPlan plan, std::uint64_t seed);

  [[nodiscard]] FaultDecision Decide(std::string_view endpoint);
  [[nodiscard]] WebhookFaultDecision DecideWebhook();

  void SetPlan(FaultPlan plan);
  void SetEndpoint(const std::string& key, EndpointFaults faults);
  void SetWebhooks(WebhookFaults faults);
  // Back to the plan given at start and the original seed.
  void Reset();
  [[nodiscard]] FaultPlan plan() const;

 private:
  [[nodiscard]] EndpointFaults* Match(std::string_view endpoint);

  mutable std::mutex mutex_;
  const FaultPlan initial_plan_;
  const std::uint64_t seed_;
  FaultPlan plan_;
  SeededRandom api_random_;
  SeededRandom webhook_random_;
};

}  // namespace paypipe::sim
