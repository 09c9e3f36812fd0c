#pragma once

#include <string>
#include <vector>

#include "paypipe/cli/command.hpp"

namespace paypipe::gateway {

// Exit status when requests in flight were not finished within PAYPIPE_SHUTDOWN_GRACE.
inline constexpr int kExitShutdownTimeout = 3;

// `paypipe gateway`: serves the HTTP API on PAYPIPE_HTTP_ADDR until SIGTERM/SIGINT, then stops
// accepting, answers what is in flight and exits within PAYPIPE_SHUTDOWN_GRACE.
class GatewayCommand final : public cli::Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "gateway"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Serve the HTTP API: PG webhooks, the payment API, health and metrics";
  }
  [[nodiscard]] std::vector<infra::config::SettingUse> Settings() const override;
  void AddArguments(CLI::App& app) override;
  [[nodiscard]] int Run(const cli::CommandContext& context) override;

 private:
  int loop_threads_ = 1;
  int publisher_threads_ = 2;
  int db_threads_ = 4;
  int queue_capacity_ = 10'000;
  int publish_wait_us_ = 200;
};

}  // namespace paypipe::gateway
