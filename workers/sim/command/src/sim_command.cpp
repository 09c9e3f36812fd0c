#include "paypipe/sim/sim_command.hpp"

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

#include "paypipe/infra/config/settings.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/sim/server.hpp"

namespace paypipe::sim {
namespace {

namespace config = infra::config;

// Used when PAYPIPE_PORTONE_WEBHOOK_SECRET is unset, so that V2 webhooks are always signed:
// base64 of "sim-webhook-secret-00000000".
constexpr const char* kDefaultWebhookSecret = "whsec_c2ltLXdlYmhvb2stc2VjcmV0LTAwMDAwMDAw";

std::vector<std::string> SplitSecrets(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
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

// --faults takes inline JSON or the path of a JSON file.
domain::Result<FaultPlan> LoadFaults(const std::string& argument) {
  if (argument.empty()) return FaultPlan{};
  std::string text = argument;
  if (argument.front() != '{') {
    std::ifstream file(argument);
    if (!file) return domain::Error::Permanent("FAULTS_UNREADABLE", "cannot read " + argument);
    std::stringstream content;
    content << file.rdbuf();
    text = content.str();
  }
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    return domain::Error::Permanent("INVALID_FAULT_PLAN", "--faults is not valid JSON");
  }
  return FaultPlan::FromJson(parsed);
}

}  // namespace

std::vector<config::SettingUse> SimCommand::Settings() const {
  return {
      config::Optional(config::kHttpAddr),         config::Optional(config::kTossSecretKey),
      config::Optional(config::kPortoneApiSecret), config::Optional(config::kPortoneImpKey),
      config::Optional(config::kPortoneImpSecret), config::Optional(config::kPortoneWebhookSecret),
      config::Optional(config::kShutdownGrace)};
}

void SimCommand::AddArguments(CLI::App& app) {
  app.add_option("action", action_, "serve (default), ledger or reset")
      ->check(CLI::IsMember({"serve", "ledger", "reset"}));
  app.add_option("--url", url_, "ledger/reset: base URL of a running sim")->capture_default_str();
  app.add_option("--seed", seed_, "Seed of fault decisions and generated ids")
      ->capture_default_str();
  app.add_option("--faults", faults_, "Fault plan: inline JSON or a JSON file (see README)");
  app.add_option("--toss-webhook-url", toss_webhook_url_, "Where Toss webhooks are sent");
  app.add_option("--portone-webhook-url", portone_webhook_url_,
                 "Where PortOne V2 (Standard Webhooks) webhooks are sent");
  app.add_option("--portone-v1-webhook-url", portone_v1_webhook_url_,
                 "Where PortOne V1 webhooks are sent");
  app.add_flag("--portone-v1-webhook-form", portone_v1_webhook_form_,
               "Send PortOne V1 webhooks form-encoded instead of JSON");
  app.add_option("--webhook-time-scale", webhook_time_scale_,
                 "Multiplier of the providers' retry schedules (0.001: minutes become 60 ms)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--webhook-timeout-ms", webhook_timeout_ms_,
                 "How long a receiver has to answer a webhook")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  app.add_option("--webhook-threads", webhook_threads_, "Webhook delivery threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--loop-threads", loop_threads_, "HTTP event-loop threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--port-file", port_file_, "Write the bound port to this file once listening");
  app.add_flag("--summary", summary_, "ledger: counts and sums only");
}

int SimCommand::Run(const cli::CommandContext& context) {
  if (action_ == "ledger") {
    return Remote(context, "GET", summary_ ? "/_sim/ledger/summary" : "/_sim/ledger");
  }
  if (action_ == "reset") return Remote(context, "POST", "/_sim/reset");
  return Serve(context);
}

int SimCommand::Serve(const cli::CommandContext& context) {
  auto faults = LoadFaults(faults_);
  if (!faults.ok()) {
    context.logger.Error("invalid fault plan", {{"error", faults.error().message}});
    return cli::kExitUsage;
  }
  SimServerOptions options;
  const config::HostPort& address = context.config.Get(config::kHttpAddr);
  options.host = address.host;
  options.port = address.port;
  options.loop_threads = loop_threads_;
  options.webhook_threads = webhook_threads_;
  SimOptions& sim = options.sim;
  sim.seed = seed_;
  sim.faults = std::move(*faults);
  if (const auto* key = context.config.Find(config::kTossSecretKey)) {
    sim.toss.secret_keys = {key->Reveal()};
  }
  if (const auto* secret = context.config.Find(config::kPortoneApiSecret)) {
    sim.portone_v2.api_secrets = {secret->Reveal()};
  }
  if (const auto* key = context.config.Find(config::kPortoneImpKey)) {
    sim.portone_v1.imp_key = key->Reveal();
  }
  if (const auto* secret = context.config.Find(config::kPortoneImpSecret)) {
    sim.portone_v1.imp_secret = secret->Reveal();
  }
  const auto* webhook_secret = context.config.Find(config::kPortoneWebhookSecret);
  sim.webhooks.portone_v2_secrets =
      SplitSecrets(webhook_secret != nullptr ? webhook_secret->Reveal() : kDefaultWebhookSecret);
  sim.webhooks.toss_url = toss_webhook_url_;
  sim.webhooks.portone_v2_url = portone_webhook_url_;
  sim.webhooks.portone_v1_url = portone_v1_webhook_url_;
  sim.webhooks.portone_v1_form = portone_v1_webhook_form_;
  sim.webhooks.time_scale = webhook_time_scale_;
  sim.webhooks.timeout = Millis(webhook_timeout_ms_);

  auto server = SimServer::Start(std::move(options), context.clock);
  if (!server.ok()) {
    context.logger.Error("sim failed to start", {{"error", server.error().ToString()}});
    return cli::kExitFailure;
  }
  const std::string url = (*server)->base_url();
  // stdout first: whoever waits for the port file may read the announcement at once.
  context.out << nlohmann::json{{"listening", url}}.dump() << std::endl;
  if (!port_file_.empty()) {
    std::ofstream(port_file_) << (*server)->port() << "\n";
  }
  context.logger.Info("sim listening", {{"url", url}, {"seed", seed_}});

  std::mutex mutex;
  std::condition_variable_any stopped;
  std::unique_lock lock(mutex);
  stopped.wait(lock, context.stop, [] { return false; });
  lock.unlock();

  (*server)->Stop(context.config.Get(config::kShutdownGrace));
  context.logger.Info("sim stopped");
  return cli::kExitOk;
}

int SimCommand::Remote(const cli::CommandContext& context, const std::string& method,
                       const std::string& path) {
  infra::http_client::ClientOptions options;
  // The full ledger of a long run is large; it is read once, by an operator or a script.
  options.max_response_bytes = std::size_t{4} << 30;
  options.total_timeout = std::chrono::minutes(5);
  infra::http_client::Client client(options);
  infra::http_client::ClientRequest request;
  request.method = method;
  std::string base = url_;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  auto response = client.Send(request);
  if (!response.ok()) {
    context.logger.Error("sim unreachable",
                         {{"url", request.url}, {"error", response.error().code}});
    return cli::kExitFailure;
  }
  const nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, false);
  context.out << (parsed.is_discarded() ? response->body : parsed.dump(2)) << std::endl;
  return response->status == 200 ? cli::kExitOk : cli::kExitFailure;
}

}  // namespace paypipe::sim
