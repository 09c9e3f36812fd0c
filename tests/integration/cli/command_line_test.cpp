// The command framework in-process: a command is registered, its settings become flags, its
// configuration is validated before it runs, and it receives typed values and a named logger.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "paypipe/cli/app.hpp"
#include "paypipe/cli/command.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/config/settings.hpp"
#include "paypipe/infra/log/sink.hpp"
#include "paypipe/infra/metrics/registry.hpp"

namespace paypipe::cli {
namespace {

namespace config = infra::config;

// Records what it was given.
class RecordingCommand final : public Command {
 public:
  explicit RecordingCommand(std::string path = "test run") : path_(std::move(path)) {}

  [[nodiscard]] std::string_view Path() const override { return path_; }
  [[nodiscard]] std::string_view Summary() const override { return "A command for tests"; }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override {
    return {config::Required(config::kAmqpUrl), config::Optional(config::kConcurrency)};
  }
  void AddArguments(CLI::App& app) override {
    app.add_option("stages", stages_, "Stages to run")->required();
  }
  [[nodiscard]] int Run(const CommandContext& context) override {
    ++runs;
    if (throw_in_run) throw std::runtime_error("boom");
    amqp_host = context.config.Get(config::kAmqpUrl).host;
    concurrency = context.config.Get(config::kConcurrency);
    stages = stages_;
    stop_requested = context.stop.stop_requested();
    context.logger.Warn("ran", {{"stages", stages_}});
    context.out << "done\n";
    return 7;
  }

  int runs = 0;
  bool throw_in_run = false;
  std::string amqp_host;
  std::int64_t concurrency = 0;
  std::string stages;
  bool stop_requested = false;

 private:
  std::string path_;
  std::string stages_;
};

class CommandLine : public ::testing::Test {
 protected:
  CommandLine() {
    auto command = std::make_unique<RecordingCommand>();
    command_ = command.get();
    registry_.Add(std::move(command));
    registry_.DescribeGroup("test", "Commands for tests");
  }

  int Run(std::vector<std::string> args) {
    const Invocation invocation{.args = std::move(args),
                                .environment = environment_,
                                .read_file = read_file_,
                                .out = out_,
                                .err = err_,
                                .log_sink = sink_,
                                .clock = clock_,
                                .metrics = metrics_,
                                .stop = stop_.get_token()};
    return RunCommandLine(registry_, catalog_, invocation);
  }

  std::vector<nlohmann::json> LogRecords() const {
    std::vector<nlohmann::json> records;
    for (const auto& line : sink_.Lines()) records.push_back(nlohmann::json::parse(line));
    return records;
  }

