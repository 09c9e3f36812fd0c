#include "paypipe/sim/faults.hpp"

#include <algorithm>
#include <cmath>

namespace paypipe::sim {
namespace {

using domain::Error;
using domain::Fail;
using domain::Result;
using nlohmann::json;

constexpr double kProbabilitySlack = 1e-9;
constexpr std::uint64_t kWebhookStreamSalt = 0x5EB400C5ULL;

Error BadPlan(const std::string& message) {
  return Error::Permanent("INVALID_FAULT_PLAN", message);
}

std::string_view ServiceOf(std::string_view endpoint) {
  return endpoint.substr(0, endpoint.find('.'));
}

// The providers whose conventions a plan key covers.
std::vector<Provider> ProvidersOf(std::string_view key) {
  std::vector<Provider> out;
  for (std::string_view endpoint : KnownEndpoints()) {
    const bool covered =
        key == "*" || key == endpoint ||
        (key.ends_with(".*") && ServiceOf(endpoint) == key.substr(0, key.size() - 2));
    if (!covered) continue;
    const Provider provider = *EndpointProvider(endpoint);
    if (std::find(out.begin(), out.end(), provider) == out.end()) out.push_back(provider);
  }
  return out;
}

Result<Millis> ReadMillis(const json& object, const char* name, Millis fallback) {
  if (!object.contains(name)) return fallback;
  const json& value = object.at(name);
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
    return Fail(BadPlan(std::string(name) + " must be a non-negative integer"));
  }
  return Millis(value.get<std::int64_t>());
}

Result<double> ReadProbability(const json& object, const char* name) {
  if (!object.contains(name)) return 0.0;
  const json& value = object.at(name);
  if (!value.is_number()) return Fail(BadPlan(std::string(name) + " must be a number"));
  const double p = value.get<double>();
  if (!(p >= 0.0 && p <= 1.0)) return Fail(BadPlan(std::string(name) + " must be in [0, 1]"));
  return p;
}

Result<LatencySpec> LatencyFromJson(const json& j) {
  LatencySpec spec;
  if (j.is_null()) return spec;
  if (!j.is_object()) return Fail(BadPlan("latency must be an object"));
  const std::string kind = j.value("kind", "none");
  if (kind == "none") return spec;
  if (kind == "fixed") {
    spec.kind = LatencyKind::kFixed;
    auto ms = ReadMillis(j, "ms", Millis(0));
    if (!ms) return Fail(ms.error());
    spec.fixed = *ms;
    return spec;
  }
  if (kind == "uniform") {
    spec.kind = LatencyKind::kUniform;
    auto min = ReadMillis(j, "min_ms", Millis(0));
    auto max = ReadMillis(j, "max_ms", Millis(0));
    if (!min) return Fail(min.error());
    if (!max) return Fail(max.error());
    if (*max < *min) return Fail(BadPlan("latency max_ms < min_ms"));
    spec.min = *min;
    spec.max = *max;
    return spec;
  }
  if (kind == "exponential") {
    spec.kind = LatencyKind::kExponential;
    auto mean = ReadMillis(j, "mean_ms", Millis(0));
    auto max = ReadMillis(j, "max_ms", Millis(0));
    if (!mean) return Fail(mean.error());
    if (!max) return Fail(max.error());
    spec.mean = *mean;
    spec.max = *max;
    return spec;
  }
  return Fail(BadPlan("latency kind must be none, fixed, uniform or exponential"));
}

json LatencyToJson(const LatencySpec& spec) {
  switch (spec.kind) {
    case LatencyKind::kNone:
      return {{"kind", "none"}};
    case LatencyKind::kFixed:
      return {{"kind", "fixed"}, {"ms", spec.fixed.count()}};
    case LatencyKind::kUniform:
      return {{"kind", "uniform"}, {"min_ms", spec.min.count()}, {"max_ms", spec.max.count()}};
    case LatencyKind::kExponential:
      return {
          {"kind", "exponential"}, {"mean_ms", spec.mean.count()}, {"max_ms", spec.max.count()}};
  }
  return nullptr;
}

Result<FaultRule> RuleFromJson(std::string_view key, const json& j) {
  if (!j.is_object()) return Fail(BadPlan("each fault must be an object"));
  FaultRule rule;
  if (j.contains("error")) {
    if (!j.at("error").is_string()) return Fail(BadPlan("error must be a code string"));
    rule.kind = FaultKind::kError;
    rule.code = j.at("error").get<std::string>();
  } else if (j.contains("timeout")) {
    const std::string when = j.at("timeout").is_string() ? j.at("timeout").get<std::string>() : "";
    if (when == "after_apply") {
      rule.kind = FaultKind::kTimeoutAfterApply;
    } else if (when == "before_apply") {
      rule.kind = FaultKind::kTimeoutBeforeApply;
    } else {
      return Fail(BadPlan(R"(timeout must be "after_apply" or "before_apply")"));
    }
  } else {
    return Fail(BadPlan(R"(a fault needs "error": CODE or "timeout": after_apply|before_apply)"));
  }
  auto p = ReadProbability(j, "probability");
  if (!p) return Fail(p.error());
  rule.probability = *p;
  if (j.contains("count")) {
    if (!j.at("count").is_number_integer() || j.at("count").get<std::int64_t>() < 0) {
      return Fail(BadPlan("count must be a non-negative integer"));
    }
    rule.count = j.at("count").get<std::int64_t>();
  }
  if (j.contains("status")) {
    if (!j.at("status").is_number_integer()) return Fail(BadPlan("status must be an integer"));
    const int status = j.at("status").get<int>();
    if (status < 200 || status > 599) return Fail(BadPlan("status must be 200-599"));
    rule.status = status;
  }
  rule.message = j.value("message", "");
  rule.after_apply = j.value("after_apply", false);
  rule.retry_after_s = j.value("retry_after_s", 1);
  if (rule.kind == FaultKind::kError && !rule.status) {
    for (Provider provider : ProvidersOf(key)) {
      if (!KnownErrorStatus(provider, rule.code)) {
        return Fail(BadPlan("code " + rule.code + " is not a documented " +
                            std::string(ToString(provider)) + " error; give \"status\""));
      }
    }
  }
  return rule;
}

json RuleToJson(const FaultRule& rule) {
  json j;
  switch (rule.kind) {
    case FaultKind::kError:
      j["error"] = rule.code;
      break;
    case FaultKind::kTimeoutBeforeApply:
      j["timeout"] = "before_apply";
      break;
    case FaultKind::kTimeoutAfterApply:
      j["timeout"] = "after_apply";
      break;
  }
  j["probability"] = rule.probability;
  if (rule.count) j["count"] = *rule.count;
  if (rule.status) j["status"] = *rule.status;
  if (!rule.message.empty()) j["message"] = rule.message;
  if (rule.after_apply) j["after_apply"] = true;
  if (rule.kind == FaultKind::kError && rule.code == "rate_limited") {
    j["retry_after_s"] = rule.retry_after_s;
  }
  return j;
}

bool KeyIsValid(std::string_view key) {
  if (key == "*") return true;
  const auto& known = KnownEndpoints();
  if (std::find(known.begin(), known.end(), key) != known.end()) return true;
  if (!key.ends_with(".*")) return false;
  const std::string_view service = key.substr(0, key.size() - 2);
  return std::any_of(known.begin(), known.end(),
                     [&](std::string_view endpoint) { return ServiceOf(endpoint) == service; });
}

}  // namespace

