#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/cli/command.hpp"
#include "paypipe/infra/config/config.hpp"
#include "paypipe/infra/log/sink.hpp"

namespace paypipe::cli {

// The commands of the `paypipe` binary.
class CommandRegistry {
 public:
  // A path registered twice, or a path that is both a command and a group ("migrate" and
  // "migrate up"), is a programming error: std::logic_error.
  void Add(std::unique_ptr<Command> command);
  // One line describing a group of commands ("migrate"), shown by `paypipe migrate --help`.
  void DescribeGroup(std::string path, std::string summary);

  [[nodiscard]] const std::vector<std::unique_ptr<Command>>& commands() const noexcept {
    return commands_;
  }
  [[nodiscard]] std::string_view GroupSummary(std::string_view path) const;

 private:
  std::vector<std::unique_ptr<Command>> commands_;
  std::map<std::string, std::string, std::less<>> group_summaries_;
};

// One run of `paypipe`: its inputs and where its output goes. main fills it from the process;
// tests can fill it with fakes.
struct Invocation {
  std::vector<std::string> args;  // argv without the program name
  const infra::config::Environment& environment;
  const infra::config::FileReader& read_file;
  std::ostream& out;
  std::ostream& err;
  infra::log::Sink& log_sink;
  const infra::clock::Clock& clock;
  infra::metrics::Registry& metrics;
  std::stop_token stop;
};

// Parses the command line, handles --help and --version, loads and validates the configuration
// of the chosen command (exit kExitUsage with every problem on stderr when it is invalid), builds
// its logger, runs it and returns its exit status. An exception escaping the command is logged
// and gives kExitFailure.
[[nodiscard]] int RunCommandLine(const CommandRegistry& registry,
                                 const infra::config::Catalog& catalog,
                                 const Invocation& invocation);

// "paypipe 0.1.0"
[[nodiscard]] std::string_view VersionText();

}  // namespace paypipe::cli
