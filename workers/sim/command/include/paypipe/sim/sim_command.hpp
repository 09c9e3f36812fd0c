#pragma once

#include <cstdint>
#include <string>

#include "paypipe/cli/command.hpp"

namespace paypipe::sim {

// `paypipe sim [serve|ledger|reset]`:
//   serve (default)  runs the simulator until SIGTERM/SIGINT and prints
//                    {"listening":"http://host:port"} on stdout once it accepts requests;
//   ledger --url U   prints the truth ledger of the sim at U (GET /_sim/ledger; with
//                    --summary only counts, GET /_sim/ledger/summary);
//   reset --url U    clears the sim at U (POST /_sim/reset).
// The keys the sim accepts are the ones paypipe itself is configured with
// (PAYPIPE_TOSS_SECRET_KEY, PAYPIPE_PORTONE_*), so one environment drives both.
class SimCommand final : public cli::Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "sim"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Run the Toss/PortOne/Slack simulator with fault injection (or: sim ledger|reset "
           "--url URL)";
  }
  [[nodiscard]] std::vector<infra::config::SettingUse> Settings() const override;
  void AddArguments(CLI::App& app) override;
  [[nodiscard]] int Run(const cli::CommandContext& context) override;

 private:
  [[nodiscard]] int Serve(const cli::CommandContext& context);
  [[nodiscard]] int Remote(const cli::CommandContext& context, const std::string& method,
                           const std::string& path);

  std::string action_ = "serve";
  std::string url_ = "http://127.0.0.1:8080";
  std::uint64_t seed_ = 1;
  std::string faults_;
  std::string toss_webhook_url_;
  std::string portone_webhook_url_;
  std::string portone_v1_webhook_url_;
  bool portone_v1_webhook_form_ = false;
  double webhook_time_scale_ = 1.0;
  std::int64_t webhook_timeout_ms_ = 10'000;
  int webhook_threads_ = 4;
  int loop_threads_ = 2;
  std::string port_file_;
  bool summary_ = false;
};

}  // namespace paypipe::sim
