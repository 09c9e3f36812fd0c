#pragma once

#include "paypipe/cli/command.hpp"
#include "paypipe/infra/config/config.hpp"

namespace paypipe::cli {

// `paypipe config check`: validates every PAYPIPE_* setting of the environment (and any flags) as
// every command would, and prints the effective value and source of each, secrets redacted.
// Settings a particular command requires are not enforced here, since one environment usually
// serves one process.
class ConfigCheckCommand final : public Command {
 public:
  explicit ConfigCheckCommand(const infra::config::Catalog& catalog) : catalog_(catalog) {}

  [[nodiscard]] std::string_view Path() const override { return "config check"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Validate the PAYPIPE_* environment and print the effective settings, secrets "
           "redacted";
  }
  [[nodiscard]] std::vector<infra::config::SettingUse> Settings() const override;
  [[nodiscard]] int Run(const CommandContext& context) override;

 private:
  const infra::config::Catalog& catalog_;
};

}  // namespace paypipe::cli
