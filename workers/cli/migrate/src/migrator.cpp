#include "paypipe/cli/migrate/migrator.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "paypipe/cli/migrate/sql_script.hpp"
#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::cli::migrate {
namespace {

using domain::Error;
using domain::Result;

// Created by the migrator itself, in the database being migrated.
constexpr std::string_view kSchemaMigrationsColumns =
    "(\n"
    "  version      BIGINT       NOT NULL COMMENT 'V<version>__ of the file',\n"
    "  name         VARCHAR(255) NOT NULL COMMENT '<name> of the file',\n"
    "  checksum     CHAR(64)     NOT NULL COMMENT 'SHA-256 hex of the file (CRLF as LF)',\n"
    "  applied_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) COMMENT 'UTC',\n"
    "  execution_ms BIGINT       NOT NULL,\n"
    "  installed_by VARCHAR(255) NOT NULL,\n"
    "  PRIMARY KEY (version)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin\n"
    "  COMMENT='migrations applied by paypipe migrate'";

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "`";
  for (const char c : name) {
    quoted.push_back(c);
    if (c == '`') quoted.push_back('`');
  }
  quoted.push_back('`');
  return quoted;
}

std::string Label(std::int64_t version, std::string_view name) {
  return "V" + std::to_string(version) + " (" + std::string(name) + ")";
}

std::string OneLine(std::string_view text, std::size_t max) {
  std::string line;
  bool space = false;
  for (const char c : text) {
    const bool blank = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (blank) {
      space = !line.empty();
      continue;
    }
    if (space) line.push_back(' ');
    space = false;
    line.push_back(c);
    if (line.size() >= max) return line + "...";
  }
  return line;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) {
    if (!text.empty()) text += "\n";
    text += "  " + line;
  }
  return text;
}

// One server-wide lock per migrated database. MySQL limits lock names to 64 characters, and
// database names may be up to 64 on their own: hash them.
std::string LockName(std::string_view database) {
  return "paypipe.migrate." + infra::crypto::Sha256Hex(database).substr(0, 32);
}

// Releases the named lock when the run ends, however it ends. If the connection is gone the
// server has already released it.
class LockGuard {
 public:
  LockGuard(infra::db::Connection& connection, std::string name)
      : connection_(connection), name_(std::move(name)) {}
  ~LockGuard() { (void)connection_.Execute("DO RELEASE_LOCK(?)", {name_}); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  infra::db::Connection& connection_;
  std::string name_;
};

}  // namespace

std::string_view ToString(MigrationState state) {
  switch (state) {
    case MigrationState::kApplied:
      return "applied";
    case MigrationState::kPending:
      return "pending";
    case MigrationState::kChanged:
      return "changed";
    case MigrationState::kMissing:
      return "missing";
    case MigrationState::kFuture:
      return "future";
  }
  return "unknown";
}

std::vector<MigrationStatus> CompareMigrations(const std::vector<Migration>& source,
                                               const std::vector<AppliedMigration>& applied) {
  std::map<std::int64_t, MigrationStatus> merged;
  std::int64_t newest_file = 0;
  for (const Migration& migration : source) {
    MigrationStatus& status = merged[migration.version];
    status.version = migration.version;
    status.name = migration.name;
    status.current_checksum = migration.checksum;
    status.state = MigrationState::kPending;
    newest_file = std::max(newest_file, migration.version);
  }
  for (const AppliedMigration& record : applied) {
    auto found = merged.find(record.version);
    if (found == merged.end()) {
      MigrationStatus& status = merged[record.version];
      status.version = record.version;
      status.name = record.name;
      status.state =
          record.version > newest_file ? MigrationState::kFuture : MigrationState::kMissing;
      status.applied = record;
      continue;
    }
    found->second.applied = record;
    found->second.state = record.checksum == found->second.current_checksum
                              ? MigrationState::kApplied
                              : MigrationState::kChanged;
  }
  std::vector<MigrationStatus> statuses;
  statuses.reserve(merged.size());
  for (auto& [version, status] : merged) statuses.push_back(std::move(status));
  return statuses;
}

