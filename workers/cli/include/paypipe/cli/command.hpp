#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <stop_token>
#include <string_view>
#include <vector>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/config/config.hpp"
#include "paypipe/infra/config/setting.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/infra/metrics/registry.hpp"

namespace paypipe::cli {

// Exit codes shared by every command. Commands may define more of their own from 3 up.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
// Bad command line or configuration: the process was never started properly; retrying without a
// change cannot help.
inline constexpr int kExitUsage = 2;

// What a command receives when it runs. Everything here is built in main and outlives Run.
struct CommandContext {
  // Validated values of the settings the command declared, PAYPIPE_LOG_LEVEL included.
  const infra::config::Config& config;
  // Named after the command ("paypipe.migrate.up"); derive children per component.
  const infra::log::Logger& logger;
  const infra::clock::Clock& clock;
  // The process's metrics, rendered by whoever serves /metrics.
  infra::metrics::Registry& metrics;
  // Requested on the first SIGTERM or SIGINT: stop taking work, finish what is in flight within
  // PAYPIPE_SHUTDOWN_GRACE, return.
  std::stop_token stop;
  // Output meant for the operator who ran the command (reports, tables, dumps): stdout. Logs go
  // to the logger, which writes to stderr.
  std::ostream& out;
};

// One `paypipe` command. Implement it in the library that owns the command's logic, and add an
// instance to the registry in RegisterCommands (commands.cpp). The command line, the settings'
// flags, --help, configuration loading and validation, the logger and exit on configuration
// errors are handled before Run is called.
class Command {
 public:
  virtual ~Command() = default;

  // Words after `paypipe`, separated by single spaces: "migrate up" is `paypipe migrate up`.
  // Shared leading words ("migrate") become a group that lists its commands.
  [[nodiscard]] virtual std::string_view Path() const = 0;
  // One line for --help.
  [[nodiscard]] virtual std::string_view Summary() const = 0;
  // Every setting Run reads, each Required or Optional. `paypipe CMD --help` lists exactly these
  // (with their environment variables and defaults) and Config::Get refuses any other.
  // PAYPIPE_LOG_LEVEL is added to every command and need not be listed.
  [[nodiscard]] virtual std::vector<infra::config::SettingUse> Settings() const = 0;
  // Positional arguments and options of the command's own, bound to members of the command;
  // their values are set before Run is called.
  virtual void AddArguments(CLI::App& app) { (void)app; }
  // The exit status of the process.
  [[nodiscard]] virtual int Run(const CommandContext& context) = 0;
};

}  // namespace paypipe::cli
