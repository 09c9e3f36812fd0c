#include "paypipe/cli/commands.hpp"

namespace paypipe::cli {

void RegisterCommands(CLI::App& app, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace paypipe::cli
