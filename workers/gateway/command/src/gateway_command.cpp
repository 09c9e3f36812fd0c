#include "paypipe/gateway/gateway_command.hpp"

#include <cstdlib>
#include <thread>

#include "paypipe/gateway/gateway.hpp"
#include "paypipe/infra/config/settings.hpp"

namespace paypipe::gateway {

namespace config = infra::config;

std::vector<config::SettingUse> GatewayCommand::Settings() const {
  return {config::Required(config::kAmqpUrl),
          config::Required(config::kMysqlUrl),
          config::Required(config::kApiToken),
          config::Optional(config::kHttpAddr),
          config::Optional(config::kHttpMaxBodyBytes),
          config::Optional(config::kGatewayConfirmTimeout),
          config::Optional(config::kPortoneWebhookSecret),
          config::Optional(config::kAmqpHeartbeat),
          config::Optional(config::kShutdownGrace)};
}

void GatewayCommand::AddArguments(CLI::App& app) {
  app.add_option("--loop-threads", loop_threads_, "HTTP event-loop threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--publisher-threads", publisher_threads_,
                 "Broker connections publishing with confirms (each shares confirms between "
                 "concurrent requests)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--db-threads", db_threads_, "Database connections for the payment API")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--publish-wait-us", publish_wait_us_,
                 "Microseconds a publisher thread holding fewer than a full batch waits for more "
                 "messages before publishing them (0: publish what has arrived at once)")
      ->check(CLI::Range(0, 100'000))
      ->capture_default_str();
  app.add_option("--queue-capacity", queue_capacity_,
                 "Messages waiting for a publisher thread before requests are answered 503")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
}

int GatewayCommand::Run(const cli::CommandContext& context) {
  const auto& logger = context.logger;
  const auto& cfg = context.config;

  auto amqp_url = infra::amqp::AmqpUrl::Parse(cfg.Get(config::kAmqpUrl).text);
  auto mysql_url = infra::db::MysqlUrl::Parse(cfg.Get(config::kMysqlUrl).text);
  if (!amqp_url.ok() || !mysql_url.ok()) {
    logger.Error(
        "invalid connection URL",
        {{"error", amqp_url.ok() ? mysql_url.error().ToString() : amqp_url.error().ToString()}});
    return cli::kExitUsage;
  }

  GatewayOptions options;
  const config::HostPort& address = cfg.Get(config::kHttpAddr);
  options.host = address.host;
  options.port = address.port;
  options.loop_threads = loop_threads_;
  options.max_body_bytes = static_cast<std::size_t>(cfg.Get(config::kHttpMaxBodyBytes));
  options.api_token = cfg.Get(config::kApiToken).Reveal();
  if (const auto* secrets = cfg.Find(config::kPortoneWebhookSecret)) {
    auto verifier = StandardWebhookVerifier::FromSecrets(secrets->Reveal());
    if (!verifier.ok()) {
      logger.Error("invalid PAYPIPE_PORTONE_WEBHOOK_SECRET", {{"error", verifier.error().message}});
      return cli::kExitUsage;
    }
    options.portone_verifier = std::move(*verifier);
  } else {
    logger.Warn(
        "PAYPIPE_PORTONE_WEBHOOK_SECRET is not set: signed PortOne webhooks are answered 503");
  }
  const auto confirm_timeout = cfg.Get(config::kGatewayConfirmTimeout);
  options.publishing.threads = static_cast<std::size_t>(publisher_threads_);
  options.publishing.capacity = static_cast<std::size_t>(queue_capacity_);
  options.publishing.gather = std::chrono::microseconds(publish_wait_us_);
  options.publishing.confirm_timeout = confirm_timeout;
  options.database.threads = static_cast<std::size_t>(db_threads_);
  options.database.queue_timeout = confirm_timeout;
  options.handler_timeout = confirm_timeout * 2 + std::chrono::seconds(10);

  infra::amqp::PublisherOptions publisher;
  publisher.connection.heartbeat =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.Get(config::kAmqpHeartbeat));
  publisher.connection.connection_name = "paypipe-gateway";
  // While the broker is down every request is refused at once; reconnect attempts at least
  // this often make the gateway publish again within the Retry-After it gave those requests.
  publisher.connection.backoff.max = std::chrono::seconds(2);
  publisher.publish_timeout = confirm_timeout;
  infra::db::ConnectOptions database;
  database.connect_timeout = std::chrono::seconds(3);

  GatewayPorts ports{AmqpPublisherFactory(*amqp_url, publisher),
                     MysqlConnectionFactory(*mysql_url, database)};
  auto gateway =
      Gateway::Start(std::move(options), std::move(ports), context.clock, context.metrics, logger);
  if (!gateway.ok()) {
    logger.Error("gateway failed to start",
                 {{"addr", address.ToString()}, {"error", gateway.error().ToString()}});
    return cli::kExitFailure;
  }
  logger.Info("gateway listening", {{"port", static_cast<std::int64_t>((*gateway)->port())}});

  while (!context.stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto grace = cfg.Get(config::kShutdownGrace);
  logger.Info("stopping: answering requests in flight",
              {{"grace_ms", static_cast<std::int64_t>(grace.count())}});
  if (!(*gateway)->Stop(grace)) {
    logger.Error("requests in flight did not finish within the grace period; exiting anyway");
    // Threads still use the gateway: end without unwinding.
    std::_Exit(kExitShutdownTimeout);
  }
  logger.Info("gateway stopped");
  return cli::kExitOk;
}

}  // namespace paypipe::gateway
