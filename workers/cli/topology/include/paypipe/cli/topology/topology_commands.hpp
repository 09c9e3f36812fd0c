#pragma once

#include "paypipe/cli/app.hpp"

namespace paypipe::cli::topology {

// `paypipe topology apply|check|export`.
void RegisterTopologyCommands(CommandRegistry& registry);

}  // namespace paypipe::cli::topology
