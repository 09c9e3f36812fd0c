#pragma once

#include "paypipe/cli/app.hpp"

namespace paypipe::cli::migrate {

// Registers `paypipe migrate up` and `paypipe migrate status`.
void RegisterMigrateCommands(CommandRegistry& registry);

}  // namespace paypipe::cli::migrate
