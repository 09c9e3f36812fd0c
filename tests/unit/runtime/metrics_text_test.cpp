// The runtime's /metrics text: one header per family, one series per stage, a valid histogram.
#include "paypipe/runtime/metrics_text.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace paypipe::runtime {
namespace {

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(RuntimeMetricsText, EveryFamilyHasOneHeaderAndASeriesPerStage) {
  StageStats confirm;
  StageStats intake;
  confirm.received = 7;
  confirm.acked = 6;
  confirm.dead_lettered = 1;
  confirm.broker_reconnects = 2;
  intake.inbox_duplicates = 3;
  intake.db_reconnects = 1;
  RelayStats relay;
  relay.backlog = 12;
  relay.oldest_age_seconds = 40;
  const std::vector<StageStatsRef> stages = {{"confirm", &confirm}, {"webhook-intake", &intake}};

  const std::string text = RenderRuntimeMetrics(stages, relay);

  EXPECT_EQ(Count(text, "# TYPE paypipe_stage_messages_total counter\n"), 1u) << text;
  EXPECT_EQ(Count(text, "# TYPE paypipe_stage_processing_seconds histogram\n"), 1u);
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_messages_total{stage="confirm",outcome="received"} 7)"));
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_messages_total{stage="confirm",outcome="dead_lettered"} 1)"));
  EXPECT_TRUE(HasLine(
      text, R"(paypipe_stage_messages_total{stage="webhook-intake",outcome="duplicate"} 3)"));
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_reconnects_total{stage="confirm",connection="broker"} 2)"));
  EXPECT_TRUE(HasLine(
      text, R"(paypipe_stage_reconnects_total{stage="webhook-intake",connection="database"} 1)"));
  EXPECT_TRUE(HasLine(text, "paypipe_outbox_backlog 12"));
  EXPECT_TRUE(HasLine(text, "paypipe_outbox_oldest_age_seconds 40"));
  // Every sample line names a family declared before it.
  std::istringstream lines(text);
  std::string declared;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      declared = line.substr(7, line.find(' ', 7) - 7);
    } else if (line[0] != '#') {
      EXPECT_EQ(line.rfind(declared, 0), 0u) << line << " after family " << declared;
    }
  }
}

TEST(RuntimeMetricsText, HistogramBucketsAreCumulativeAndEndAtTheCount) {
  StageStats stats;
  stats.ObserveDuration(std::chrono::microseconds(500));     // <= 0.001
  stats.ObserveDuration(std::chrono::microseconds(3'000));   // <= 0.005
  stats.ObserveDuration(std::chrono::microseconds(20'000));  // <= 0.025
  stats.ObserveDuration(std::chrono::seconds(30));           // above every bound
  const std::vector<StageStatsRef> stages = {{"confirm", &stats}};
  const std::string text = RenderRuntimeMetrics(stages, RelayStats{});

  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_processing_seconds_bucket{stage="confirm",le="0.001"} 1)"))
      << text;
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_processing_seconds_bucket{stage="confirm",le="0.005"} 2)"));
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_processing_seconds_bucket{stage="confirm",le="0.025"} 3)"));
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_processing_seconds_bucket{stage="confirm",le="10"} 3)"));
  EXPECT_TRUE(
      HasLine(text, R"(paypipe_stage_processing_seconds_bucket{stage="confirm",le="+Inf"} 4)"));
  EXPECT_TRUE(HasLine(text, R"(paypipe_stage_processing_seconds_count{stage="confirm"} 4)"));
  EXPECT_TRUE(HasLine(text, R"(paypipe_stage_processing_seconds_sum{stage="confirm"} 30.0235)"));
}

}  // namespace
}  // namespace paypipe::runtime
