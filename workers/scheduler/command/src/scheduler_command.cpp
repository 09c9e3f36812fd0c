#include "paypipe/scheduler/scheduler_command.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include "paypipe/cli/health_server.hpp"
#include "paypipe/infra/config/settings.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/scheduler/reconcile_job.hpp"
#include "paypipe/scheduler/scheduler.hpp"

namespace paypipe::scheduler {

namespace config = infra::config;

namespace {

// This process's name in scheduler_leases: the host, the process id and a random part, so that a
// restarted process (same host, possibly the same pid in a container) is a new holder.
std::string HolderName() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host = {};
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", random());
  const std::string name = host.front() == '\0' ? "unknown-host" : host.data();
  return name.substr(0, 160) + "/" + std::to_string(getpid()) + "/" + suffix;
}

}  // namespace

std::vector<config::SettingUse> SchedulerCommand::Settings() const {
  return {
      config::Required(config::kAmqpUrl),           config::Required(config::kMysqlUrl),
      config::Optional(config::kHttpAddr),          config::Optional(config::kAmqpHeartbeat),
      config::Optional(config::kShutdownGrace),     config::Optional(config::kSchedulerLease),
      config::Optional(config::kReconcileInterval), config::Optional(config::kReconcileStuckAfter),
      config::Optional(config::kReconcileSchedule), config::Optional(config::kBatchSize),
      config::Optional(config::kFaultPoint)};
}

int SchedulerCommand::Run(const cli::CommandContext& context) {
  const auto& logger = context.logger;
  const auto& cfg = context.config;

  SchedulerOptions options;
  if (auto amqp = infra::amqp::AmqpUrl::Parse(cfg.Get(config::kAmqpUrl).text); amqp.ok()) {
    options.amqp_url = *amqp;
  } else {
    logger.Error("invalid PAYPIPE_AMQP_URL", {{"error", amqp.error().ToString()}});
    return cli::kExitUsage;
  }
  if (auto mysql = infra::db::MysqlUrl::Parse(cfg.Get(config::kMysqlUrl).text); mysql.ok()) {
    options.mysql_url = *mysql;
  } else {
    logger.Error("invalid PAYPIPE_MYSQL_URL", {{"error", mysql.error().ToString()}});
    return cli::kExitUsage;
  }
  const std::string* fault_spec = cfg.Find(config::kFaultPoint);
  auto faults = runtime::FaultPoints::FromSpec(fault_spec != nullptr ? *fault_spec : "");
  if (!faults.ok()) {
    logger.Error("invalid PAYPIPE_FAULT_POINT", {{"error", faults.error().ToString()}});
    return cli::kExitUsage;
  }
  auto schedule = ReconcileSchedule::Make(cfg.Get(config::kReconcileSchedule),
                                          cfg.Get(config::kReconcileStuckAfter));
  if (!schedule.ok()) {
    logger.Error("invalid PAYPIPE_RECONCILE_SCHEDULE", {{"error", schedule.error().message}});
    return cli::kExitUsage;
  }
  options.holder = HolderName();
  options.lease = cfg.Get(config::kSchedulerLease);
  options.heartbeat =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.Get(config::kAmqpHeartbeat));

  SchedulerMetrics metrics(context.metrics);
  std::vector<std::unique_ptr<Job>> jobs;
  jobs.push_back(std::make_unique<ReconcilePaymentsJob>(
      ReconcileOptions{*schedule, cfg.Get(config::kReconcileInterval),
                       static_cast<std::size_t>(cfg.Get(config::kBatchSize))},
      metrics));
  Scheduler scheduler(std::move(jobs), options, **faults, metrics, context.clock, logger);

  cli::HealthEndpoints endpoints;
  endpoints.readiness = [&scheduler] {
    const SchedulerReadiness readiness = scheduler.CheckReadiness();
    return cli::ReadinessReport{readiness.ready(),
                                {{"started", readiness.started},
                                 {"stopping", readiness.stopping},
                                 {"broker", readiness.broker},
                                 {"database", readiness.database}}};
  };
  const config::HostPort& address = cfg.Get(config::kHttpAddr);
  auto server = cli::ServeHealth(address, std::move(endpoints), context);
  if (!server.ok()) {
    logger.Error("cannot serve HTTP",
                 {{"addr", address.ToString()}, {"error", server.error().ToString()}});
    return cli::kExitFailure;
  }

  scheduler.Start();
  logger.Info("scheduler started",
              {{"holder", options.holder},
               {"jobs", kReconcileJobName},
               {"lease_ms", static_cast<std::int64_t>(options.lease.count())}});
  while (!context.stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto grace = cfg.Get(config::kShutdownGrace);
  logger.Info("stopping: finishing the units in hand",
              {{"grace_ms", static_cast<std::int64_t>(grace.count())}});
  if (!scheduler.Stop(grace)) {
    logger.Error("jobs did not finish within the grace period; exiting anyway");
    // Threads still use the scheduler: end without unwinding. Leases expire by themselves.
    std::_Exit(kExitShutdownTimeout);
  }
  server->reset();
  logger.Info("scheduler stopped");
  return cli::kExitOk;
}

}  // namespace paypipe::scheduler