Result<std::vector<Migration>> PlanUp(const std::vector<Migration>& source,
                                      const std::vector<AppliedMigration>& applied) {
  const std::vector<MigrationStatus> statuses = CompareMigrations(source, applied);
  std::int64_t newest_applied = 0;
  for (const auto& record : applied) newest_applied = std::max(newest_applied, record.version);

  std::vector<std::string> changed;
  std::vector<std::string> missing;
  std::vector<std::string> out_of_order;
  std::set<std::int64_t> pending;
  for (const MigrationStatus& status : statuses) {
    switch (status.state) {
      case MigrationState::kChanged:
        changed.push_back("migration " + Label(status.version, status.name) +
                          " was changed after it was applied: recorded checksum " +
                          status.applied->checksum + ", current checksum " +
                          status.current_checksum);
        break;
      case MigrationState::kMissing:
        missing.push_back("migration " + Label(status.version, status.name) +
                          " is recorded as applied but its file is gone (renamed or deleted?)");
        break;
      case MigrationState::kPending:
        if (status.version < newest_applied) {
          out_of_order.push_back("migration " + Label(status.version, status.name) +
                                 " is pending but V" + std::to_string(newest_applied) +
                                 " is already applied; give it a version above V" +
                                 std::to_string(newest_applied));
        }
        pending.insert(status.version);
        break;
      case MigrationState::kApplied:
      case MigrationState::kFuture:
        break;
    }
  }
  if (!changed.empty() || !missing.empty() || !out_of_order.empty()) {
    std::vector<std::string> problems = changed;
    problems.insert(problems.end(), missing.begin(), missing.end());
    problems.insert(problems.end(), out_of_order.begin(), out_of_order.end());
    const std::string_view code = !changed.empty()   ? kErrorChecksumMismatch
                                  : !missing.empty() ? kErrorMissing
                                                     : kErrorOutOfOrder;
    std::string advice;
    if (!changed.empty()) {
      advice =
          "\nA migration must never change once applied: restore the original file and put "
          "the change in a new migration.";
    }
    return Error::Permanent(std::string(code), "refusing to migrate, nothing was applied:\n" +
                                                   JoinLines(problems) + advice);
  }
  std::vector<Migration> plan;
  for (const Migration& migration : source) {
    if (pending.count(migration.version) != 0) plan.push_back(migration);
  }
  return plan;
}

Migrator::Migrator(infra::db::Connection& connection, std::vector<Migration> migrations,
                   MigratorOptions options)
    : connection_(connection), migrations_(std::move(migrations)), options_(options) {}

Result<std::string> Migrator::CurrentDatabase() {
  auto rows = connection_.Query("SELECT DATABASE()");
  if (!rows.ok()) return rows.error();
  auto database = rows->front().OptionalString(0);
  if (!database.has_value() || database->empty()) {
    return Error::Permanent(std::string(kErrorNoDatabase),
                            "the MySQL URL must name the database to migrate "
                            "(mysql://user:pass@host:port/database)");
  }
  return *database;
}

Result<std::vector<AppliedMigration>> Migrator::ReadApplied(const std::string& table) {
  auto rows = connection_.Query(
      "SELECT version, name, checksum, applied_at, execution_ms, installed_by FROM " + table +
      " ORDER BY version");
  if (!rows.ok()) return rows.error();
  std::vector<AppliedMigration> applied;
  applied.reserve(rows->size());
  for (const auto& row : *rows) {
    applied.push_back({row.Int64("version"), row.String("name"), row.String("checksum"),
                       row.String("applied_at"), row.Int64("execution_ms"),
                       row.String("installed_by")});
  }
  return applied;
}

Result<std::vector<MigrationStatus>> Migrator::Status() {
  auto database = CurrentDatabase();
  if (!database.ok()) return database.error();
  auto exists = connection_.Query(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND "
      "table_name = 'schema_migrations'",
      {*database});
  if (!exists.ok()) return exists.error();
  std::vector<AppliedMigration> applied;
  if (exists->front().Int64(0) > 0) {
    auto read = ReadApplied(QuoteIdentifier(*database) + ".schema_migrations");
    if (!read.ok()) return read.error();
    applied = std::move(*read);
  }
  return CompareMigrations(migrations_, applied);
}

