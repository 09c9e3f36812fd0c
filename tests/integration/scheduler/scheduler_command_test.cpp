// `paypipe scheduler` as an operator meets it: --help lists what it reads, invalid settings stop
// it before anything runs.
#include <gtest/gtest.h>

#include <string>

#include "paypipe/testing/process.hpp"

namespace paypipe::scheduler {
namespace {

using paypipe::testing::RunPaypipe;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SchedulerCommand, HelpListsTheSchedulerSettings) {
  const auto run = RunPaypipe({"scheduler", "--help"});
  EXPECT_EQ(run.status, 0);
  for (const std::string env :
       {"PAYPIPE_AMQP_URL", "PAYPIPE_MYSQL_URL", "PAYPIPE_HTTP_ADDR", "PAYPIPE_SCHEDULER_LEASE",
        "PAYPIPE_RECONCILE_INTERVAL", "PAYPIPE_RECONCILE_STUCK_AFTER", "PAYPIPE_RECONCILE_SCHEDULE",
        "PAYPIPE_BATCH_SIZE", "PAYPIPE_SHUTDOWN_GRACE"}) {
    EXPECT_TRUE(Contains(run.out, "[env: " + env)) << env << "\n" << run.out;
  }
  EXPECT_TRUE(Contains(run.out, "--reconcile-schedule DURATION,...")) << run.out;
  EXPECT_TRUE(Contains(run.out, "[default: 1m,5m,15m,1h,6h,24h]")) << run.out;
  EXPECT_FALSE(Contains(run.out, "PAYPIPE_API_TOKEN")) << "a setting it does not read";
}

TEST(SchedulerCommand, InvalidScheduleStopsItNamingTheSetting) {
  const auto run = RunPaypipe({"scheduler"}, {"PAYPIPE_AMQP_URL=amqp://u:p@127.0.0.1:1/",
                                              "PAYPIPE_MYSQL_URL=mysql://u:p@127.0.0.1:1/db",
                                              "PAYPIPE_RECONCILE_SCHEDULE=5m,1m"});
  EXPECT_EQ(run.status, 2);
  EXPECT_TRUE(Contains(run.err, "PAYPIPE_RECONCILE_SCHEDULE: invalid value \"5m,1m\"")) << run.err;
}

TEST(SchedulerCommand, ConnectionsAreRequired) {
  const auto run = RunPaypipe({"scheduler"});
  EXPECT_EQ(run.status, 2);
  EXPECT_TRUE(Contains(run.err, "PAYPIPE_AMQP_URL: required")) << run.err;
  EXPECT_TRUE(Contains(run.err, "PAYPIPE_MYSQL_URL: required")) << run.err;
}

}  // namespace
}  // namespace paypipe::scheduler
