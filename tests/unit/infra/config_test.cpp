#include "paypipe/infra/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "paypipe/infra/config/setting.hpp"
#include "paypipe/infra/config/settings.hpp"
#include "paypipe/infra/config/values.hpp"

namespace paypipe::infra::config {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> ProblemLines(const domain::Error& error) {
  std::vector<std::string> lines;
  std::string_view rest = error.message;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    lines.emplace_back(rest.substr(0, newline));
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  return lines;
}

// The load failed with exactly one problem, about `variable`, whose text contains `fragment`.
::testing::AssertionResult RefusedFor(const domain::Result<Config>& result,
                                      std::string_view variable, std::string_view fragment = "") {
  if (result.ok()) return ::testing::AssertionFailure() << "the configuration was accepted";
  if (result.error().code != "CONFIG_INVALID") {
    return ::testing::AssertionFailure() << "code " << result.error().code;
  }
  const auto lines = ProblemLines(result.error());
  if (lines.size() != 1) {
    return ::testing::AssertionFailure() << "expected one problem, got: " << result.error().message;
  }
  if (!lines[0].starts_with(std::string(variable) + ": ")) {
    return ::testing::AssertionFailure() << "problem not about " << variable << ": " << lines[0];
  }
  if (lines[0].find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure() << "\"" << fragment << "\" not in: " << lines[0];
  }
  return ::testing::AssertionSuccess();
}

std::vector<SettingUse> EveryoneOptional() {
  std::vector<SettingUse> uses;
  for (const SettingInfo* setting : kAllSettings) uses.push_back(Optional(*setting));
  return uses;
}

class ConfigLoad : public ::testing::Test {
 protected:
  domain::Result<Config> LoadWith(const Environment& environment,
                                  const std::vector<SettingUse>& uses = EveryoneOptional(),
                                  const FlagValues& flags = {}) {
    return Load(catalog_, uses, environment, flags, read_file_);
  }

  const Catalog catalog_ = Catalog::Builtin();
  std::map<std::string, std::string> files_;
  std::vector<std::string> files_read_;
  const FileReader read_file_ = [this](const std::string& path) -> domain::Result<std::string> {
    files_read_.push_back(path);
    const auto found = files_.find(path);
    if (found == files_.end()) {
      return domain::Error::Permanent("CONFIG_FILE_UNREADABLE", "No such file or directory");
    }
    return found->second;
  };
};

// --- Variable names -----------------------------------------------------------------------------

TEST_F(ConfigLoad, UnknownPaypipeVariableIsRefusedByName) {
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_AMQP_URLL", "amqp://h/"}}), "PAYPIPE_AMQP_URLL",
                         "unknown setting (did you mean PAYPIPE_AMQP_URL?)"));
  const auto far_off = LoadWith({{"PAYPIPE_COLOUR_SCHEME", "dark"}});
  EXPECT_TRUE(RefusedFor(far_off, "PAYPIPE_COLOUR_SCHEME", "unknown setting"));
  EXPECT_EQ(far_off.error().message.find("did you mean"), std::string::npos);
}

TEST_F(ConfigLoad, VariablesOutsideThePrefixAreNotJudged) {
  const auto loaded =
      LoadWith({{"HOME", "/root"}, {"PAYPIPEX", "1"}, {"paypipe_log_level", "loud"}});
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
}

TEST_F(ConfigLoad, EveryProblemIsReportedAtOnce) {
  const auto loaded = LoadWith(
      {{"PAYPIPE_NOPE", "1"}, {"PAYPIPE_CONCURRENCY", "zero"}, {"PAYPIPE_LOG_LEVEL", "loud"}},
      {Required(kAmqpUrl), Optional(kConcurrency)});
  ASSERT_FALSE(loaded.ok());
  const auto lines = ProblemLines(loaded.error());
  ASSERT_EQ(lines.size(), 4u) << loaded.error().message;
  // Unknown variables first, then settings in catalog order.
  EXPECT_TRUE(lines[0].starts_with("PAYPIPE_NOPE: unknown setting"));
  EXPECT_TRUE(lines[1].starts_with("PAYPIPE_AMQP_URL: required"));
  EXPECT_TRUE(lines[2].starts_with("PAYPIPE_CONCURRENCY: invalid value"));
  EXPECT_TRUE(lines[3].starts_with("PAYPIPE_LOG_LEVEL: invalid value"));
}

