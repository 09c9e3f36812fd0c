#include "paypipe/sim/simulator.hpp"

#include "paypipe/sim/errors.hpp"
#include "util.hpp"

namespace paypipe::sim {
namespace {

using infra::http::Request;
using infra::http::Response;
using infra::http_server::Responder;
using nlohmann::json;

// Ids are drawn from a stream of their own so that they do not shift fault decisions.
constexpr std::uint64_t kIdStreamSalt = 0x1D5EEDULL;

// The rest of `path` below `base`, or nullopt when `path` is not under it.
std::optional<std::string_view> Below(std::string_view path, std::string_view base) {
  if (!path.starts_with(base)) return std::nullopt;
  std::string_view rest = path.substr(base.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;
  return rest;
}

Response ControlJson(int status, const json& body) { return JsonResponse(status, body.dump()); }

Response ControlError(int status, std::string_view code, std::string_view message) {
  return ControlJson(status, {{"code", code}, {"message", message}});
}

Response FromResult(const domain::Result<json>& result, int success_status = 200) {
  if (result.ok()) return ControlJson(success_status, *result);
  const std::string& code = result.error().code;
  int status = 400;
  if (code.find("NOT_FOUND") != std::string::npos) status = 404;
  if (code.find("DUPLICATED") != std::string::npos) status = 409;
  return ControlError(status, code, result.error().message);
}

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kError:
      return "error";
    case FaultKind::kTimeoutBeforeApply:
      return "timeout_before_apply";
    case FaultKind::kTimeoutAfterApply:
      return "timeout_after_apply";
  }
  return "unknown";
}

Response RenderFault(Provider provider, const FaultRule& rule) {
  const std::optional<int> status = rule.status;
  Response response = ErrorResponse(provider, rule.code, rule.message, status);
  if (provider == Provider::kSlack && response.status == 429) {
    response.headers.Set("Retry-After", std::to_string(rule.retry_after_s));
  }
  return response;
}

// Secrets may come as a JSON array or one string separated by spaces or commas.
std::vector<std::string> SecretList(const json& value) {
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const json& item : value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
    return out;
  }
  if (!value.is_string()) return out;
  std::string current;
  for (char c : value.get<std::string>()) {
    if (c == ' ' || c == ',') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

}  // namespace

Simulator::Simulator(SimOptions options, const Clock& clock, Scheduler& scheduler,
                     WebhookTransport& transport)
    : options_(std::move(options)),
      scheduler_(scheduler),
      ids_(options_.seed ^ kIdStreamSalt),
      ledger_(clock),
      faults_(options_.faults, options_.seed),
      dispatcher_(clock, ids_, faults_, ledger_, transport, options_.webhooks),
      toss_(options_.toss, clock, ids_, ledger_, dispatcher_),
      portone_v1_(options_.portone_v1, clock, ids_, ledger_, dispatcher_),
      portone_v2_(options_.portone_v2, clock, ids_, ledger_, dispatcher_),
      slack_(ledger_) {}

Call Simulator::Route(const Request& request) {
  const std::string_view path = request.path();
  if (auto rest = Below(path, options_.toss_base)) return toss_.Route(request, *rest);
  if (auto rest = Below(path, options_.portone_v1_base)) return portone_v1_.Route(request, *rest);
  if (auto rest = Below(path, options_.portone_v2_base)) return portone_v2_.Route(request, *rest);
  if (auto rest = Below(path, options_.slack_base)) return slack_.Route(request, *rest);
  return Call::Answer("unknown", Provider::kControl,
                      ControlError(404, "NOT_FOUND", "The sim serves nothing at this path"));
}

void Simulator::Handle(const Request& request, const Responder& responder) {
  const std::string_view path = request.path();
  // Like every paypipe process, so that compose files and probes treat the sim alike.
  if (request.method == "GET" && (path == "/healthz" || path == "/readyz")) {
    responder.Respond(ControlJson(200, {{"status", "ok"}}));
    return;
  }
  if (request.method == "GET" && path == "/metrics") {
    Response metrics = Response::Text(200, Metrics());
    metrics.headers.Set("Content-Type", "text/plain; version=0.0.4");
    responder.Respond(std::move(metrics));
    return;
  }
  if (Below(path, "/_sim")) {
    Response response;
    try {
      response = Control(request, path);
    } catch (const std::exception& e) {
      // Control bodies come from tests and scripts: a wrong type is their mistake, a 400.
      response = ControlError(400, "INVALID_REQUEST", e.what());
    }
    responder.Respond(std::move(response));
    return;
  }
  Execute(std::make_shared<Call>(Route(request)), responder);
}

void Simulator::Execute(const std::shared_ptr<Call>& call, const Responder& responder) {
  if (call->immediate) {
    ledger_.CountRequest(call->endpoint);
    responder.Respond(std::move(*call->immediate));
    return;
  }
  if (call->idempotency != nullptr) {
    IdempotencyBegin begin = call->idempotency->Begin(call->idempotency_scope);
    // Counted once the key is registered: a test that sees the count can rely on the key.
    ledger_.CountRequest(call->endpoint);
    if (begin.state == IdempotencyState::kReplay) {
      ledger_.RecordReplay(call->endpoint, call->idempotency_key);
      responder.Respond(std::move(*begin.replay));
      return;
    }
    if (begin.state == IdempotencyState::kInFlight) {
      ledger_.RecordConflict(call->endpoint, call->idempotency_key);
      responder.Respond(ErrorResponse(call->provider, call->provider == Provider::kPortOneV2
                                                          ? "IDEMPOTENCY_OUTSTANDING_REQUEST"
                                                          : "IDEMPOTENT_REQUEST_PROCESSING"));
      return;
    }
  } else {
    ledger_.CountRequest(call->endpoint);
  }
  FaultDecision decision = faults_.Decide(call->endpoint);
  if (call->forced_error) {
    FaultRule rule;
    rule.code = *call->forced_error;
    decision.fault = rule;
  }
  if (decision.latency > Millis(0)) {
    scheduler_.RunAfter(decision.latency,
                        [this, call, decision, responder] { Finish(call, decision, responder); });
    return;
  }
  Finish(call, decision, responder);
}

void Simulator::Finish(const std::shared_ptr<Call>& call, const FaultDecision& decision,
                       const Responder& responder) {
  const FaultRule* fault = decision.fault ? &*decision.fault : nullptr;
  FaultRecord record;
  record.endpoint = call->endpoint;
  record.idempotency_key = call->idempotency_key;
  if (fault != nullptr) {
    record.kind = call->forced_error ? "test_code" : std::string(FaultKindName(fault->kind));
    record.code = fault->code;
  }

  const bool not_applied =
      fault != nullptr && (fault->kind == FaultKind::kTimeoutBeforeApply ||
                           (fault->kind == FaultKind::kError && !fault->after_apply));
  if (not_applied) {
    if (call->idempotency != nullptr) call->idempotency->Abandon(call->idempotency_scope);
    if (fault->kind == FaultKind::kError) {
      if (call->on_rejected) call->on_rejected(fault->code);
      Response error = RenderFault(call->provider, *fault);
      record.answered = true;
      ledger_.RecordFault(record);
      responder.Respond(std::move(error));
    } else {
      ledger_.RecordFault(record);
      Hold(decision, responder);
    }
    return;
  }

  Response response = call->apply();
  const bool applied = response.status >= 200 && response.status < 300;
  if (call->idempotency != nullptr) {
    // Only an executed request is remembered; a refused one may be sent again with the same key.
    if (applied) {
      call->idempotency->Complete(call->idempotency_scope, response);
    } else {
      call->idempotency->Abandon(call->idempotency_scope);
    }
  }
  if (fault == nullptr) {
    responder.Respond(std::move(response));
    return;
  }
  record.applied = applied;
  record.withheld_status = response.status;
  if (fault->kind == FaultKind::kTimeoutAfterApply) {
    ledger_.RecordFault(record);
    Hold(decision, responder);
    return;
  }
  // An error answered after the operation ran: the client is told it failed when it did not.
  record.answered = true;
  ledger_.RecordFault(record);
  responder.Respond(RenderFault(call->provider, *fault));
}

void Simulator::Hold(const FaultDecision& decision, const Responder& responder) {
  // Far beyond any sane client timeout the sim gives up like a proxy in front of the PG would.
  // By then the client has long closed the connection and the answer is dropped.
  scheduler_.RunAfter(decision.hold, [responder] {
    responder.Respond(Response::Text(504, "upstream request timeout"));
  });
}

json Simulator::Truth() const {
  json truth = ledger_.Snapshot();
  truth["toss"] = toss_.Snapshot();
  truth["portone_v1"] = portone_v1_.Snapshot();
  truth["portone_v2"] = portone_v2_.Snapshot();
  truth["webhooks_pending"] = dispatcher_.pending();
  truth["seed"] = options_.seed;
  return truth;
}

json Simulator::TruthSummary() const {
  json summary = ledger_.Summary();
  summary["payments"] = {{"toss", toss_.StatusCounts()},
                         {"portone_v1", portone_v1_.StatusCounts()},
                         {"portone_v2", portone_v2_.StatusCounts()}};
  summary["webhooks_pending"] = dispatcher_.pending();
  summary["seed"] = options_.seed;
  return summary;
}

std::string Simulator::Metrics() const {
  const json summary = TruthSummary();
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto sample = [&](const std::string& name, const std::string& labels, const json& value) {
    out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + value.dump() + "\n";
  };
  family("paypipe_sim_requests_total", "counter", "Requests per simulated endpoint.");
  for (const auto& [endpoint, count] : summary["requests"].items()) {
    sample("paypipe_sim_requests_total", "endpoint=\"" + endpoint + "\"", count);
  }
  family("paypipe_sim_faults_total", "counter", "Injected faults by kind.");
  for (const auto& [kind, count] : summary["faults"]["by_kind"].items()) {
    sample("paypipe_sim_faults_total", "kind=\"" + kind + "\"", count);
  }
  family("paypipe_sim_payments", "gauge", "Payments by provider and status.");
  for (const auto& [provider, statuses] : summary["payments"].items()) {
    for (const auto& [status, count] : statuses.items()) {
      sample("paypipe_sim_payments", "provider=\"" + provider + "\",status=\"" + status + "\"",
             count);
    }
  }
  family("paypipe_sim_webhook_deliveries", "gauge", "Webhook deliveries by state.");
  for (const auto& [state, count] : summary["webhooks"]["by_state"].items()) {
    sample("paypipe_sim_webhook_deliveries", "state=\"" + state + "\"", count);
  }
  family("paypipe_sim_webhook_attempts_total", "counter", "Webhook delivery attempts.");
  sample("paypipe_sim_webhook_attempts_total", "", summary["webhooks"]["attempts"]);
  family("paypipe_sim_slack_messages_total", "counter", "Slack messages accepted.");
  sample("paypipe_sim_slack_messages_total", "", summary["slack"]["accepted"]);
  return out;
}

void Simulator::Reset() {
  dispatcher_.Clear();
  toss_.Clear();
  portone_v1_.Clear();
  portone_v2_.Clear();
  faults_.Reset();
  ids_.Reseed(options_.seed ^ kIdStreamSalt);
  ledger_.Clear();
}

json Simulator::Config() const {
  const WebhookTargets targets = dispatcher_.targets();
  return {{"seed", options_.seed},
          {"bases",
           {{"toss", options_.toss_base},
            {"portone_v1", options_.portone_v1_base},
            {"portone_v2", options_.portone_v2_base},
            {"slack", options_.slack_base}}},
          {"toss",
           {{"secret_keys", options_.toss.secret_keys},
            {"session_ttl_s", options_.toss.session_ttl.count()}}},
          {"portone_v1",
           {{"imp_key", options_.portone_v1.imp_key},
            {"token_ttl_s", options_.portone_v1.token_ttl.count()}}},
          {"portone_v2", {{"store_id", options_.portone_v2.store_id}}},
          {"webhooks",
           {{"toss_url", targets.toss_url},
            {"portone_v1_url", targets.portone_v1_url},
            {"portone_v2_url", targets.portone_v2_url},
            {"portone_v2_secret_count", targets.portone_v2_secrets.size()},
            {"portone_v1_form", targets.portone_v1_form},
            {"time_scale", targets.time_scale},
            {"timeout_ms", targets.timeout.count()}}}};
}

Response Simulator::Control(const Request& request, std::string_view path) {
  const std::vector<std::string> seg = util::SplitPath(path.substr(5));  // below "/_sim"
  const std::string& method = request.method;
  const auto n = seg.size();
  auto body = [&]() -> std::optional<json> {
    if (util::Trim(request.body).empty()) return json::object();
    return util::ParseObject(request.body);
  };
  auto bad_body = [] { return ControlError(400, "INVALID_REQUEST", "body must be a JSON object"); };

  if (n == 1 && seg[0] == "health" && method == "GET") {
    return ControlJson(200, {{"status", "ok"}});
  }
  if (n == 1 && seg[0] == "ledger" && method == "GET") return ControlJson(200, Truth());
  if (n == 2 && seg[0] == "ledger" && seg[1] == "summary" && method == "GET") {
    return ControlJson(200, TruthSummary());
  }
  if (n == 1 && seg[0] == "config" && method == "GET") return ControlJson(200, Config());
  if (n == 1 && seg[0] == "reset" && method == "POST") {
    Reset();
    return ControlJson(200, {{"reset", true}});
  }

  if (n >= 1 && seg[0] == "faults") {
    if (n == 1 && method == "GET") return ControlJson(200, faults_.plan().ToJson());
    if (n == 1 && method == "DELETE") {
      faults_.SetPlan(FaultPlan{});
      return ControlJson(200, faults_.plan().ToJson());
    }
    auto parsed = body();
    if (!parsed) return bad_body();
    if (n == 1 && method == "PUT") {
      auto plan = FaultPlan::FromJson(*parsed);
      if (!plan) return ControlError(400, plan.error().code, plan.error().message);
      faults_.SetPlan(std::move(*plan));
      return ControlJson(200, faults_.plan().ToJson());
    }
    if (n == 3 && seg[1] == "endpoints" && method == "PUT") {
      auto faults = FaultPlan::EndpointFromJson(seg[2], *parsed);
      if (!faults) return ControlError(400, faults.error().code, faults.error().message);
      faults_.SetEndpoint(seg[2], std::move(*faults));
      return ControlJson(200, faults_.plan().ToJson());
    }
    if (n == 3 && seg[1] == "endpoints" && method == "DELETE") {
      FaultPlan plan = faults_.plan();
      plan.endpoints.erase(seg[2]);
      faults_.SetPlan(std::move(plan));
      return ControlJson(200, faults_.plan().ToJson());
    }
    if (n == 2 && seg[1] == "webhooks" && method == "PUT") {
      auto plan = FaultPlan::FromJson(json{{"webhooks", *parsed}});
      if (!plan) return ControlError(400, plan.error().code, plan.error().message);
      faults_.SetWebhooks(plan->webhooks);
      return ControlJson(200, faults_.plan().ToJson());
    }
  }

  if (n == 1 && seg[0] == "webhooks" && method == "PUT") {
    auto parsed = body();
    if (!parsed) return bad_body();
    WebhookTargets targets = dispatcher_.targets();
    if (parsed->contains("toss_url")) targets.toss_url = parsed->at("toss_url").get<std::string>();
    if (parsed->contains("portone_v1_url")) {
      targets.portone_v1_url = parsed->at("portone_v1_url").get<std::string>();
    }
    if (parsed->contains("portone_v2_url")) {
      targets.portone_v2_url = parsed->at("portone_v2_url").get<std::string>();
    }
    if (parsed->contains("portone_v2_secrets")) {
      targets.portone_v2_secrets = SecretList(parsed->at("portone_v2_secrets"));
    }
    if (parsed->contains("portone_v1_form")) {
      targets.portone_v1_form = parsed->at("portone_v1_form").get<bool>();
    }
    if (parsed->contains("time_scale")) {
      targets.time_scale = parsed->at("time_scale").get<double>();
    }
    if (parsed->contains("timeout_ms")) {
      targets.timeout = Millis(parsed->at("timeout_ms").get<std::int64_t>());
    }
    auto status = dispatcher_.SetTargets(std::move(targets));
    if (!status.ok()) return ControlError(400, status.error().code, status.error().message);
    return ControlJson(200, Config());
  }

  if (n >= 2 && seg[0] == "toss" && method == "POST") {
    if (n == 2 && seg[1] == "sessions") {
      auto parsed = body();
      if (!parsed) return bad_body();
      return FromResult(toss_.CreateSession(*parsed), 201);
    }
    if (n == 4 && seg[1] == "payments" && seg[3] == "deposit")
      return FromResult(toss_.Deposit(seg[2]));
    if (n == 4 && seg[1] == "payments" && seg[3] == "deposit-error") {
      return FromResult(toss_.DepositError(seg[2]));
    }
  }
  if (n >= 3 && seg[0] == "portone" && seg[2] == "payments" && method == "POST") {
    const bool v1 = seg[1] == "v1";
    const bool v2 = seg[1] == "v2";
    if (n == 3 && (v1 || v2)) {
      auto parsed = body();
      if (!parsed) return bad_body();
      return FromResult(
          v1 ? portone_v1_.CreatePayment(*parsed) : portone_v2_.CreatePayment(*parsed), 201);
    }
    if (n == 5 && seg[4] == "pay" && (v1 || v2)) {
      return FromResult(v1 ? portone_v1_.MarkPaid(seg[3]) : portone_v2_.MarkPaid(seg[3]));
    }
  }
  return ControlError(404, "NOT_FOUND",
                      "No such control call: " + method + " " + std::string(path));
}

}  // namespace paypipe::sim