  const config::Catalog catalog_ = config::Catalog::Builtin();
  CommandRegistry registry_;
  RecordingCommand* command_ = nullptr;
  config::Environment environment_ = {{"PAYPIPE_AMQP_URL", "amqp://rabbit:5672/%2f"},
                                      {"PAYPIPE_CONCURRENCY", "2"}};
  const config::FileReader read_file_ = config::ReadWholeFile;
  std::ostringstream out_;
  std::ostringstream err_;
  infra::log::MemorySink sink_;
  infra::clock::FakeClock clock_;
  infra::metrics::Registry metrics_;
  std::stop_source stop_;
};

TEST_F(CommandLine, CommandRunsWithTypedConfigurationArgumentsAndLogger) {
  EXPECT_EQ(Run({"test", "run", "confirm,cancel-retry", "--concurrency", "3"}), 7);
  EXPECT_EQ(command_->runs, 1);
  EXPECT_EQ(command_->amqp_host, "rabbit");
  EXPECT_EQ(command_->concurrency, 3);
  EXPECT_EQ(command_->stages, "confirm,cancel-retry");
  EXPECT_EQ(out_.str(), "done\n");
  const auto records = LogRecords();
  ASSERT_EQ(records.size(), 1u);  // "starting" is debug, below the default level
  EXPECT_EQ(records[0]["logger"], "paypipe.test.run");
  EXPECT_EQ(records[0]["level"], "warn");
  EXPECT_EQ(records[0]["stages"], "confirm,cancel-retry");
}

TEST_F(CommandLine, LogLevelSettingAppliesToTheCommandsLogger) {
  EXPECT_EQ(Run({"test", "run", "x", "--log-level", "error"}), 7);
  EXPECT_TRUE(sink_.Lines().empty());
  environment_["PAYPIPE_LOG_LEVEL"] = "debug";
  EXPECT_EQ(Run({"test", "run", "x"}), 7);
  EXPECT_EQ(LogRecords().size(), 2u);
  EXPECT_EQ(LogRecords()[0]["level"], "debug");
}

TEST_F(CommandLine, InvalidConfigurationStopsBeforeTheCommandRuns) {
  environment_.erase("PAYPIPE_AMQP_URL");
  environment_["PAYPIPE_TYPO"] = "1";
  EXPECT_EQ(Run({"test", "run", "x"}), kExitUsage);
  EXPECT_EQ(command_->runs, 0);
  EXPECT_NE(err_.str().find("PAYPIPE_AMQP_URL: required"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("PAYPIPE_TYPO: unknown setting"), std::string::npos) << err_.str();
}

TEST_F(CommandLine, MissingArgumentIsAUsageError) {
  EXPECT_EQ(Run({"test", "run"}), kExitUsage);
  EXPECT_EQ(command_->runs, 0);
}

TEST_F(CommandLine, HelpListsExactlyTheDeclaredSettings) {
  EXPECT_EQ(Run({"test", "run", "--help"}), kExitOk);
  const std::string help = out_.str();
  EXPECT_NE(help.find("--amqp-url"), std::string::npos) << help;
  EXPECT_NE(help.find("[required]"), std::string::npos) << help;
  EXPECT_NE(help.find("--concurrency"), std::string::npos) << help;
  EXPECT_NE(help.find("--log-level"), std::string::npos) << help;
  EXPECT_NE(help.find("stages"), std::string::npos) << help;
  EXPECT_EQ(help.find("--api-token"), std::string::npos) << help;
  EXPECT_EQ(help.find("--mysql-url"), std::string::npos) << help;
  EXPECT_EQ(command_->runs, 0);

  out_.str("");
  EXPECT_EQ(Run({"test", "--help"}), kExitOk);
  EXPECT_NE(out_.str().find("Commands for tests"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("run"), std::string::npos) << out_.str();
}

TEST_F(CommandLine, FlagsOfOtherCommandsAreRefused) {
  EXPECT_EQ(Run({"test", "run", "x", "--api-token", "t"}), kExitUsage);
  EXPECT_EQ(command_->runs, 0);
}

TEST_F(CommandLine, ExceptionFromACommandIsLoggedAndFails) {
  command_->throw_in_run = true;
  EXPECT_EQ(Run({"test", "run", "x"}), kExitFailure);
  const auto records = LogRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["level"], "error");
  EXPECT_EQ(records[0]["error"], "boom");
}

TEST_F(CommandLine, CommandSeesAStopRequestedBeforeOrDuringItsRun) {
  stop_.request_stop();
  EXPECT_EQ(Run({"test", "run", "x"}), 7);
  EXPECT_TRUE(command_->stop_requested);
}

// Lists settings twice, including the log level every command gets anyway.
class RepeatingCommand final : public Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "repeat"; }
  [[nodiscard]] std::string_view Summary() const override { return "Repeats its settings"; }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override {
    return {config::Optional(config::kApiToken), config::Optional(config::kLogLevel),
            config::Required(config::kApiToken)};
  }
  [[nodiscard]] int Run(const CommandContext& context) override {
    return context.config.Get(config::kApiToken).Reveal() == "t" ? kExitOk : kExitFailure;
  }
};

TEST_F(CommandLine, SettingListedTwiceIsOneFlagWithTheStricterNeed) {
  registry_.Add(std::make_unique<RepeatingCommand>());
  EXPECT_EQ(Run({"repeat", "--api-token", "t", "--log-level", "warn"}), kExitOk);
  EXPECT_EQ(Run({"repeat"}), kExitUsage);
  EXPECT_NE(err_.str().find("PAYPIPE_API_TOKEN: required"), std::string::npos) << err_.str();
}

// A command with CLI11 subcommands of its own, and a positional argument.
class ModalCommand final : public Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "tool modal"; }
  [[nodiscard]] std::string_view Summary() const override { return "Has modes"; }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override { return {}; }
  void AddArguments(CLI::App& app) override {
    app.add_subcommand("list", "List")->add_option("filter", filter_);
    app.add_option("target", target_);
  }
  [[nodiscard]] int Run(const CommandContext&) override {
    ran_with = filter_ + "|" + target_;
    return kExitOk;
  }
  std::string ran_with;

 private:
  std::string filter_;
  std::string target_;
};

TEST_F(CommandLine, WordsAfterACommandBelongToTheCommand) {
  auto command = std::make_unique<ModalCommand>();
  ModalCommand* modal = command.get();
  registry_.Add(std::move(command));
  EXPECT_EQ(Run({"tool", "modal", "list", "stage=confirm"}), kExitOk) << err_.str();
  EXPECT_EQ(modal->ran_with, "stage=confirm|");
  EXPECT_EQ(Run({"tool", "modal", "somewhere"}), kExitOk) << err_.str();
  // Bound members keep the previous run's values: only the new positional is checked.
  EXPECT_TRUE(modal->ran_with.ends_with("|somewhere")) << modal->ran_with;
  EXPECT_EQ(Run({"tool", "moda"}), kExitUsage);
  EXPECT_NE(err_.str().find("unknown command \"tool moda\""), std::string::npos) << err_.str();
}

TEST(CommandRegistry, RefusesClashingPaths) {
  CommandRegistry registry;
  registry.Add(std::make_unique<RecordingCommand>("migrate up"));
  EXPECT_THROW(registry.Add(std::make_unique<RecordingCommand>("migrate up")), std::logic_error);
  EXPECT_THROW(registry.Add(std::make_unique<RecordingCommand>("migrate")), std::logic_error);
  EXPECT_THROW(registry.Add(std::make_unique<RecordingCommand>("migrate up now")),
               std::logic_error);
  EXPECT_THROW(registry.Add(std::make_unique<RecordingCommand>("bad  path")), std::logic_error);
  EXPECT_THROW(registry.Add(std::make_unique<RecordingCommand>("")), std::logic_error);
  EXPECT_NO_THROW(registry.Add(std::make_unique<RecordingCommand>("migrate status")));
  EXPECT_NO_THROW(registry.Add(std::make_unique<RecordingCommand>("migrates")));
  EXPECT_EQ(registry.commands().size(), 3u);
}

}  // namespace
}  // namespace paypipe::cli