// --- <NAME>_FILE ---------------------------------------------------------------------------------

TEST_F(ConfigLoad, SecretFileIsReadAndItsTrailingNewlinesTrimmed) {
  files_["/run/secrets/api-token"] = "tok-123\r\n\n";
  files_["/run/secrets/toss"] = "line one\nline two\n";
  const auto loaded = LoadWith({{"PAYPIPE_API_TOKEN_FILE", "/run/secrets/api-token"},
                                {"PAYPIPE_TOSS_SECRET_KEY_FILE", "/run/secrets/toss"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kApiToken).Reveal(), "tok-123");
  EXPECT_EQ(loaded->Get(kTossSecretKey).Reveal(), "line one\nline two");
  EXPECT_EQ(loaded->SourceOf(kApiToken), Source::kFile);
  EXPECT_EQ(files_read_.size(), 2u);
}

TEST_F(ConfigLoad, UrlWithCredentialsMayComeFromAFile) {
  files_["/run/secrets/amqp"] = "amqp://paypipe:pw@rabbit:5672/%2f\n";
  const auto loaded = LoadWith({{"PAYPIPE_AMQP_URL_FILE", "/run/secrets/amqp"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kAmqpUrl).password, "pw");
}

TEST_F(ConfigLoad, SecretFileIsReadFromDiskByDefault) {
  char path[] = "/tmp/paypipe_config_test_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string content = "whsec_abc\n";
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  const auto loaded =
      Load(catalog_, EveryoneOptional(), {{"PAYPIPE_PORTONE_WEBHOOK_SECRET_FILE", path}});
  ::unlink(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kPortoneWebhookSecret).Reveal(), "whsec_abc");
  const auto missing = Load(catalog_, EveryoneOptional(),
                            {{"PAYPIPE_PORTONE_WEBHOOK_SECRET_FILE", "/nonexistent/secret"}});
  EXPECT_TRUE(RefusedFor(missing, "PAYPIPE_PORTONE_WEBHOOK_SECRET",
                         "cannot read PAYPIPE_PORTONE_WEBHOOK_SECRET_FILE=/nonexistent/secret"));
}

TEST_F(ConfigLoad, OversizedSecretFileIsRefused) {
  const auto loaded = Load(catalog_, EveryoneOptional(), {{"PAYPIPE_API_TOKEN_FILE", "/dev/zero"}});
  EXPECT_TRUE(RefusedFor(loaded, "PAYPIPE_API_TOKEN", "larger than 65536 bytes"));
}

TEST_F(ConfigLoad, NameAndNameFileTogetherAreRefused) {
  files_["/s"] = "b";
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_API_TOKEN", "a"}, {"PAYPIPE_API_TOKEN_FILE", "/s"}}),
                         "PAYPIPE_API_TOKEN",
                         "both PAYPIPE_API_TOKEN and PAYPIPE_API_TOKEN_FILE are set"));
}

TEST_F(ConfigLoad, FileIsRefusedForSettingsThatAreNotSecret) {
  files_["/addr"] = "0.0.0.0:80";
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_HTTP_ADDR_FILE", "/addr"}}), "PAYPIPE_HTTP_ADDR_FILE",
                         "PAYPIPE_HTTP_ADDR is not a secret"));
  EXPECT_TRUE(files_read_.empty());
}

