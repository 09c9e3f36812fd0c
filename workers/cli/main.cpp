#include <CLI/CLI.hpp>

#include "paypipe/cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"paypipe: payment event pipeline for Toss Payments and PortOne"};
  app.require_subcommand(1);
  int exit_code = 0;
  paypipe::cli::RegisterCommands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
