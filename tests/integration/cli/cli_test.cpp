// Runs the built `paypipe` binary as operators do and checks its exit status and output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "paypipe/infra/config/settings.hpp"
#include "paypipe/testing/process.hpp"

namespace {

using paypipe::testing::RunPaypipe;
using Outcome = paypipe::testing::ProcessOutcome;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(PaypipeBinary, HelpListsTheCommands) {
  const Outcome run = RunPaypipe({"--help"});
  EXPECT_EQ(run.status, 0);
  EXPECT_TRUE(Contains(run.out, "Usage: paypipe")) << run.out;
  const auto commands = run.out.find("Commands:\n");
  ASSERT_NE(commands, std::string::npos) << run.out;
  // Padding depends on the longest command path registered, so only the order is checked.
  const auto config_check = run.out.find("\n  config check ", commands);
  ASSERT_NE(config_check, std::string::npos) << run.out;
  const auto summary = run.out.find("Validate the PAYPIPE_* environment", config_check);
  EXPECT_NE(summary, std::string::npos) << run.out;
  EXPECT_LT(summary, run.out.find('\n', config_check + 1)) << "summary on the command's line";
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_<NAME>_FILE")) << run.out;
}

TEST(PaypipeBinary, VersionNamesTheProgram) {
  const Outcome run = RunPaypipe({"--version"});
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.out.rfind("paypipe ", 0), 0u) << run.out;
  EXPECT_EQ(run.out.back(), '\n');
}

TEST(PaypipeBinary, CommandHelpListsItsSettingsWithEnvironmentNamesAndDefaults) {
  const Outcome run = RunPaypipe({"config", "check", "--help"});
  EXPECT_EQ(run.status, 0);
  for (const auto* setting : paypipe::infra::config::kAllSettings) {
    EXPECT_TRUE(Contains(run.out, "[env: " + std::string(setting->env))) << setting->env;
  }
  EXPECT_TRUE(Contains(run.out, "--log-level")) << run.out;
  EXPECT_TRUE(Contains(run.out, "[default: info]")) << run.out;
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_API_TOKEN_FILE")) << run.out;
}

TEST(PaypipeBinary, GroupHelpListsItsCommands) {
  const Outcome run = RunPaypipe({"config", "--help"});
  EXPECT_EQ(run.status, 0);
  EXPECT_TRUE(Contains(run.out, "check")) << run.out;
}

TEST(PaypipeBinary, MissingOrUnknownCommandIsAUsageError) {
  EXPECT_EQ(RunPaypipe({}).status, 2);
  const Outcome unknown = RunPaypipe({"frobnicate"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_TRUE(Contains(unknown.err, "frobnicate")) << unknown.err;
  EXPECT_EQ(RunPaypipe({"config"}).status, 2);
  EXPECT_EQ(RunPaypipe({"config", "check", "--no-such-flag"}).status, 2);
}

TEST(PaypipeBinary, UnknownPaypipeVariableStopsTheProcess) {
  const Outcome run = RunPaypipe({"config", "check"}, {"PAYPIPE_AMQP_URLL=amqp://h/"});
  EXPECT_EQ(run.status, 2);
  EXPECT_TRUE(Contains(run.err, "PAYPIPE_AMQP_URLL")) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST(PaypipeBinary, InvalidValueStopsTheProcessNamingTheSetting) {
  const Outcome run = RunPaypipe({"config", "check"}, {"PAYPIPE_HTTP_ADDR=localhost"});
  EXPECT_EQ(run.status, 2);
  EXPECT_TRUE(Contains(run.err, "PAYPIPE_HTTP_ADDR: invalid value \"localhost\"")) << run.err;
  const Outcome flag = RunPaypipe({"config", "check", "--concurrency", "0"});
  EXPECT_EQ(flag.status, 2);
  EXPECT_TRUE(Contains(flag.err, "PAYPIPE_CONCURRENCY")) << flag.err;
}

TEST(PaypipeBinary, ConfigCheckPrintsEffectiveSettingsWithSecretsRedacted) {
  char path[] = "/tmp/paypipe_cli_secret_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string file_secret = "test_sk_FILESECRET\n";
  ASSERT_EQ(::write(fd, file_secret.data(), file_secret.size()),
            static_cast<ssize_t>(file_secret.size()));
  ::close(fd);

  const Outcome run = RunPaypipe(
      {"config", "check", "--portone-imp-secret", "FLAGSECRET"},
      {"PAYPIPE_AMQP_URL=amqp://paypipe:hunter2@127.0.0.1:5672/%2f",
       "PAYPIPE_API_TOKEN=tok-ENVSECRET", std::string("PAYPIPE_TOSS_SECRET_KEY_FILE=") + path,
       "PAYPIPE_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/XOXPATHSECRET",
       "PAYPIPE_LOG_LEVEL=debug"});
  ::unlink(path);
  EXPECT_EQ(run.status, 0) << run.err;
  for (const std::string secret :
       {"hunter2", "ENVSECRET", "FILESECRET", "XOXPATHSECRET", "FLAGSECRET"}) {
    EXPECT_FALSE(Contains(run.out, secret)) << secret << " leaked to stdout:\n" << run.out;
    EXPECT_FALSE(Contains(run.err, secret)) << secret << " leaked to stderr:\n" << run.err;
  }
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_API_TOKEN=<redacted>  # environment\n")) << run.out;
  EXPECT_TRUE(
      Contains(run.out, "PAYPIPE_TOSS_SECRET_KEY=<redacted>  # file " + std::string(path) + "\n"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_AMQP_URL=amqp://paypipe:<redacted>@127.0.0.1:5672/%2f"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_SLACK_WEBHOOK_URL=https://hooks.slack.com/<redacted>"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_MYSQL_URL  # unset\n")) << run.out;
}

TEST(PaypipeBinary, FlagsOverrideTheEnvironment) {
  const Outcome run = RunPaypipe({"config", "check", "--concurrency=8"}, {"PAYPIPE_CONCURRENCY=2"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "PAYPIPE_CONCURRENCY=8  # flag --concurrency\n")) << run.out;
}

TEST(PaypipeBinary, LogsAreJsonLinesOnStderr) {
  const Outcome run = RunPaypipe({"config", "check", "--log-level", "debug"});
  EXPECT_EQ(run.status, 0) << run.err;
  std::istringstream lines(run.err);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const auto record = nlohmann::json::parse(line);
    EXPECT_EQ(record["logger"], "paypipe.config.check");
    EXPECT_TRUE(record.contains("ts") && record.contains("level") && record.contains("msg"));
    ++count;
  }
  EXPECT_GE(count, 1) << "debug level shows at least the start of the command";
  // At the default level the command itself is quiet.
  EXPECT_TRUE(RunPaypipe({"config", "check"}).err.empty());
}

}  // namespace