TEST_F(ConfigLoad, UnreadableOrEmptyFileIsRefused) {
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_API_TOKEN_FILE", "/missing"}}), "PAYPIPE_API_TOKEN",
                         "cannot read PAYPIPE_API_TOKEN_FILE=/missing: No such file"));
  files_["/empty"] = "\n";
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_API_TOKEN_FILE", "/empty"}}), "PAYPIPE_API_TOKEN",
                         "the value from file /empty is empty"));
}

// --- Validation ----------------------------------------------------------------------------------

TEST_F(ConfigLoad, EmptyValueIsRefused) {
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_TOSS_API_BASE", ""}}), "PAYPIPE_TOSS_API_BASE",
                         "is empty; unset the variable"));
}

TEST_F(ConfigLoad, InvalidUrlIsRefusedNamingTheSetting) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ftp://files.example.com", "scheme must be https, http, not \"ftp\""},
      {"api.tosspayments.com", "not a URL"},
      {"https://", "host is missing"},
      {"https://user@:443/", "host is missing"},
      {"https://api.example.com:0", "port must be between 1 and 65535"},
      {"https://api.example.com:65536", "port must be between 1 and 65535"},
      {"https://api.example.com:https", "port is not a number"},
      {"https://api.example.com/a b", "spaces"},
      {"https://api.example.com/#top", "fragment"},
      {"https://::1/", "brackets"},
  };
  for (const auto& [value, fragment] : cases) {
    const auto loaded = LoadWith({{"PAYPIPE_TOSS_API_BASE", value}});
    EXPECT_TRUE(RefusedFor(loaded, "PAYPIPE_TOSS_API_BASE", fragment)) << value;
    // A public setting's value is quoted back to help the operator find it.
    if (!loaded.ok()) {
      EXPECT_NE(loaded.error().message.find("\"" + value + "\""), std::string::npos) << value;
    }
  }
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_MYSQL_URL", "postgres://u:p@db:5432/pay"}}),
                         "PAYPIPE_MYSQL_URL", "scheme must be mysql"));
}

TEST_F(ConfigLoad, InvalidHostPortIsRefusedNamingTheSetting) {
  for (const std::string value : {"localhost", "localhost:", ":8080", "localhost:65536",
                                  "localhost:-1", "::1:80", "[::1", "[::1]x", "local host:80"}) {
    EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_HTTP_ADDR", value}}), "PAYPIPE_HTTP_ADDR",
                           "invalid value \"" + value + "\""))
        << value;
  }
}

TEST_F(ConfigLoad, InvalidEnumIsRefusedListingTheChoices) {
  for (const std::string value : {"verbose", "INFO", " info", "info "}) {
    EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_LOG_LEVEL", value}}), "PAYPIPE_LOG_LEVEL",
                           "must be one of debug, info, warn, error"))
        << value;
  }
}

TEST_F(ConfigLoad, InvalidIntegerIsRefusedNamingTheSetting) {
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_CONCURRENCY", "0"}}), "PAYPIPE_CONCURRENCY",
                         "must be between 1 and 256"));
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_CONCURRENCY", "257"}}), "PAYPIPE_CONCURRENCY",
                         "must be between 1 and 256"));
  for (const std::string value : {"four", "4.5", "+4", "4 ", "0x10"}) {
    EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_CONCURRENCY", value}}), "PAYPIPE_CONCURRENCY",
                           "expected an integer"))
        << value;
  }
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_CONCURRENCY", "99999999999999999999"}}),
                         "PAYPIPE_CONCURRENCY", "out of range"));
}

TEST_F(ConfigLoad, InvalidDurationIsRefusedNamingTheSetting) {
  for (const std::string value : {"30", "30x", "-5s", "s", "5 s", "1.5s"}) {
    EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_AMQP_HEARTBEAT", value}}), "PAYPIPE_AMQP_HEARTBEAT",
                           "invalid value \"" + value + "\""))
        << value;
  }
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_AMQP_HEARTBEAT", "4s"}}), "PAYPIPE_AMQP_HEARTBEAT",
                         "must be between 5s and 10m"));
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_AMQP_HEARTBEAT", "10m1ms"}}), "PAYPIPE_AMQP_HEARTBEAT",
                         "must be between 5s and 10m"));
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_RETENTION", "99999999999999999d"}}),
                         "PAYPIPE_RETENTION", "too long"));
}

