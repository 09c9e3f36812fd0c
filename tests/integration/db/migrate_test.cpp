// `paypipe migrate` against the local MariaDB: the embedded schema, idempotence, refusal of
// edited migrations, failures, and concurrent migrators.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/cli/migrate/migration.hpp"
#include "paypipe/cli/migrate/migration_source.hpp"
#include "paypipe/cli/migrate/migrator.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace paypipe::cli::migrate {
namespace {

using paypipe::testing::mysql::ScopedDatabase;

// A directory of migration files for one test, removed afterwards.
class TempMigrations {
 public:
  TempMigrations() {
    std::random_device device;
    path_ = std::filesystem::temp_directory_path() /
            ("paypipe-migrations-" + std::to_string(device()) + "-" + std::to_string(device()));
    std::filesystem::create_directories(path_);
  }
  ~TempMigrations() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempMigrations(const TempMigrations&) = delete;
  TempMigrations& operator=(const TempMigrations&) = delete;

  void Write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary | std::ios::trunc) << content;
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override { connection_ = database_.Connect(); }

  MigrateOptions Options(std::optional<std::filesystem::path> directory = std::nullopt) const {
    MigrateOptions options;
    options.mysql_url = database_.url_string();
    options.migrations_dir = std::move(directory);
    return options;
  }

  int Run(std::string_view action, const MigrateOptions& options) {
    out_.str("");
    err_.str("");
    return RunMigrate(action, options, out_, err_);
  }

  std::vector<AppliedMigration> Recorded() {
    auto rows = connection_->Query(
        "SELECT version, name, checksum, applied_at, execution_ms, installed_by "
        "FROM schema_migrations ORDER BY version");
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    std::vector<AppliedMigration> recorded;
    if (!rows.ok()) return recorded;
    for (const auto& row : *rows) {
      recorded.push_back(
          {row.Int64(0), row.String(1), row.String(2), row.String(3), row.Int64(4), row.String(5)});
    }
    return recorded;
  }

  std::set<std::string> Tables(std::string_view type) {
    auto rows = connection_->Query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND "
        "table_type = ?",
        {type});
    EXPECT_TRUE(rows.ok());
    std::set<std::string> names;
    if (rows.ok()) {
      for (const auto& row : *rows) names.insert(row.String(0));
    }
    return names;
  }

  std::int64_t Count(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = connection_->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.error().ToString();
    return rows.ok() ? rows->front().Int64(0) : -1;
  }

  ScopedDatabase database_;
  std::unique_ptr<infra::db::Connection> connection_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(MigrateTest, UpCreatesEveryContractTableAndTheFinanceView) {
  ASSERT_EQ(Run("up", Options()), kExitOk) << err_.str();
  const std::set<std::string> tables = Tables("BASE TABLE");
  for (const char* table :
       {"schema_migrations", "inbox", "outbox", "webhook_events", "partners", "customers", "orders",
        "payments", "payment_attempts", "subscriptions", "invoices", "ledger_entries",
        "settlements", "dead_letters", "alerts"}) {
    EXPECT_EQ(tables.count(table), 1U) << table;
  }
  EXPECT_EQ(Tables("VIEW").count("finance_transactions"), 1U);

  // Every table InnoDB and utf8mb4; no fractional numeric column anywhere; every amount BIGINT.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                  "DATABASE() AND table_type = 'BASE TABLE' AND (engine <> 'InnoDB' OR "
                  "table_collation NOT LIKE 'utf8mb4%')"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                  "DATABASE() AND data_type IN ('float', 'double', 'decimal', 'real')"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                  "DATABASE() AND column_name LIKE '%amount' AND data_type <> 'bigint' AND "
                  "table_name IN (SELECT table_name FROM information_schema.tables WHERE "
                  "table_schema = DATABASE() AND table_type = 'BASE TABLE')"),
            0);

  auto migrations = LoadMigrations(std::nullopt);
  ASSERT_TRUE(migrations.ok());
  const auto recorded = Recorded();
  ASSERT_EQ(recorded.size(), migrations->size());
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    EXPECT_EQ(recorded[i].version, (*migrations)[i].version);
    EXPECT_EQ(recorded[i].name, (*migrations)[i].name);
    EXPECT_EQ(recorded[i].checksum, (*migrations)[i].checksum);
    EXPECT_GE(recorded[i].execution_ms, 0);
    EXPECT_FALSE(recorded[i].applied_at.empty());
    EXPECT_FALSE(recorded[i].installed_by.empty());
  }
}

TEST_F(MigrateTest, SecondUpAppliesNothing) {
  auto migrations = LoadMigrations(std::nullopt);
  ASSERT_TRUE(migrations.ok());
  Migrator migrator(*connection_, *migrations);
  std::ostringstream progress;
  auto first = migrator.Up(progress);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->size(), migrations->size());
  const auto before = Recorded();

  auto second = migrator.Up(progress);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_TRUE(second->empty());
  const auto after = Recorded();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].applied_at, before[i].applied_at);  // not re-applied
  }
  EXPECT_EQ(Run("up", Options()), kExitOk) << err_.str();
  EXPECT_EQ(Recorded().size(), before.size());
}

