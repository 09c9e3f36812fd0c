#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "paypipe/cli/migrate/migration.hpp"

namespace paypipe::cli::migrate {
namespace {

TEST(MigrationFileName, ParsesVersionAndName) {
  auto parsed = ParseMigrationFileName("V12__add_settlement-fees.sql");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->version, 12);
  EXPECT_EQ(parsed->name, "add_settlement-fees");
  auto padded = ParseMigrationFileName("V007__x.sql");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->version, 7);
}

TEST(MigrationFileName, RefusesMalformedNames) {
  for (const char* name : {
           "v1__lower_v.sql",           // lower-case v
           "1__no_v.sql",               // no V
           "V__no_version.sql",         // no version
           "V1_one_underscore.sql",     // one underscore
           "V1__.sql",                  // empty name
           "V1___leading.sql",          // name starts with _
           "V1__has space.sql",         // space
           "V1__dotted.name.sql",       // dot in the name
           "V1.1__dotted_version.sql",  // dotted versions are not supported
           "V0__zero.sql",              // versions start at 1
           "V99999999999999999999__huge.sql",
           "V1__upper_ext.SQL",  // extension case
           "V1__no_ext",         // no extension
           "R__repeatable.sql",  // repeatable migrations are not supported
       }) {
    auto parsed = ParseMigrationFileName(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.error().code, kErrorNameInvalid) << name;
    EXPECT_NE(parsed.error().message.find(name), std::string::npos) << parsed.error().message;
  }
}

TEST(BuildMigrations, OrdersByNumericVersion) {
  std::vector<MigrationFile> files = {
      {"V10__ten.sql", "SELECT 10;"},
      {"V9__nine.sql", "SELECT 9;"},
      {"V1__one.sql", "SELECT 1;"},
      {"V2__two.sql", "SELECT 2;"},
  };
  auto migrations = BuildMigrations(files);
  ASSERT_TRUE(migrations.ok()) << migrations.error().ToString();
  std::vector<std::int64_t> versions;
  for (const auto& migration : *migrations) versions.push_back(migration.version);
  EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 2, 9, 10}));
  EXPECT_EQ((*migrations)[3].name, "ten");
  EXPECT_EQ((*migrations)[3].file_name, "V10__ten.sql");
  EXPECT_EQ((*migrations)[3].script, "SELECT 10;");
  EXPECT_EQ((*migrations)[3].checksum, MigrationChecksum("SELECT 10;"));
}

TEST(BuildMigrations, RefusesDuplicateVersionsNamingBothFiles) {
  auto migrations = BuildMigrations({{"V1__a.sql", "x"}, {"V01__b.sql", "y"}});
  ASSERT_FALSE(migrations.ok());
  EXPECT_EQ(migrations.error().code, kErrorDuplicateVersion);
  EXPECT_NE(migrations.error().message.find("V1__a.sql"), std::string::npos);
  EXPECT_NE(migrations.error().message.find("V01__b.sql"), std::string::npos);
}

TEST(BuildMigrations, ReportsEveryProblemAtOnce) {
  auto migrations = BuildMigrations({{"V1__ok.sql", ""}, {"bad.sql", ""}, {"V2_worse.sql", ""}});
  ASSERT_FALSE(migrations.ok());
  EXPECT_EQ(migrations.error().code, kErrorNameInvalid);
  EXPECT_NE(migrations.error().message.find("bad.sql"), std::string::npos);
  EXPECT_NE(migrations.error().message.find("V2_worse.sql"), std::string::npos);
}

TEST(BuildMigrations, EmptySourceIsValid) {
  auto migrations = BuildMigrations({});
  ASSERT_TRUE(migrations.ok());
  EXPECT_TRUE(migrations->empty());
}

}  // namespace
}  // namespace paypipe::cli::migrate