const std::vector<std::string_view>& KnownEndpoints() {
  static const std::vector<std::string_view> kEndpoints = {
      "toss.confirm",         "toss.get_payment",       "toss.get_payment_by_order",
      "toss.cancel",          "toss.billing_issue",     "toss.billing_charge",
      "toss.virtual_account", "portone_v1.token",       "portone_v1.get_payment",
      "portone_v1.cancel",    "portone_v2.get_payment", "portone_v2.cancel",
      "slack.post",
  };
  return kEndpoints;
}

std::optional<Provider> EndpointProvider(std::string_view endpoint) {
  const std::string_view service = ServiceOf(endpoint);
  if (service == "toss") return Provider::kToss;
  if (service == "portone_v1") return Provider::kPortOneV1;
  if (service == "portone_v2") return Provider::kPortOneV2;
  if (service == "slack") return Provider::kSlack;
  return std::nullopt;
}

Millis LatencySpec::Draw(SeededRandom& random) const {
  switch (kind) {
    case LatencyKind::kNone:
      return Millis(0);
    case LatencyKind::kFixed:
      return fixed;
    case LatencyKind::kUniform:
      return Millis(random.UniformInt(min.count(), max.count()));
    case LatencyKind::kExponential: {
      const double u = random.Uniform01();
      const auto cap = static_cast<double>(max.count() > 0 ? max.count() : 10 * mean.count());
      const double draw = -static_cast<double>(mean.count()) * std::log1p(-u);
      return Millis(static_cast<std::int64_t>(std::min(draw, cap)));
    }
  }
  return Millis(0);
}

