#pragma once

#include <string>
#include <vector>

#include "paypipe/cli/command.hpp"

namespace paypipe::scheduler {

// Exit status when a job's unit in flight did not finish within PAYPIPE_SHUTDOWN_GRACE (the
// process ends anyway; the lease expires by itself and the database holds the job's state).
inline constexpr int kExitShutdownTimeout = 3;

// `paypipe scheduler`: the periodic jobs (today `reconcile-payments`), each run only while this
// replica holds the job's lease in the database, so that any number of replicas may run; health,
// readiness and metrics on PAYPIPE_HTTP_ADDR. Runs until SIGTERM/SIGINT, then finishes the unit
// in hand and gives its leases up.
class SchedulerCommand final : public cli::Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "scheduler"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Run the periodic jobs (stuck-payment reconciliation), one replica at a time per job";
  }
  [[nodiscard]] std::vector<infra::config::SettingUse> Settings() const override;
  [[nodiscard]] int Run(const cli::CommandContext& context) override;
};

}  // namespace paypipe::scheduler
