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
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/config/config.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/log/sink.hpp"
#include "paypipe/infra/metrics/registry.hpp"
#include "paypipe/runtime/stage_registry.hpp"
#include "paypipe/test_stage/echo_stage.hpp"

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