Result<EndpointFaults> FaultPlan::EndpointFromJson(std::string_view endpoint, const json& j) {
  if (!KeyIsValid(endpoint)) {
    return Fail(BadPlan("unknown endpoint " + std::string(endpoint)));
  }
  if (!j.is_object()) return Fail(BadPlan("endpoint faults must be an object"));
  EndpointFaults faults;
  if (j.contains("latency")) {
    auto latency = LatencyFromJson(j.at("latency"));
    if (!latency) return Fail(latency.error());
    faults.latency = *latency;
  }
  auto hold = ReadMillis(j, "hold_ms", faults.hold);
  if (!hold) return Fail(hold.error());
  faults.hold = *hold;
  double total = 0;
  if (j.contains("faults")) {
    if (!j.at("faults").is_array()) return Fail(BadPlan("faults must be an array"));
    for (const json& item : j.at("faults")) {
      auto rule = RuleFromJson(endpoint, item);
      if (!rule) return Fail(rule.error());
      if (!rule->count) total += rule->probability;
      faults.rules.push_back(std::move(*rule));
    }
  }
  if (total > 1.0 + kProbabilitySlack) {
    return Fail(
        BadPlan("fault probabilities of " + std::string(endpoint) + " add up to more than 1"));
  }
  return faults;
}

Result<FaultPlan> FaultPlan::FromJson(const json& j) {
  FaultPlan plan;
  if (j.is_null()) return plan;
  if (!j.is_object()) return Fail(BadPlan("the fault plan must be a JSON object"));
  if (j.contains("endpoints")) {
    if (!j.at("endpoints").is_object()) return Fail(BadPlan("endpoints must be an object"));
    for (const auto& [key, value] : j.at("endpoints").items()) {
      auto faults = EndpointFromJson(key, value);
      if (!faults) return Fail(faults.error());
      plan.endpoints[key] = std::move(*faults);
    }
  }
  if (j.contains("webhooks")) {
    const json& w = j.at("webhooks");
    if (!w.is_object()) return Fail(BadPlan("webhooks must be an object"));
    auto duplicate = ReadProbability(w, "duplicate");
    auto out_of_order = ReadProbability(w, "out_of_order");
    auto drop = ReadProbability(w, "drop");
    auto hold = ReadMillis(w, "reorder_max_hold_ms", plan.webhooks.reorder_max_hold);
    if (!duplicate) return Fail(duplicate.error());
    if (!out_of_order) return Fail(out_of_order.error());
    if (!drop) return Fail(drop.error());
    if (!hold) return Fail(hold.error());
    plan.webhooks.duplicate = *duplicate;
    plan.webhooks.out_of_order = *out_of_order;
    plan.webhooks.drop = *drop;
    plan.webhooks.reorder_max_hold = *hold;
    if (w.contains("delay")) {
      auto delay = LatencyFromJson(w.at("delay"));
      if (!delay) return Fail(delay.error());
      plan.webhooks.delay = *delay;
    }
  }
  return plan;
}

