// The `paypipe` binary: builds the process-wide dependencies and hands over to the command line.
#include <unistd.h>

#include <csignal>
#include <exception>
#include <iostream>
#include <memory>

#include "paypipe/cli/app.hpp"
#include "paypipe/cli/commands.hpp"
#include "paypipe/cli/shutdown_signals.hpp"
#include "paypipe/cli/worker/worker_command.hpp"
#include "paypipe/confirm/confirm_stage.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/config/config.hpp"
#include "paypipe/infra/config/settings.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/log/sink.hpp"
#include "paypipe/infra/metrics/registry.hpp"
#include "paypipe/runtime/stage_registry.hpp"
#include "paypipe/test_stage/echo_stage.hpp"
#include "paypipe/webhook_intake/webhook_intake_stage.hpp"

namespace {

// The PG settings of the payment stages. Read here because stages are built before a command
// runs; an invalid environment is reported by the command itself (Load validates every
// PAYPIPE_* variable), so a failure here only leaves the settings at their defaults.
paypipe::pg::PgSettings ReadPgSettings(const paypipe::infra::config::Catalog& catalog,
                                       const paypipe::infra::config::Environment& environment,
                                       const paypipe::infra::config::FileReader& read_file) {
  namespace config = paypipe::infra::config;
  const config::SettingUse uses[] = {
      config::Optional(config::kTossSecretKey),    config::Optional(config::kTossApiBase),
      config::Optional(config::kPortoneApiSecret), config::Optional(config::kPortoneApiBase),
      config::Optional(config::kPortoneImpKey),    config::Optional(config::kPortoneImpSecret),
      config::Optional(config::kPortoneV1ApiBase), config::Optional(config::kHttpClientTimeout)};
  paypipe::pg::PgSettings settings;
  auto loaded = config::Load(catalog, uses, environment, {}, read_file);
  if (!loaded.ok()) return settings;
  const config::Config& cfg = *loaded;
  auto secret = [&](const config::Setting<config::Secret>& setting) {
    const auto* value = cfg.Find(setting);
    return value != nullptr ? value->Reveal() : std::string();
  };
  settings.toss_secret_key = secret(config::kTossSecretKey);
  settings.toss_api_base = cfg.Get(config::kTossApiBase).text;
  settings.portone_api_secret = secret(config::kPortoneApiSecret);
  settings.portone_api_base = cfg.Get(config::kPortoneApiBase).text;
  settings.portone_imp_key = secret(config::kPortoneImpKey);
  settings.portone_imp_secret = secret(config::kPortoneImpSecret);
  settings.portone_v1_api_base = cfg.Get(config::kPortoneV1ApiBase).text;
  settings.timeout = cfg.Get(config::kHttpClientTimeout);
  return settings;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  namespace config = paypipe::infra::config;
  try {
    // A peer that closes a socket or pipe must show up as EPIPE on that write, not end the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Before any other thread exists, so that every thread inherits the blocked signals.
    const paypipe::cli::ShutdownSignals shutdown;
    // libcurl's global set-up must precede every thread and every client.
    const paypipe::infra::http_client::CurlGlobal curl;

    const config::Environment environment = config::EnvironmentFromBlock(envp);
    const config::FileReader read_file = config::ReadWholeFile;
    const config::Catalog catalog = config::Catalog::Builtin();
    const paypipe::infra::clock::SystemClock clock;
    paypipe::infra::log::FileDescriptorSink log_sink(STDERR_FILENO);
    paypipe::infra::metrics::Registry metrics;

    // The stages `paypipe worker` can run; they outlive the commands that refer to them.
    paypipe::runtime::StageRegistry stages;
    stages.Add(std::make_unique<paypipe::test_stage::EchoStage>());
    stages.Add(std::make_unique<paypipe::confirm::ConfirmStage>(
        ReadPgSettings(catalog, environment, read_file), metrics));
    stages.Add(std::make_unique<paypipe::webhook_intake::WebhookIntakeStage>());

    paypipe::cli::CommandRegistry registry;
    paypipe::cli::RegisterCommands(registry, catalog);
    paypipe::cli::worker::RegisterWorkerCommand(registry, stages);

    const paypipe::cli::Invocation invocation{
        .args = {argv + 1, argv + argc},
        .environment = environment,
        .read_file = read_file,
        .out = std::cout,
        .err = std::cerr,
        .log_sink = log_sink,
        .clock = clock,
        .metrics = metrics,
        .stop = shutdown.token(),
    };
    return paypipe::cli::RunCommandLine(registry, catalog, invocation);
  } catch (const std::exception& error) {
    std::cerr << "paypipe: fatal: " << error.what() << "\n";
    return paypipe::cli::kExitFailure;
  }
}
