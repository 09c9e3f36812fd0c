#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/config/settings.hpp"
#include "paypipe/infra/log/json.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/infra/log/sink.hpp"

namespace paypipe::infra::log {
namespace {

using nlohmann::json;

// Counts clock reads, to show that a disabled level formats nothing.
class CountingClock final : public clock::Clock {
 public:
  [[nodiscard]] clock::WallTime Now() const override {
    ++reads_;
    return clock::FakeClock::kDefaultStart;
  }
  [[nodiscard]] clock::MonotonicTime Monotonic() const override {
    ++reads_;
    return {};
  }
  [[nodiscard]] int reads() const { return reads_.load(); }

 private:
  mutable std::atomic<int> reads_{0};
};

// Parses one written line: exactly one JSON object followed by a single newline.
json ParseLine(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "a log record must be a single line";
  return json::parse(line);  // throws, failing the test, on invalid JSON or UTF-8
}

class LoggerTest : public ::testing::Test {
 protected:
  json OnlyLine() {
    const auto lines = sink_.Lines();
    EXPECT_EQ(lines.size(), 1u);
    return lines.empty() ? json() : ParseLine(lines.front());
  }

  clock::FakeClock clock_;
  MemorySink sink_;
  Logger logger_{sink_, clock_, Level::kInfo, "paypipe"};
};

TEST_F(LoggerTest, WritesOneJsonObjectWithTheEnvelopeAndFields) {
  clock_.Advance(std::chrono::milliseconds{1234});
  logger_.Info("payment confirmed",
               {{"message_id", "m-1"}, {"correlation_id", std::string("order-7")}, {"attempt", 2}});
  const json record = OnlyLine();
  EXPECT_EQ(record, json::parse(R"({
      "ts": "2024-01-01T00:00:01.234Z", "level": "info", "logger": "paypipe",
      "msg": "payment confirmed", "message_id": "m-1", "correlation_id": "order-7",
      "attempt": 2})"));
  // Envelope first, in a fixed order, so that lines read well without a JSON viewer.
  EXPECT_EQ(sink_.Lines().front().rfind(R"({"ts":"2024-01-01T00:00:01.234Z","level":"info",)", 0),
            0u);
}

TEST_F(LoggerTest, WritesEachValueWithItsJsonType) {
  logger_.Warn("types", {{"negative", -42},
                         {"big", std::numeric_limits<std::uint64_t>::max()},
                         {"min", std::numeric_limits<std::int64_t>::min()},
                         {"ratio", 0.25},
                         {"flag", true},
                         {"off", false},
                         {"none", nullptr},
                         {"null_text", static_cast<const char*>(nullptr)},
                         {"nan", std::numeric_limits<double>::quiet_NaN()},
                         {"inf", std::numeric_limits<double>::infinity()}});
  const json record = OnlyLine();
  EXPECT_EQ(record["level"], "warn");
  EXPECT_EQ(record["negative"].get<std::int64_t>(), -42);
  EXPECT_EQ(record["big"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(record["min"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_DOUBLE_EQ(record["ratio"].get<double>(), 0.25);
  EXPECT_EQ(record["flag"], true);
  EXPECT_EQ(record["off"], false);
  EXPECT_TRUE(record["none"].is_null());
  EXPECT_TRUE(record["null_text"].is_null());
  EXPECT_EQ(record["nan"], "NaN");
  EXPECT_EQ(record["inf"], "Infinity");
}

TEST_F(LoggerTest, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string nasty = "say \"hi\"\\ \n\r\t\b\f\x01\x1f end";
  logger_.Error(nasty, {{"body", nasty}, {"key \"quoted\"\n", "v"}});
  const auto lines = sink_.Lines();
  ASSERT_EQ(lines.size(), 1u);
  const json record = ParseLine(lines.front());
  EXPECT_EQ(record["msg"], nasty);
  EXPECT_EQ(record["body"], nasty);
  EXPECT_EQ(record["key \"quoted\"\n"], "v");
  EXPECT_NE(lines.front().find(R"(say \"hi\"\\ \n\r\t\b\f\u0001\u001f end)"), std::string::npos);
}

TEST_F(LoggerTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  const std::string korean = "결제 완료 ✓ 😀";
  logger_.Info(korean, {{"partner", korean},
                        {"stray_continuation", "a\x80z"},
                        {"bad_lead", "a\xff"},
                        {"truncated", "\xe2\x82"},
                        {"overlong", "\xc0\xaf"},
                        {"surrogate", "\xed\xa0\x80"},
                        {"beyond_unicode", "\xf4\x90\x80\x80"}});
  const auto lines = sink_.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines.front().find(korean), std::string::npos) << "valid UTF-8 is not escaped";
  const json record = ParseLine(lines.front());
  EXPECT_EQ(record["msg"], korean);
  EXPECT_EQ(record["partner"], korean);
  EXPECT_EQ(record["stray_continuation"], "a\uFFFDz");
  EXPECT_EQ(record["bad_lead"], "a\uFFFD");
  EXPECT_EQ(record["truncated"], "\uFFFD\uFFFD");
  EXPECT_EQ(record["overlong"], "\uFFFD\uFFFD");
  EXPECT_EQ(record["surrogate"], "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(record["beyond_unicode"], "\uFFFD\uFFFD\uFFFD\uFFFD");
}

TEST_F(LoggerTest, FieldsCannotHideTheEnvelope) {
  logger_.Info("real message", {{"msg", "fake"}, {"level", "error"}, {"ts", 0}});
  const json record = OnlyLine();
  EXPECT_EQ(record["msg"], "real message");
  EXPECT_EQ(record["level"], "info");
  EXPECT_EQ(record["ts"], "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(record["field.msg"], "fake");
  EXPECT_EQ(record["field.level"], "error");
  EXPECT_EQ(record["field.ts"], 0);
}

TEST_F(LoggerTest, DropsLinesBelowTheThresholdWithoutReadingTheClock) {
  const CountingClock counting;
  const Logger logger(sink_, counting, Level::kWarn, "paypipe");
  logger.Debug("no");
  logger.Info("no", {{"attempt", 1}});
  EXPECT_TRUE(sink_.Lines().empty());
  EXPECT_EQ(counting.reads(), 0);
  EXPECT_FALSE(logger.Enabled(Level::kInfo));
  EXPECT_TRUE(logger.Enabled(Level::kWarn));
  logger.Warn("yes");
  logger.Error("yes");
  EXPECT_EQ(sink_.Lines().size(), 2u);
  EXPECT_EQ(counting.reads(), 2);
}

TEST_F(LoggerTest, ChildrenAddTheirNameAndBoundFields) {
  const Logger worker = logger_.Child("worker", {{"stage", "confirm"}});
  const Logger message = worker.With({{"message_id", "m-9"}, {"attempt", 3}});
  message.Info("processing", {{"outcome", "ack"}});
  worker.Info("idle");
  logger_.Info("root");

  const auto lines = sink_.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(ParseLine(lines[0]), json::parse(R"({
      "ts": "2024-01-01T00:00:00.000Z", "level": "info", "logger": "paypipe.worker",
      "msg": "processing", "stage": "confirm", "message_id": "m-9", "attempt": 3,
      "outcome": "ack"})"));
  // Bound fields come before the call's own, in the order they were bound.
  EXPECT_LT(lines[0].find("\"stage\""), lines[0].find("\"message_id\""));
  EXPECT_LT(lines[0].find("\"attempt\""), lines[0].find("\"outcome\""));
  EXPECT_EQ(ParseLine(lines[1]), json::parse(R"({
      "ts": "2024-01-01T00:00:00.000Z", "level": "info", "logger": "paypipe.worker",
      "msg": "idle", "stage": "confirm"})"));
  EXPECT_EQ(ParseLine(lines[2]).size(), 4u);
  EXPECT_EQ(message.name(), "paypipe.worker");
  EXPECT_EQ(worker.Child("confirm").name(), "paypipe.worker.confirm");
}

TEST_F(LoggerTest, LevelChangesReachEveryLoggerOfTheSameRoot) {
  Logger child = logger_.Child("stage");
  child.Debug("hidden");
  child.SetLevel(Level::kDebug);
  EXPECT_EQ(logger_.level(), Level::kDebug);
  logger_.Debug("shown");
  child.Debug("shown too");
  ASSERT_EQ(sink_.Lines().size(), 2u);
  EXPECT_EQ(ParseLine(sink_.Lines()[0])["level"], "debug");
}

TEST(LogLevel, ParsesExactlyTheNamesItWrites) {
  for (const Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    EXPECT_EQ(ParseLevel(ToString(level)), level);
  }
  EXPECT_EQ(ParseLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseLevel("INFO"), std::nullopt);
  EXPECT_EQ(ParseLevel(""), std::nullopt);
}

TEST(LogLevel, EveryValueOfThePaypipeLogLevelSettingIsALevel) {
  std::string_view choices = config::kLogLevel.choices;
  int count = 0;
  while (!choices.empty()) {
    const auto comma = choices.find(',');
    EXPECT_TRUE(ParseLevel(choices.substr(0, comma)).has_value()) << choices.substr(0, comma);
    ++count;
    if (comma == std::string_view::npos) break;
    choices.remove_prefix(comma + 1);
  }
  EXPECT_EQ(count, 4);
}

TEST(JsonString, EscapesEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string out;
    AppendJsonString(out, std::string(1, static_cast<char>(c)));
    EXPECT_EQ(json::parse(out).get<std::string>(), std::string(1, static_cast<char>(c)));
    EXPECT_EQ(out.find(static_cast<char>(c), 1), std::string::npos) << c;
  }
}

TEST(FileDescriptorSink, LinesFromManyThreadsNeverInterleave) {
  // A pipe, as when stderr feeds a log collector: a write longer than PIPE_BUF may be split and
  // interleaved with other writers' unless the sink serialises whole lines.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string received;
  std::thread reader([&received, fd = fds[0]] {
    char buffer[65536];
    for (;;) {
      const ssize_t got = ::read(fd, buffer, sizeof(buffer));
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
    }
  });
  constexpr int kThreads = 8;
  constexpr int kLines = 500;
  {
    FileDescriptorSink sink(fds[1]);
    const clock::FakeClock clock;
    const Logger logger(sink, clock, Level::kInfo, "paypipe");
    const std::string padding(3 * 4096, 'x');
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) {
          logger.Info("line", {{"thread", t}, {"i", i}, {"padding", padding}});
        }
      });
    }
    for (auto& writer : writers) writer.join();
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);

  std::vector<int> next_index(kThreads, 0);
  int total = 0;
  std::size_t start = 0;
  while (start < received.size()) {
    const std::size_t end = received.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const json record = json::parse(received.substr(start, end - start));
    const auto thread = record["thread"].get<std::size_t>();
    // Each thread's lines arrive whole and in the order it wrote them.
    EXPECT_EQ(record["i"].get<int>(), next_index.at(thread)++);
    ++total;
    start = end + 1;
  }
  EXPECT_EQ(total, kThreads * kLines);
}

}  // namespace
}  // namespace paypipe::infra::log
