#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "paypipe/cli/migrate/migration.hpp"
#include "paypipe/cli/migrate/migrator.hpp"

namespace paypipe::cli::migrate {
namespace {

Migration File(std::int64_t version, std::string script) {
  Migration migration;
  migration.version = version;
  migration.name = "m" + std::to_string(version);
  migration.file_name = "V" + std::to_string(version) + "__" + migration.name + ".sql";
  migration.checksum = MigrationChecksum(script);
  migration.script = std::move(script);
  return migration;
}

AppliedMigration Record(const Migration& migration) {
  return {migration.version, migration.name, migration.checksum, "2026-01-01 00:00:00", 5, "me"};
}

AppliedMigration Record(std::int64_t version, std::string checksum) {
  return {version, "m" + std::to_string(version), std::move(checksum), "2026-01-01 00:00:00", 5,
          "me"};
}

std::vector<std::int64_t> Versions(const std::vector<Migration>& migrations) {
  std::vector<std::int64_t> versions;
  for (const auto& migration : migrations) versions.push_back(migration.version);
  return versions;
}

TEST(MigrationPlan, FreshDatabaseGetsEverythingInOrder) {
  const std::vector<Migration> source = {File(1, "a"), File(2, "b"), File(10, "c")};
  auto plan = PlanUp(source, {});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Versions(*plan), (std::vector<std::int64_t>{1, 2, 10}));
}

TEST(MigrationPlan, OnlyPendingMigrationsAreApplied) {
  const std::vector<Migration> source = {File(1, "a"), File(2, "b"), File(3, "c")};
  auto plan = PlanUp(source, {Record(source[0]), Record(source[1])});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Versions(*plan), (std::vector<std::int64_t>{3}));
  auto nothing = PlanUp(source, {Record(source[0]), Record(source[1]), Record(source[2])});
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST(MigrationPlan, ChangedAppliedMigrationIsRefusedWithBothChecksums) {
  const std::vector<Migration> source = {File(1, "a"), File(2, "b edited"), File(3, "new")};
  const std::string recorded = MigrationChecksum("b");
  auto plan = PlanUp(source, {Record(source[0]), Record(2, recorded)});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, kErrorChecksumMismatch);
  EXPECT_NE(plan.error().message.find("V2"), std::string::npos);
  EXPECT_NE(plan.error().message.find(recorded), std::string::npos);
  EXPECT_NE(plan.error().message.find(source[1].checksum), std::string::npos);
}

TEST(MigrationPlan, AppliedMigrationWithoutItsFileIsRefused) {
  const std::vector<Migration> source = {File(1, "a"), File(3, "c")};
  auto plan = PlanUp(source, {Record(source[0]), Record(2, MigrationChecksum("b"))});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, kErrorMissing);
  EXPECT_NE(plan.error().message.find("V2"), std::string::npos);
}

TEST(MigrationPlan, PendingMigrationOlderThanAnAppliedOneIsRefused) {
  const std::vector<Migration> source = {File(1, "a"), File(2, "late"), File(3, "c")};
  auto plan = PlanUp(source, {Record(source[0]), Record(source[2])});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, kErrorOutOfOrder);
  EXPECT_NE(plan.error().message.find("V2"), std::string::npos);
}

TEST(MigrationPlan, DatabaseAheadOfTheBinaryIsTolerated) {
  const std::vector<Migration> source = {File(1, "a"), File(2, "b")};
  auto plan =
      PlanUp(source, {Record(source[0]), Record(source[1]), Record(3, MigrationChecksum("c"))});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->empty());
}

TEST(MigrationStatusReport, ClassifiesEveryVersion) {
  const std::vector<Migration> source = {File(1, "a"), File(2, "b edited"), File(4, "d"),
                                         File(5, "e")};
  const auto statuses =
      CompareMigrations(source, {Record(source[0]), Record(2, MigrationChecksum("b")),
                                 Record(3, MigrationChecksum("c")), Record(source[2]),
                                 Record(9, MigrationChecksum("i"))});
  ASSERT_EQ(statuses.size(), 6U);
  const std::vector<std::pair<std::int64_t, MigrationState>> expected = {
      {1, MigrationState::kApplied}, {2, MigrationState::kChanged}, {3, MigrationState::kMissing},
      {4, MigrationState::kApplied}, {5, MigrationState::kPending}, {9, MigrationState::kFuture}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(statuses[i].version, expected[i].first);
    EXPECT_EQ(statuses[i].state, expected[i].second) << statuses[i].version;
  }
  EXPECT_EQ(statuses[1].applied->checksum, MigrationChecksum("b"));
  EXPECT_EQ(statuses[1].current_checksum, source[1].checksum);
  EXPECT_FALSE(statuses[4].applied.has_value());
  EXPECT_EQ(ToString(MigrationState::kChanged), "changed");
}

}  // namespace
}  // namespace paypipe::cli::migrate
