#include "paypipe/cli/commands.hpp"

#include <memory>

#include "paypipe/cli/config_check_command.hpp"
#include "paypipe/cli/migrate/migrate_commands.hpp"
#include "paypipe/cli/topology/topology_commands.hpp"
#include "paypipe/demo/demo_command.hpp"
#include "paypipe/gateway/gateway_command.hpp"
#include "paypipe/scheduler/scheduler_command.hpp"
#include "paypipe/sim/sim_command.hpp"

namespace paypipe::cli {

void RegisterCommands(CommandRegistry& registry, const infra::config::Catalog& catalog) {
  registry.DescribeGroup("config", "Inspect and validate the configuration");
  registry.Add(std::make_unique<ConfigCheckCommand>(catalog));
  migrate::RegisterMigrateCommands(registry);
  topology::RegisterTopologyCommands(registry);
  registry.Add(std::make_unique<sim::SimCommand>());
  registry.Add(std::make_unique<gateway::GatewayCommand>());
  registry.Add(std::make_unique<scheduler::SchedulerCommand>());
  registry.DescribeGroup("demo", "The README's demo (scripts/demo.sh)");
  registry.Add(std::make_unique<demo::DemoDriveCommand>());
}

}  // namespace paypipe::cli