TEST_F(ConfigLoad, ScheduleIsAnIncreasingListOfDurations) {
  using namespace std::chrono_literals;
  const auto loaded = LoadWith({{"PAYPIPE_RECONCILE_SCHEDULE", "2s, 4s ,1m"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kReconcileSchedule), (std::vector<milliseconds>{2s, 4s, 1min}));
  const auto defaults = LoadWith({});
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->Get(kReconcileSchedule),
            (std::vector<milliseconds>{1min, 5min, 15min, 1h, 6h, 24h}));
  const std::string dump = defaults->Dump();
  EXPECT_NE(dump.find("PAYPIPE_RECONCILE_SCHEDULE=1m,5m,15m,1h,6h,1d  # default\n"),
            std::string::npos)
      << dump;
}

TEST_F(ConfigLoad, InvalidScheduleIsRefusedNamingTheSetting) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"5m,1m", "longer than the one before"},
      {"1m,1m", "longer than the one before"},
      {"1m,,5m", "separated by commas"},
      {"1m,", "separated by commas"},
      {"1m,5x", "needs a unit"},
      {"1m;5m", "expected a duration"},
      {"1m,31d", "every duration must be between 0s and 30d"},
  };
  for (const auto& [value, fragment] : cases) {
    EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_RECONCILE_SCHEDULE", value}}),
                           "PAYPIPE_RECONCILE_SCHEDULE", fragment))
        << value;
  }
}

TEST_F(ConfigLoad, SchedulerDurationsHaveRanges) {
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_SCHEDULER_LEASE", "500ms"}}),
                         "PAYPIPE_SCHEDULER_LEASE", "must be between 1s and 10m"));
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_RECONCILE_INTERVAL", "50ms"}}),
                         "PAYPIPE_RECONCILE_INTERVAL", "must be between 100ms and 1h"));
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_RECONCILE_STUCK_AFTER", "0s"}}),
                         "PAYPIPE_RECONCILE_STUCK_AFTER", "must be between 1s and 1d"));
  const auto loaded = LoadWith({});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kSchedulerLease), std::chrono::seconds{30});
  EXPECT_EQ(loaded->Get(kReconcileInterval), std::chrono::seconds{15});
  EXPECT_EQ(loaded->Get(kReconcileStuckAfter), std::chrono::minutes{1});
}