TEST_F(MigrateTest, StatusReportsAppliedPendingAndChanged) {
  TempMigrations files;
  files.Write("V1__first.sql", "CREATE TABLE first_table (id BIGINT PRIMARY KEY);\n");
  files.Write("V2__second.sql", "CREATE TABLE second_table (id BIGINT PRIMARY KEY);\n");

  auto status = [&](std::int64_t version) {
    auto migrations = LoadMigrations(files.path());
    EXPECT_TRUE(migrations.ok());
    Migrator migrator(*connection_, *migrations);
    auto statuses = migrator.Status();
    EXPECT_TRUE(statuses.ok()) << statuses.error().ToString();
    for (const auto& entry : *statuses) {
      if (entry.version == version) return entry.state;
    }
    ADD_FAILURE() << "no V" << version;
    return MigrationState::kMissing;
  };

  // Before anything: status reads without creating schema_migrations.
  EXPECT_EQ(status(1), MigrationState::kPending);
  EXPECT_EQ(Tables("BASE TABLE").count("schema_migrations"), 0U);
  EXPECT_EQ(Run("status", Options(files.path())), kExitOk) << err_.str();

  files.Write("V2__second.sql", "");  // not applied yet: no record to disagree with
  ASSERT_EQ(Run("up", Options(files.path())), kExitOk) << err_.str();
  files.Write("V2__second.sql", "CREATE TABLE second_table (id BIGINT PRIMARY KEY);\n");
  files.Write("V3__third.sql", "CREATE TABLE third_table (id BIGINT PRIMARY KEY);\n");
  EXPECT_EQ(status(1), MigrationState::kApplied);
  EXPECT_EQ(status(2), MigrationState::kChanged);
  EXPECT_EQ(status(3), MigrationState::kPending);
  EXPECT_EQ(Run("status", Options(files.path())), kExitFailure);
}

TEST_F(MigrateTest, EditedAppliedMigrationIsRefusedBeforeAnythingIsApplied) {
  TempMigrations files;
  const std::string original = "CREATE TABLE accounts (id BIGINT PRIMARY KEY);\n";
  files.Write("V1__accounts.sql", original);
  ASSERT_EQ(Run("up", Options(files.path())), kExitOk) << err_.str();

  const std::string edited =
      "CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL);\n";
  files.Write("V1__accounts.sql", edited);
  files.Write("V2__ledger.sql", "CREATE TABLE ledger (id BIGINT PRIMARY KEY);\n");

  auto migrations = LoadMigrations(files.path());
  ASSERT_TRUE(migrations.ok());
  Migrator migrator(*connection_, *migrations);
  std::ostringstream progress;
  auto up = migrator.Up(progress);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, kErrorChecksumMismatch);
  EXPECT_NE(up.error().message.find("V1"), std::string::npos);
  EXPECT_NE(up.error().message.find(MigrationChecksum(original)), std::string::npos);
  EXPECT_NE(up.error().message.find(MigrationChecksum(edited)), std::string::npos);

  EXPECT_EQ(Run("up", Options(files.path())), kExitFailure);
  EXPECT_NE(err_.str().find(MigrationChecksum(original)), std::string::npos);
  EXPECT_NE(err_.str().find(MigrationChecksum(edited)), std::string::npos);

  // V2 was not applied, V1's record is untouched.
  EXPECT_EQ(Tables("BASE TABLE").count("ledger"), 0U);
  const auto recorded = Recorded();
  ASSERT_EQ(recorded.size(), 1U);
  EXPECT_EQ(recorded[0].checksum, MigrationChecksum(original));
}

TEST_F(MigrateTest, FailingMigrationStopsAtItsStatementAndIsNotRecorded) {
  TempMigrations files;
  files.Write("V1__good.sql", "CREATE TABLE good (id BIGINT PRIMARY KEY);\n");
  files.Write("V2__bad.sql",
              "CREATE TABLE half (id BIGINT PRIMARY KEY);\n"
              "\n"
              "INSERT INTO no_such_table VALUES (1);\n"
              "CREATE TABLE never (id BIGINT PRIMARY KEY);\n");
  files.Write("V3__later.sql", "CREATE TABLE later (id BIGINT PRIMARY KEY);\n");

  auto migrations = LoadMigrations(files.path());
  ASSERT_TRUE(migrations.ok());
  Migrator migrator(*connection_, *migrations);
  std::ostringstream progress;
  auto up = migrator.Up(progress);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, kErrorFailed);
  EXPECT_EQ(up.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_NE(up.error().message.find("V2"), std::string::npos);
  EXPECT_NE(up.error().message.find("statement 2 of 3"), std::string::npos) << up.error().message;
  EXPECT_NE(up.error().message.find("line 3"), std::string::npos) << up.error().message;
  EXPECT_NE(up.error().message.find("INSERT INTO no_such_table"), std::string::npos);

  const auto recorded = Recorded();
  ASSERT_EQ(recorded.size(), 1U);
  EXPECT_EQ(recorded[0].version, 1);
  const auto tables = Tables("BASE TABLE");
  EXPECT_EQ(tables.count("half"), 1U);  // DDL before the failure stays (implicit commit)
  EXPECT_EQ(tables.count("never"), 0U);
  EXPECT_EQ(tables.count("later"), 0U);
  EXPECT_EQ(Run("up", Options(files.path())), kExitFailure);
}

