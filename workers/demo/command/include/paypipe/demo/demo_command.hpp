#pragma once

#include <cstdint>
#include <string>

#include "paypipe/cli/command.hpp"

namespace paypipe::demo {

// `paypipe demo drive`: the storefront of scripts/demo.sh. Drives checkouts and confirms through a
// running gateway and sim, waits until the pipeline is idle and prints the report (exit 0 when
// every payment is as the PG has it and the books balance, 1 otherwise). It reads the database,
// the management API and the sim only; it changes nothing but what a storefront changes.
class DemoDriveCommand final : public cli::Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "demo drive"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Demo storefront: drive checkouts and confirms through a running gateway and sim, "
           "wait until idle, report";
  }
  [[nodiscard]] std::vector<infra::config::SettingUse> Settings() const override;
  void AddArguments(CLI::App& app) override;
  [[nodiscard]] int Run(const cli::CommandContext& context) override;

 private:
  std::string gateway_url_ = "http://127.0.0.1:8080";
  std::string sim_url_ = "http://127.0.0.1:8090";
  std::string worker_metrics_url_;
  std::string partner_ = "demo-partner";
  std::string order_prefix_ = "demo";
  int checkouts_ = 2000;
  int concurrency_ = 16;
  int rate_ = 0;
  std::uint64_t seed_ = 42;
  int wrong_amount_per_mille_ = 20;
  int double_confirm_per_mille_ = 50;
  int idle_timeout_s_ = 180;
};

}  // namespace paypipe::demo
