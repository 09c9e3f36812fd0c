#include "paypipe/cli/config_check_command.hpp"

namespace paypipe::cli {

std::vector<infra::config::SettingUse> ConfigCheckCommand::Settings() const {
  std::vector<infra::config::SettingUse> uses;
  for (const infra::config::SettingInfo* setting : catalog_.settings()) {
    uses.push_back(infra::config::Optional(*setting));
  }
  return uses;
}

int ConfigCheckCommand::Run(const CommandContext& context) {
  // Reaching Run means the configuration loaded: every variable is known and every value valid.
  context.out << context.config.Dump();
  context.out.flush();
  return context.out ? kExitOk : kExitFailure;
}

}  // namespace paypipe::cli
