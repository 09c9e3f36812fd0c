#include "paypipe/demo/demo_command.hpp"

#include <exception>

#include "paypipe/demo/driver.hpp"
#include "paypipe/demo/report.hpp"
#include "paypipe/infra/config/settings.hpp"

namespace paypipe::demo {

namespace config = infra::config;

std::vector<config::SettingUse> DemoDriveCommand::Settings() const {
  return {config::Required(config::kAmqpUrl), config::Required(config::kMysqlUrl),
          config::Required(config::kRabbitmqApiUrl), config::Required(config::kApiToken)};
}

void DemoDriveCommand::AddArguments(CLI::App& app) {
  app.add_option("--gateway-url", gateway_url_, "Base URL of the running gateway")
      ->capture_default_str();
  app.add_option("--sim-url", sim_url_, "Base URL of the running sim")->capture_default_str();
  app.add_option("--worker-metrics-url", worker_metrics_url_,
                 "http://host:port of the worker running confirm,webhook-intake (its /metrics)");
  app.add_option("--partner", partner_, "Partner id of every checkout (an ACTIVE partners row)")
      ->capture_default_str();
  app.add_option("--order-prefix", order_prefix_, "Order ids are <prefix>-<n>")
      ->capture_default_str();
  app.add_option("--checkouts", checkouts_, "Orders to check out and confirm")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--concurrency", concurrency_, "Storefront requests in flight")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--rate", rate_,
                 "Orders started per second; 0: as fast as the gateway answers (latencies then "
                 "include the backlog)")
      ->check(CLI::Range(0, 100'000))
      ->capture_default_str();
  app.add_option("--seed", seed_, "Seed of amounts and of which orders misbehave")
      ->capture_default_str();
  app.add_option("--wrong-amount-per-mille", wrong_amount_per_mille_,
                 "Confirms sent with another amount than the checkout's, per 1000")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--double-confirm-per-mille", double_confirm_per_mille_,
                 "Confirms sent twice, per 1000")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout_s_,
                 "Seconds to wait for the pipeline to become idle before reporting")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

int DemoDriveCommand::Run(const cli::CommandContext& context) {
  const auto& logger = context.logger;
  const auto& cfg = context.config;

  auto mysql = infra::db::MysqlUrl::Parse(cfg.Get(config::kMysqlUrl).text);
  if (!mysql.ok()) {
    logger.Error("invalid PAYPIPE_MYSQL_URL", {{"error", mysql.error().message}});
    return cli::kExitUsage;
  }
  const config::Url& api = cfg.Get(config::kRabbitmqApiUrl);
  const std::string amqp_path = cfg.Get(config::kAmqpUrl).path;
  ObserverOptions observe;
  observe.mysql = *mysql;
  observe.sim_url = sim_url_;
  observe.rabbitmq_api_url = api.Origin();
  observe.rabbitmq_credentials = api.user + ":" + api.password;
  observe.vhost = amqp_path.size() > 1 ? amqp_path.substr(1) : "%2f";
  if (!worker_metrics_url_.empty()) observe.worker_metrics_url = worker_metrics_url_ + "/metrics";
  observe.gateway_metrics_url = gateway_url_ + "/metrics";

  DriveOptions drive;
  drive.gateway_url = gateway_url_;
  drive.sim_url = sim_url_;
  drive.api_token = cfg.Get(config::kApiToken).Reveal();
  drive.partner_id = partner_;
  drive.order_prefix = order_prefix_;
  drive.checkouts = checkouts_;
  drive.concurrency = concurrency_;
  drive.rate_per_second = rate_;
  drive.seed = seed_;
  drive.wrong_amount_per_mille = wrong_amount_per_mille_;
  drive.double_confirm_per_mille = double_confirm_per_mille_;

  try {
    Observer observer(observe);
    logger.Info("driving the storefront",
                {{"checkouts", static_cast<std::int64_t>(checkouts_)},
                 {"concurrency", static_cast<std::int64_t>(concurrency_)}});
    const DriveResult driven = Drive(drive, context.stop);
    logger.Info("storefront done; waiting for the pipeline to become idle",
                {{"elapsed_ms", static_cast<std::int64_t>(driven.elapsed.count())}});
    IdleOutcome idle =
        observer.WaitIdle(driven, std::chrono::seconds(idle_timeout_s_), context.stop);
    const Report report = observer.Collect(driven, std::move(idle));
    PrintReport(context.out, drive, driven, report);
    return report.Passed() ? cli::kExitOk : cli::kExitFailure;
  } catch (const std::exception& error) {
    logger.Error("demo failed", {{"error", std::string(error.what())}});
    return cli::kExitFailure;
  }
}

}  // namespace paypipe::demo