TEST_F(ConfigLoad, InvalidSecretValuesAreNeverQuoted) {
  const auto loaded = LoadWith({{"PAYPIPE_AMQP_URL", "amqp://paypipe:hunter2@rabbit:99999/"},
                                {"PAYPIPE_SLACK_WEBHOOK_URL", "ftp://hooks/T0/B0/XOXSECRET"}});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(ProblemLines(loaded.error()).size(), 2u);
  EXPECT_EQ(loaded.error().message.find("hunter2"), std::string::npos);
  EXPECT_EQ(loaded.error().message.find("XOXSECRET"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("PAYPIPE_AMQP_URL: invalid value (not shown)"),
            std::string::npos);
}

// --- Sources -------------------------------------------------------------------------------------

TEST_F(ConfigLoad, DefaultsApplyWhenNothingIsSet) {
  const auto loaded = LoadWith({});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& config = *loaded;
  EXPECT_EQ(config.Get(kHttpAddr).host, "0.0.0.0");
  EXPECT_EQ(config.Get(kHttpAddr).port, 8080);
  EXPECT_EQ(config.Get(kLogLevel), "info");
  EXPECT_EQ(config.Get(kConcurrency), 4);
  EXPECT_EQ(config.Get(kAmqpPrefetch), 128);
  EXPECT_EQ(config.Get(kHttpMaxBodyBytes), 1048576);
  EXPECT_EQ(config.Get(kAmqpHeartbeat), std::chrono::seconds{30});
  EXPECT_EQ(config.Get(kShutdownGrace), std::chrono::seconds{25});
  EXPECT_EQ(config.Get(kHttpClientTimeout), std::chrono::seconds{10});
  EXPECT_EQ(config.Get(kRetention), std::chrono::hours{24 * 90});
  EXPECT_EQ(config.Get(kTossApiBase).host, "api.tosspayments.com");
  EXPECT_EQ(config.Get(kPortoneApiBase).host, "api.portone.io");
  EXPECT_EQ(config.Get(kPortoneV1ApiBase).host, "api.iamport.kr");
  EXPECT_EQ(config.SourceOf(kLogLevel), Source::kDefault);
  EXPECT_EQ(config.SourceOf(kAmqpUrl), Source::kUnset);
  EXPECT_EQ(config.Find(kAmqpUrl), nullptr);
}

TEST_F(ConfigLoad, FlagsOverrideTheEnvironmentAndFiles) {
  files_["/toss"] = "test_sk_from_file";
  const auto loaded = LoadWith(
      {{"PAYPIPE_CONCURRENCY", "2"}, {"PAYPIPE_TOSS_SECRET_KEY_FILE", "/toss"}}, EveryoneOptional(),
      {{"PAYPIPE_CONCURRENCY", "8"}, {"PAYPIPE_TOSS_SECRET_KEY", "test_sk_from_flag"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kConcurrency), 8);
  EXPECT_EQ(loaded->SourceOf(kConcurrency), Source::kFlag);
  EXPECT_EQ(loaded->Get(kTossSecretKey).Reveal(), "test_sk_from_flag");
  EXPECT_TRUE(files_read_.empty()) << "a flag makes the file irrelevant";
}

TEST_F(ConfigLoad, InvalidFlagValueNamesTheFlag) {
  EXPECT_TRUE(RefusedFor(LoadWith({}, EveryoneOptional(), {{"PAYPIPE_CONCURRENCY", "lots"}}),
                         "PAYPIPE_CONCURRENCY", "from --concurrency"));
}

TEST_F(ConfigLoad, EnvironmentValueOverridesTheDefault) {
  const auto loaded = LoadWith({{"PAYPIPE_LOG_LEVEL", "warn"}, {"PAYPIPE_HTTP_ADDR", "[::]:0"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->Get(kLogLevel), "warn");
  EXPECT_EQ(loaded->SourceOf(kLogLevel), Source::kEnvironment);
  EXPECT_EQ(loaded->Get(kHttpAddr).host, "::");
  EXPECT_EQ(loaded->Get(kHttpAddr).port, 0);
  EXPECT_EQ(loaded->Get(kHttpAddr).ToString(), "[::]:0");
}

// --- What a command declares ---------------------------------------------------------------------

TEST_F(ConfigLoad, RequiredSettingWithoutValueIsRefused) {
  EXPECT_TRUE(RefusedFor(LoadWith({}, {Required(kAmqpUrl)}), "PAYPIPE_AMQP_URL",
                         "required by this command; set PAYPIPE_AMQP_URL, "
                         "PAYPIPE_AMQP_URL_FILE or --amqp-url"));
  // A default satisfies a requirement.
  EXPECT_TRUE(LoadWith({}, {Required(kHttpAddr)}).ok());
}

TEST_F(ConfigLoad, OptionalSettingMayStayUnset) {
  const auto loaded = LoadWith({}, {Optional(kSlackWebhookUrl)});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Find(kSlackWebhookUrl), nullptr);
  EXPECT_THROW((void)loaded->Get(kSlackWebhookUrl), std::logic_error);
  const auto required = loaded->Require(kSlackWebhookUrl);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.error().code, "CONFIG_MISSING");
  EXPECT_TRUE(required.error().message.starts_with("PAYPIPE_SLACK_WEBHOOK_URL: "));
}

TEST_F(ConfigLoad, UndeclaredSettingCannotBeRead) {
  const auto loaded = LoadWith({{"PAYPIPE_CONCURRENCY", "3"}}, {Optional(kLogLevel)});
  ASSERT_TRUE(loaded.ok());
  EXPECT_THROW((void)loaded->Get(kConcurrency), std::logic_error);
  EXPECT_THROW((void)loaded->Find(kConcurrency), std::logic_error);
  EXPECT_EQ(loaded->Show().size(), 1u);
}

TEST_F(ConfigLoad, ValuesACommandDoesNotUseAreStillValidated) {
  EXPECT_TRUE(RefusedFor(LoadWith({{"PAYPIPE_CONCURRENCY", "0"}}, {Optional(kLogLevel)}),
                         "PAYPIPE_CONCURRENCY", "must be between"));
}

TEST_F(ConfigLoad, ListingASettingTwiceKeepsTheStricterNeed) {
  EXPECT_TRUE(RefusedFor(LoadWith({}, {Optional(kApiToken), Required(kApiToken)}),
                         "PAYPIPE_API_TOKEN", "required"));
}

TEST_F(ConfigLoad, UsingASettingOutsideTheCatalogIsAProgrammingError) {
  static constexpr Setting<std::string> kStray{{.env = "PAYPIPE_STRAY", .help = "x"}};
  EXPECT_THROW((void)LoadWith({}, {Optional(kStray)}), std::logic_error);
  EXPECT_THROW((void)LoadWith({}, EveryoneOptional(), {{"PAYPIPE_STRAY", "1"}}), std::logic_error);
}

// --- Typed values --------------------------------------------------------------------------------

TEST_F(ConfigLoad, UrlIsSplitAndDecoded) {
  const auto loaded =
      LoadWith({{"PAYPIPE_AMQP_URL", "AMQPS://pay%40pipe:p%3As%2Fs@[::1]:5671/%2f?heartbeat=10"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Url& url = loaded->Get(kAmqpUrl);
  EXPECT_EQ(url.scheme, "amqps");
  EXPECT_EQ(url.user, "pay@pipe");
  EXPECT_EQ(url.password, "p:s/s");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 5671);
  EXPECT_EQ(url.path, "/%2f");
  EXPECT_EQ(url.query, "heartbeat=10");
  EXPECT_EQ(url.Redacted(), "amqps://pay@pipe:<redacted>@[::1]:5671/%2f?heartbeat=10");
  EXPECT_EQ(url.Origin(), "amqps://[::1]:5671");
  EXPECT_TRUE(
      RefusedFor(LoadWith({{"PAYPIPE_AMQP_URL", "amqp://u:p%zz@h/"}}), "PAYPIPE_AMQP_URL", "hex"));
}

TEST(Durations, ParseEveryUnitAndCombinations) {
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds{250});
  EXPECT_EQ(*ParseDuration("30s"), std::chrono::seconds{30});
  EXPECT_EQ(*ParseDuration("5m"), std::chrono::minutes{5});
  EXPECT_EQ(*ParseDuration("1ms"), milliseconds{1});
  EXPECT_EQ(*ParseDuration("1h30m"), std::chrono::minutes{90});
  EXPECT_EQ(*ParseDuration("2d"), std::chrono::hours{48});
  EXPECT_EQ(*ParseDuration("0s"), milliseconds{0});
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("1h30").ok());
}

TEST(Durations, FormatReadsBack) {
  EXPECT_EQ(FormatDuration(milliseconds{0}), "0s");
  EXPECT_EQ(FormatDuration(milliseconds{90'000}), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds{1'500}), "1s500ms");
  EXPECT_EQ(FormatDuration(std::chrono::hours{24 * 90}), "90d");
  for (const std::int64_t ms : {1LL, 999LL, 61'001LL, 86'400'000LL * 3 + 3'723'004LL}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(milliseconds{ms})), milliseconds{ms}) << ms;
  }
}

TEST(Durations, ListsParseAndFormatBack) {
  using namespace std::chrono_literals;
  EXPECT_EQ(*ParseDurationList("1m"), (std::vector<milliseconds>{1min}));
  EXPECT_EQ(*ParseDurationList("0s,250ms,1h30m"), (std::vector<milliseconds>{0s, 250ms, 90min}));
  EXPECT_EQ(FormatDurationList({1min, 5min, 24h}), "1m,5m,1d");
  const std::vector<milliseconds> schedule = {2s, 4s, 6s};
  EXPECT_EQ(*ParseDurationList(FormatDurationList(schedule)), schedule);
  EXPECT_FALSE(ParseDurationList("").ok());
  EXPECT_FALSE(ParseDurationList(" ").ok());
  EXPECT_EQ(TypeName(kReconcileSchedule), "DURATION,...");
}

// --- Dump ----------------------------------------------------------------------------------------

TEST_F(ConfigLoad, DumpShowsEffectiveValuesWithSecretsRedacted) {
  files_["/run/secrets/toss"] = "test_sk_FILESECRET\n";
  const auto loaded = LoadWith(
      {{"PAYPIPE_AMQP_URL", "amqp://paypipe:hunter2@rabbit:5672/%2f"},
       {"PAYPIPE_API_TOKEN", "tok-ENVSECRET"},
       {"PAYPIPE_TOSS_SECRET_KEY_FILE", "/run/secrets/toss"},
       {"PAYPIPE_TOSS_API_BASE", "http://sim:pw-in-public-url@127.0.0.1:18080"},
       {"PAYPIPE_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T000/B000/XOXPATHSECRET"}},
      EveryoneOptional(),
      {{"PAYPIPE_CONCURRENCY", "8"}, {"PAYPIPE_PORTONE_IMP_SECRET", "FLAGSECRET"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const std::string dump = loaded->Dump();
  for (const std::string secret :
       {"hunter2", "ENVSECRET", "FILESECRET", "pw-in-public-url", "XOXPATHSECRET", "FLAGSECRET"}) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << secret << " leaked:\n" << dump;
  }
  for (const std::string line : {
           "PAYPIPE_AMQP_URL=amqp://paypipe:<redacted>@rabbit:5672/%2f  # environment\n",
           "PAYPIPE_MYSQL_URL  # unset\n",
           "PAYPIPE_API_TOKEN=<redacted>  # environment\n",
           "PAYPIPE_TOSS_SECRET_KEY=<redacted>  # file /run/secrets/toss\n",
           "PAYPIPE_TOSS_API_BASE=http://sim:<redacted>@127.0.0.1:18080  # environment\n",
           "PAYPIPE_PORTONE_IMP_SECRET=<redacted>  # flag --portone-imp-secret\n",
           "PAYPIPE_SLACK_WEBHOOK_URL=https://hooks.slack.com/<redacted>  # environment\n",
           "PAYPIPE_CONCURRENCY=8  # flag --concurrency\n",
           "PAYPIPE_AMQP_HEARTBEAT=30s  # default\n",
           "PAYPIPE_LOG_LEVEL=info  # default\n",
       }) {
    EXPECT_NE(dump.find(line), std::string::npos) << "missing " << line << "in:\n" << dump;
  }
  EXPECT_EQ(loaded->Show().size(), kAllSettings.size());
}

// --- Catalog -------------------------------------------------------------------------------------

TEST(Catalog, HoldsEveryContractSettingWithDistinctFlags) {
  const Catalog catalog = Catalog::Builtin();
  for (const std::string_view name :
       {"PAYPIPE_AMQP_URL", "PAYPIPE_MYSQL_URL", "PAYPIPE_HTTP_ADDR", "PAYPIPE_API_TOKEN",
        "PAYPIPE_TOSS_SECRET_KEY", "PAYPIPE_TOSS_API_BASE", "PAYPIPE_PORTONE_API_SECRET",
        "PAYPIPE_PORTONE_API_BASE", "PAYPIPE_PORTONE_IMP_KEY", "PAYPIPE_PORTONE_IMP_SECRET",
        "PAYPIPE_PORTONE_V1_API_BASE", "PAYPIPE_PORTONE_WEBHOOK_SECRET",
        "PAYPIPE_SLACK_WEBHOOK_URL", "PAYPIPE_LOG_LEVEL"}) {
    EXPECT_NE(catalog.Find(name), nullptr) << name;
  }
  std::set<std::string> flags;
  for (const SettingInfo* setting : catalog.settings()) {
    EXPECT_TRUE(flags.insert(FlagName(*setting)).second) << setting->env;
  }
  for (const SettingInfo* secret : std::initializer_list<const SettingInfo*>{
           &kApiToken, &kTossSecretKey, &kPortoneApiSecret, &kPortoneImpSecret,
           &kPortoneWebhookSecret, &kSlackWebhookUrl}) {
    EXPECT_EQ(secret->sensitivity, Sensitivity::kSecret) << secret->env;
  }
}

TEST(Catalog, RefusesDuplicatesAndInvalidDefaults) {
  static constexpr Setting<std::int64_t> kBadDefault{{.env = "PAYPIPE_TEST_BAD_DEFAULT",
                                                      .help = "x",
                                                      .kind = Kind::kInteger,
                                                      .default_value = "zero"}};
  const std::vector<const SettingInfo*> duplicate = {&kLogLevel, &kLogLevel};
  EXPECT_THROW(Catalog{duplicate}, std::logic_error);
  const std::vector<const SettingInfo*> bad = {&kBadDefault};
  EXPECT_THROW(Catalog{bad}, std::logic_error);
}

TEST(SettingHelp, NamesFlagsEnvironmentAndDefaults) {
  EXPECT_EQ(FlagName(kAmqpUrl), "amqp-url");
  EXPECT_EQ(FlagName(kPortoneV1ApiBase), "portone-v1-api-base");
  EXPECT_EQ(FileVariable(kApiToken), "PAYPIPE_API_TOKEN_FILE");
  EXPECT_EQ(TypeName(kLogLevel), "debug|info|warn|error");
  const std::string level = DescribeForHelp(kLogLevel, Need::kOptional);
  EXPECT_NE(level.find("[env: PAYPIPE_LOG_LEVEL]"), std::string::npos) << level;
  EXPECT_NE(level.find("[default: info]"), std::string::npos) << level;
  const std::string token = DescribeForHelp(kApiToken, Need::kRequired);
  EXPECT_NE(token.find("[env: PAYPIPE_API_TOKEN or PAYPIPE_API_TOKEN_FILE]"), std::string::npos);
  EXPECT_NE(token.find("[required]"), std::string::npos);
  EXPECT_EQ(DescribeForHelp(kApiToken, Need::kOptional).find("[required]"), std::string::npos);
  EXPECT_NE(DescribeForHelp(kConcurrency, Need::kOptional).find("(1..256)"), std::string::npos);
}

TEST(EnvironmentFromBlock, KeepsOnlyPaypipeVariables) {
  const char* block[] = {"PAYPIPE_A=1",    "HOME=/root",     "PAYPIPE_B=x=y",
                         "PAYPIPE_BROKEN", "PAYPIPE_EMPTY=", nullptr};
  const Environment environment = EnvironmentFromBlock(block);
  EXPECT_EQ(environment,
            (Environment{{"PAYPIPE_A", "1"}, {"PAYPIPE_B", "x=y"}, {"PAYPIPE_EMPTY", ""}}));
}

}  // namespace
}  // namespace paypipe::infra::config
