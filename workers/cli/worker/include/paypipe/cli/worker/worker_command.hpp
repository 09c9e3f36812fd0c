#pragma once

#include <string>
#include <vector>

#include "paypipe/cli/app.hpp"
#include "paypipe/cli/command.hpp"
#include "paypipe/runtime/stage_registry.hpp"

namespace paypipe::cli::worker {

// Exit status when work in flight did not finish within PAYPIPE_SHUTDOWN_GRACE (the process
// ends anyway; unacked deliveries are redelivered and deduplicated by the inbox).
inline constexpr int kExitShutdownTimeout = 3;

// `paypipe worker STAGE[,STAGE...]`: consume threads for each named stage (PAYPIPE_CONCURRENCY
// each, own connections), the outbox relay, and /healthz, /readyz, /metrics on
// PAYPIPE_HTTP_ADDR. The queues come from the compiled-in topology (`paypipe topology apply`
// declares them). Runs until SIGTERM/SIGINT, then finishes the batches in hand within
// PAYPIPE_SHUTDOWN_GRACE.
class WorkerCommand final : public Command {
 public:
  explicit WorkerCommand(const runtime::StageRegistry& stages) : stages_(stages) {}

  [[nodiscard]] std::string_view Path() const override { return "worker"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Run pipeline stages: consume, commit effects, publish the next messages";
  }
  [[nodiscard]] std::vector<infra::config::SettingUse> Settings() const override;
  void AddArguments(CLI::App& app) override;
  [[nodiscard]] int Run(const CommandContext& context) override;

 private:
  const runtime::StageRegistry& stages_;
  std::string stage_list_;
};

// Adds `paypipe worker` running the stages of `stages` (which outlives the registry).
void RegisterWorkerCommand(CommandRegistry& registry, const runtime::StageRegistry& stages);

}  // namespace paypipe::cli::worker
