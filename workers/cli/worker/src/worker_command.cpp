#include "paypipe/cli/worker/worker_command.hpp"

#include <cstdlib>
#include <memory>
#include <sstream>
#include <thread>

#include "paypipe/cli/health_server.hpp"
#include "paypipe/infra/config/settings.hpp"
#include "paypipe/infra/http_server/server.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/runtime/metrics_text.hpp"
#include "paypipe/runtime/topology/topology.hpp"
#include "paypipe/runtime/worker.hpp"

namespace paypipe::cli::worker {

namespace config = infra::config;

std::vector<config::SettingUse> WorkerCommand::Settings() const {
  return {config::Required(config::kAmqpUrl),       config::Required(config::kMysqlUrl),
          config::Optional(config::kHttpAddr),      config::Optional(config::kConcurrency),
          config::Optional(config::kAmqpPrefetch),  config::Optional(config::kAmqpHeartbeat),
          config::Optional(config::kBatchSize),     config::Optional(config::kBatchWait),
          config::Optional(config::kRelayMinAge),
          config::Optional(config::kShutdownGrace), config::Optional(config::kFaultPoint)};
}

void WorkerCommand::AddArguments(CLI::App& app) {
  app.add_option("stages", stage_list_, "Comma-separated stages to run (e.g. confirm,cancel-retry)")
      ->required();
}

void RegisterWorkerCommand(CommandRegistry& registry, const runtime::StageRegistry& stages) {
  registry.Add(std::make_unique<WorkerCommand>(stages));
}

namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int WorkerCommand::Run(const CommandContext& context) {
  const auto& logger = context.logger;
  const auto& cfg = context.config;

  std::vector<runtime::StageBinding> bindings;
  const auto& topology = runtime::topology::TopologySpec::Default();
  for (const std::string& name : SplitList(stage_list_)) {
    const runtime::Stage* stage = stages_.Find(name);
    const runtime::topology::StageSpec* spec = topology.FindStage(name);
    if (stage == nullptr || (spec == nullptr && name != "test-echo")) {
      std::string known;
      for (const auto& n : stages_.Names()) known += (known.empty() ? "" : ", ") + n;
      context.out << "paypipe worker: unknown stage \"" << name << "\" (known: " << known << ")\n";
      return kExitUsage;
    }
    // test-echo has no entry in the production topology: it gets one 1 s tier (tests declare
    // its queues themselves).
    const std::vector<std::chrono::seconds> tiers =
        spec != nullptr
            ? spec->retry_tiers
            : std::vector<std::chrono::seconds>{std::chrono::seconds(1), std::chrono::seconds(1)};
    bindings.push_back(
        {stage, runtime::PolicyFromTiers(tiers), runtime::topology::WorkQueueName(name)});
  }
  if (bindings.empty()) {
    context.out << "paypipe worker: name at least one stage\n";
    return kExitUsage;
  }

  auto amqp_url = infra::amqp::AmqpUrl::Parse(cfg.Get(config::kAmqpUrl).text);
  auto mysql_url = infra::db::MysqlUrl::Parse(cfg.Get(config::kMysqlUrl).text);
  if (!amqp_url.ok() || !mysql_url.ok()) {
    logger.Error(
        "invalid connection URL",
        {{"error", amqp_url.ok() ? mysql_url.error().ToString() : amqp_url.error().ToString()}});
    return kExitUsage;
  }

  const std::string* fault_spec = cfg.Find(config::kFaultPoint);
  auto faults = runtime::FaultPoints::FromSpec(fault_spec != nullptr ? *fault_spec : "");
  if (!faults.ok()) {
    logger.Error("invalid PAYPIPE_FAULT_POINT", {{"error", faults.error().ToString()}});
    return kExitUsage;
  }

  runtime::WorkerOptions options;
  options.amqp_url = *amqp_url;
  options.mysql_url = *mysql_url;
  options.concurrency = static_cast<std::size_t>(cfg.Get(config::kConcurrency));
  options.prefetch = static_cast<std::uint16_t>(cfg.Get(config::kAmqpPrefetch));
  options.heartbeat =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.Get(config::kAmqpHeartbeat));
  options.loop.batch_max = static_cast<std::size_t>(cfg.Get(config::kBatchSize));
  options.loop.batch_wait = cfg.Get(config::kBatchWait);
  options.relay.min_age =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.Get(config::kRelayMinAge));
  const auto grace = cfg.Get(config::kShutdownGrace);

  runtime::Worker worker(std::move(bindings), std::move(options), **faults, context.clock, logger);

  std::unique_ptr<infra::http_server::Server> server;
  if (const auto* addr = cfg.Find(config::kHttpAddr)) {
    HealthEndpoints endpoints;
    endpoints.readiness = [&worker] {
      const runtime::Readiness readiness = worker.CheckReadiness();
      return ReadinessReport{readiness.ready(),
                             {{"started", readiness.started},
                              {"stopping", readiness.stopping},
                              {"broker", readiness.broker},
                              {"database", readiness.database}}};
    };
    endpoints.extra_metrics = [&worker] { return runtime::RenderRuntimeMetrics(worker); };
    auto started = ServeHealth(*addr, std::move(endpoints), context);
    if (!started.ok()) {
      logger.Error("cannot serve HTTP",
                   {{"addr", addr->ToString()}, {"error", started.error().ToString()}});
      return kExitFailure;
    }
    server = std::move(started).value();
  }

  worker.Start();
  logger.Info("worker started", {{"stages", stage_list_}});
  while (!context.stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  logger.Info("stopping: finishing work in flight",
              {{"grace_ms", static_cast<std::int64_t>(grace.count())}});
  if (!worker.Stop(grace)) {
    logger.Error("work in flight did not finish within the grace period; exiting anyway");
    // Threads still use the worker: end without unwinding. Unacked deliveries are redelivered.
    std::_Exit(kExitShutdownTimeout);
  }
  server.reset();
  logger.Info("worker stopped");
  return kExitOk;
}

}  // namespace paypipe::cli::worker
