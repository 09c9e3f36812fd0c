#pragma once

#include <CLI/CLI.hpp>

namespace paypipe::cli {

// Adds every subcommand of `paypipe` to `app`. Each subcommand's callback runs the command and
// records its exit code in `exit_code`.
void RegisterCommands(CLI::App& app, int& exit_code);

}  // namespace paypipe::cli