Result<std::vector<AppliedMigration>> Migrator::Up(std::ostream& progress) {
  if (connection_.InTransaction()) {
    return Error::Permanent(std::string(infra::db::kMisuse),
                            "migrate needs a connection outside any transaction (DDL commits "
                            "implicitly)");
  }
  auto database = CurrentDatabase();
  if (!database.ok()) return database.error();
  // Statements name the database explicitly so that a migration's `USE` cannot redirect
  // the bookkeeping.
  const std::string table = QuoteIdentifier(*database) + ".schema_migrations";

  const std::string lock = LockName(*database);
  auto locked = connection_.Query("SELECT GET_LOCK(?, ?)",
                                  {lock, static_cast<std::int64_t>(options_.lock_timeout.count())});
  if (!locked.ok()) return locked.error();
  const auto got = locked->front().OptionalInt64(0);
  if (!got.has_value() || *got != 1) {
    return Error::Transient(std::string(kErrorLockTimeout),
                            "another migrator of database " + *database + " held the lock '" +
                                lock + "' for more than " +
                                std::to_string(options_.lock_timeout.count()) + " s");
  }
  LockGuard release(connection_, lock);

  auto created = connection_.Execute("CREATE TABLE IF NOT EXISTS " + table + " " +
                                     std::string(kSchemaMigrationsColumns));
  if (!created.ok()) return created.error();
  auto applied = ReadApplied(table);
  if (!applied.ok()) return applied.error();
  auto plan = PlanUp(migrations_, *applied);
  if (!plan.ok()) return plan.error();

  // Split every script first: a malformed one is refused before anything runs.
  std::vector<std::vector<SqlStatement>> scripts;
  for (const Migration& migration : *plan) {
    auto statements = SplitSqlScript(migration.script);
    if (!statements.ok()) {
      return Error::Permanent(std::string(kErrorScriptInvalid),
                              "migration " + Label(migration.version, migration.name) + " (" +
                                  migration.file_name + "): " + statements.error().message +
                                  "; nothing was applied");
    }
    scripts.push_back(std::move(*statements));
  }

  std::vector<AppliedMigration> done;
  for (std::size_t m = 0; m < plan->size(); ++m) {
    const Migration& migration = (*plan)[m];
    const std::vector<SqlStatement>& statements = scripts[m];
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t s = 0; s < statements.size(); ++s) {
      auto executed = connection_.Execute(statements[s].text);
      if (executed.ok()) continue;
      return Error{
          executed.error().kind, std::string(kErrorFailed),
          "migration " + Label(migration.version, migration.name) + " failed at statement " +
              std::to_string(s + 1) + " of " + std::to_string(statements.size()) + " (" +
              migration.file_name + " line " + std::to_string(statements[s].line) +
              "): " + OneLine(statements[s].text, 200) + "\n  " + executed.error().message +
              "\nNothing was recorded for V" + std::to_string(migration.version) +
              "; statements before the failing one stay applied (MySQL commits DDL "
              "implicitly)."};
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    auto recorded = connection_.Execute(
        "INSERT INTO " + table +
            " (version, name, checksum, execution_ms, installed_by) VALUES (?, ?, ?, ?, "
            "CURRENT_USER())",
        {migration.version, migration.name, migration.checksum,
         static_cast<std::int64_t>(elapsed.count())});
    if (!recorded.ok()) {
      return Error{recorded.error().kind, std::string(kErrorFailed),
                   "migration " + Label(migration.version, migration.name) +
                       " was applied but could not be recorded in schema_migrations: " +
                       recorded.error().message};
    }
    progress << "V" << migration.version << " " << migration.name << ": applied "
             << statements.size() << (statements.size() == 1 ? " statement" : " statements")
             << " in " << elapsed.count() << " ms\n";
    done.push_back({migration.version,
                    migration.name,
                    migration.checksum,
                    {},
                    static_cast<std::int64_t>(elapsed.count()),
                    {}});
  }
  return done;
}

}  // namespace paypipe::cli::migrate