json FaultPlan::ToJson() const {
  json out = {{"endpoints", json::object()}};
  for (const auto& [key, faults] : endpoints) {
    json rules = json::array();
    for (const FaultRule& rule : faults.rules) rules.push_back(RuleToJson(rule));
    out["endpoints"][key] = {{"latency", LatencyToJson(faults.latency)},
                             {"faults", rules},
                             {"hold_ms", faults.hold.count()}};
  }
  out["webhooks"] = {{"duplicate", webhooks.duplicate},
                     {"out_of_order", webhooks.out_of_order},
                     {"drop", webhooks.drop},
                     {"delay", LatencyToJson(webhooks.delay)},
                     {"reorder_max_hold_ms", webhooks.reorder_max_hold.count()}};
  return out;
}

FaultInjector::FaultInjector(FaultPlan plan, std::uint64_t seed)
    : initial_plan_(plan),
      seed_(seed),
      plan_(std::move(plan)),
      api_random_(seed),
      webhook_random_(seed ^ kWebhookStreamSalt) {}

EndpointFaults* FaultInjector::Match(std::string_view endpoint) {
  if (auto it = plan_.endpoints.find(std::string(endpoint)); it != plan_.endpoints.end()) {
    return &it->second;
  }
  const std::string service_key = std::string(ServiceOf(endpoint)) + ".*";
  if (auto it = plan_.endpoints.find(service_key); it != plan_.endpoints.end()) return &it->second;
  if (auto it = plan_.endpoints.find("*"); it != plan_.endpoints.end()) return &it->second;
  return nullptr;
}

FaultDecision FaultInjector::Decide(std::string_view endpoint) {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  EndpointFaults* faults = Match(endpoint);
  if (faults == nullptr) return decision;
  decision.hold = faults->hold;
  decision.latency = faults->latency.Draw(api_random_);
  for (FaultRule& rule : faults->rules) {
    if (rule.count && *rule.count > 0) {
      --*rule.count;
      decision.fault = rule;
      return decision;
    }
  }
  bool any_probability = false;
  for (const FaultRule& rule : faults->rules)
    any_probability |= !rule.count && rule.probability > 0;
  if (!any_probability) return decision;
  // One draw per request against the cumulative distribution keeps each rule's rate exact.
  const double u = api_random_.Uniform01();
  double cumulative = 0;
  for (const FaultRule& rule : faults->rules) {
    if (rule.count) continue;
    cumulative += rule.probability;
    if (u < cumulative) {
      decision.fault = rule;
      break;
    }
  }
  return decision;
}

WebhookFaultDecision FaultInjector::DecideWebhook() {
  std::lock_guard lock(mutex_);
  const WebhookFaults& w = plan_.webhooks;
  WebhookFaultDecision decision;
  decision.drop = webhook_random_.Bernoulli(w.drop);
  decision.duplicate = webhook_random_.Bernoulli(w.duplicate);
  decision.out_of_order = webhook_random_.Bernoulli(w.out_of_order);
  decision.delay = w.delay.Draw(webhook_random_);
  return decision;
}

void FaultInjector::SetPlan(FaultPlan plan) {
  std::lock_guard lock(mutex_);
  plan_ = std::move(plan);
}

void FaultInjector::SetEndpoint(const std::string& key, EndpointFaults faults) {
  std::lock_guard lock(mutex_);
  plan_.endpoints[key] = std::move(faults);
}

void FaultInjector::SetWebhooks(WebhookFaults faults) {
  std::lock_guard lock(mutex_);
  plan_.webhooks = faults;
}

void FaultInjector::Reset() {
  std::lock_guard lock(mutex_);
  plan_ = initial_plan_;
  api_random_.Reseed(seed_);
  webhook_random_.Reseed(seed_ ^ kWebhookStreamSalt);
}

FaultPlan FaultInjector::plan() const {
  std::lock_guard lock(mutex_);
  return plan_;
}

}  // namespace paypipe::sim