TEST_F(MigrateTest, MalformedScriptIsRefusedBeforeAnythingRuns) {
  TempMigrations files;
  files.Write("V1__good.sql", "CREATE TABLE good (id BIGINT PRIMARY KEY);\n");
  files.Write("V2__unterminated.sql", "INSERT INTO good VALUES (1);\nSELECT 'oops;\n");
  EXPECT_EQ(Run("up", Options(files.path())), kExitFailure);
  EXPECT_EQ(Tables("BASE TABLE").count("good"), 0U);
}

TEST_F(MigrateTest, ConcurrentMigratorsApplyEachMigrationExactlyOnce) {
  TempMigrations files;
  files.Write("V1__counter.sql", "CREATE TABLE runs (migration INT NOT NULL);\n");
  // Not idempotent on purpose: a second application would add a second row. The sleep keeps
  // the first migrator inside the lock while the others arrive.
  files.Write("V2__slow.sql", "INSERT INTO runs VALUES (2);\nDO SLEEP(0.5);\n");
  files.Write("V3__after.sql", "INSERT INTO runs VALUES (3);\n");
  auto migrations = LoadMigrations(files.path());
  ASSERT_TRUE(migrations.ok());

  constexpr int kMigrators = 4;
  std::latch start(kMigrators);
  std::atomic<int> succeeded{0};
  std::atomic<std::size_t> applied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&] {
      infra::db::ThreadScope scope;
      auto connection = database_.Connect(MigrationConnectOptions());
      Migrator migrator(*connection, *migrations);
      std::ostringstream progress;
      start.arrive_and_wait();
      auto up = migrator.Up(progress);
      if (!up.ok()) {
        ADD_FAILURE() << up.error().ToString();
        return;
      }
      ++succeeded;
      applied += up->size();
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(succeeded.load(), kMigrators);
  EXPECT_EQ(applied.load(), 3U);  // all three, once, by whichever got the lock first
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE migration = 2"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE migration = 3"), 1);
  EXPECT_EQ(Recorded().size(), 3U);
}

TEST_F(MigrateTest, LockHeldElsewhereTimesOutAsTransient) {
  TempMigrations files;
  files.Write("V1__t.sql", "CREATE TABLE t (id BIGINT PRIMARY KEY);\n");
  auto migrations = LoadMigrations(files.path());
  ASSERT_TRUE(migrations.ok());

  // Another migrator of the same database is inside `up`: take its lock by name.
  auto holder = database_.Connect();
  auto lock_name =
      holder->Query("SELECT CONCAT('paypipe.migrate.', LEFT(SHA2(DATABASE(), 256), 32))");
  ASSERT_TRUE(lock_name.ok());
  auto held = holder->Query("SELECT GET_LOCK(?, 0)", {lock_name->front().String(0)});
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->front().Int64(0), 1);

  Migrator migrator(*connection_, *migrations, MigratorOptions{std::chrono::seconds(1)});
  std::ostringstream progress;
  auto up = migrator.Up(progress);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, kErrorLockTimeout);
  EXPECT_EQ(up.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(Tables("BASE TABLE").count("t"), 0U);

  holder.reset();  // the lock goes with the session
  auto retried = migrator.Up(progress);
  ASSERT_TRUE(retried.ok()) << retried.error().ToString();
  EXPECT_EQ(retried->size(), 1U);
}

TEST_F(MigrateTest, UsageErrors) {
  EXPECT_EQ(Run("down", Options()), kExitUsage);
  MigrateOptions no_database = Options();
  auto url = database_.url();
  url.database.clear();
  no_database.mysql_url = url.Serialize();
  EXPECT_EQ(Run("up", no_database), kExitUsage);
  EXPECT_EQ(err_.str().find(database_.url().password + "@"), std::string::npos);
  MigrateOptions bad_url = Options();
  bad_url.mysql_url = "postgres://nope";
  EXPECT_EQ(Run("status", bad_url), kExitUsage);
  MigrateOptions missing_dir = Options(std::filesystem::path("/nonexistent/migrations"));
  EXPECT_EQ(Run("up", missing_dir), kExitFailure);
}

}  // namespace
}  // namespace paypipe::cli::migrate
