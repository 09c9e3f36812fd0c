// `paypipe migrate up|status` as operators run it, against a database of its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "paypipe/testing/process.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace {

using paypipe::testing::RunPaypipe;
using paypipe::testing::mysql::ScopedDatabase;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MigrateCommand, UpAppliesTheBuiltInMigrationsOnceAndStatusReportsThem) {
  ScopedDatabase database;
  const std::vector<std::string> env = {"PAYPIPE_MYSQL_URL=" + database.url_string()};

  const auto first = RunPaypipe({"migrate", "up"}, env);
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  EXPECT_TRUE(Contains(first.out, "V1")) << first.out;

  auto db = database.Connect();
  auto tables = db->Query(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
      "table_name IN ('inbox', 'outbox', 'payments', 'ledger_entries', 'schema_migrations')");
  ASSERT_TRUE(tables.ok()) << tables.error().ToString();
  EXPECT_EQ(tables->front().Int64(0), 5);

  const auto again = RunPaypipe({"migrate", "up"}, env);
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  auto recorded = db->Query("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations");
  ASSERT_TRUE(recorded.ok());
  EXPECT_GE(recorded->front().Int64(0), 3);
  EXPECT_EQ(recorded->front().Int64(0), recorded->front().Int64(1));
  EXPECT_TRUE(Contains(again.out, "up to date")) << again.out;

  const auto status = RunPaypipe({"migrate", "status"}, env);
  EXPECT_EQ(status.status, 0) << status.out << status.err;
  EXPECT_TRUE(Contains(status.out, "0 pending, 0 changed, 0 missing")) << status.out;
}

TEST(MigrateCommand, AnEditedAppliedMigrationIsRefusedWithItsVersion) {
  ScopedDatabase database;
  const std::vector<std::string> env = {"PAYPIPE_MYSQL_URL=" + database.url_string()};
  const auto dir = std::filesystem::temp_directory_path() / ("paypipe_migrate_" + database.name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "V1__first.sql") << "CREATE TABLE first_table (id INT PRIMARY KEY);\n";

  ASSERT_EQ(RunPaypipe({"migrate", "up", "--migrations-dir", dir.string()}, env).status, 0);
  std::ofstream(dir / "V1__first.sql") << "CREATE TABLE first_table (id BIGINT PRIMARY KEY);\n";

  const auto refused = RunPaypipe({"migrate", "up", "--migrations-dir", dir.string()}, env);
  EXPECT_EQ(refused.status, 1);
  EXPECT_TRUE(Contains(refused.err, "migration V1 (first) was changed after it was applied"))
      << refused.err;
  EXPECT_TRUE(Contains(refused.err, "nothing was applied")) << refused.err;
  const auto status = RunPaypipe({"migrate", "status", "--migrations-dir", dir.string()}, env);
  EXPECT_EQ(status.status, 1);
  EXPECT_TRUE(Contains(status.out, "changed")) << status.out;
  std::filesystem::remove_all(dir);
}

TEST(MigrateCommand, MissingDatabaseUrlIsAConfigurationError) {
  const auto run = RunPaypipe({"migrate", "up"});
  EXPECT_EQ(run.status, 2);
  EXPECT_TRUE(Contains(run.err + run.out, "PAYPIPE_MYSQL_URL")) << run.out << run.err;
}

}  // namespace
