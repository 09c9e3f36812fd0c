#pragma once

#include "paypipe/cli/app.hpp"
#include "paypipe/infra/config/config.hpp"

namespace paypipe::cli {

// Adds every command of the `paypipe` binary to `registry`. This is the one list to extend when a
// command is added. `catalog` outlives the registry.
void RegisterCommands(CommandRegistry& registry, const infra::config::Catalog& catalog);

}  // namespace paypipe::cli
