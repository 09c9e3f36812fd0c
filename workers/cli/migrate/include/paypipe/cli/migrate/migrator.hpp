#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/cli/migrate/migration.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/infra/db/connection.hpp"

namespace paypipe::cli::migrate {

// A row of schema_migrations.
struct AppliedMigration {
  std::int64_t version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;  // UTC, as the server prints DATETIME(6)
  std::int64_t execution_ms = 0;
  std::string installed_by;
};

enum class MigrationState {
  kApplied,  // recorded, file unchanged
  kPending,  // file present, not recorded
  kChanged,  // recorded with another checksum than the file's now
  kMissing,  // recorded, no file, older than the newest file (renamed or deleted)
  kFuture,   // recorded, no file, newer than every file: the database is ahead of this binary
};

[[nodiscard]] std::string_view ToString(MigrationState state);

struct MigrationStatus {
  std::int64_t version = 0;
  std::string name;
  MigrationState state = MigrationState::kPending;
  std::string current_checksum;  // of the file; empty when there is none
  std::optional<AppliedMigration> applied;
};

// Pure: every version of either side, ascending, with its state.
[[nodiscard]] std::vector<MigrationStatus> CompareMigrations(
    const std::vector<Migration>& source, const std::vector<AppliedMigration>& applied);

// Pure: the migrations `up` applies, ascending, or why it refuses to apply anything:
// MIGRATION_CHECKSUM_MISMATCH (an applied file was edited; the message names each version with
// its recorded and current checksum), MIGRATION_MISSING (an applied file is gone), or
// MIGRATION_OUT_OF_ORDER (a pending file is older than an applied one). Versions recorded by a
// newer binary (kFuture) are tolerated.
[[nodiscard]] domain::Result<std::vector<Migration>> PlanUp(
    const std::vector<Migration>& source, const std::vector<AppliedMigration>& applied);

struct MigratorOptions {
  // How long `up` waits for another migrator of the same database to finish.
  std::chrono::seconds lock_timeout{60};
};

// Applies `migrations` to the database the connection is using, Flyway-style.
//
// `Up` is safe to run from several processes at once (every replica's start-up, say): it holds
// the named lock `paypipe.migrate.<hash of the database name>` (GET_LOCK) for the whole run, so
// each migration is applied exactly once; a migrator that waited finds nothing left to do.
// Before applying anything it validates every applied migration against its file (see
// PlanUp) and splits every pending script; then it runs each pending migration's statements in
// order and records version, name, checksum, applied_at and execution time in
// schema_migrations (which it creates). A failing statement stops the run with the version,
// the statement's number and line and the server's error, and nothing is recorded for that
// migration. MySQL commits DDL implicitly, so the statements before the failing one stay
// applied: write migrations so that a fixed re-run can succeed, or repair by hand.
//
// The connection must not be in a transaction and is used by this object only while a call
// runs. Not thread-safe (one Migrator per connection per thread).
class Migrator {
 public:
  Migrator(infra::db::Connection& connection, std::vector<Migration> migrations,
           MigratorOptions options = {});

  // Compares the files with schema_migrations. Takes no lock and changes nothing (a database
  // without schema_migrations has nothing applied).
  [[nodiscard]] domain::Result<std::vector<MigrationStatus>> Status();

  // Applies what is pending; returns what this call applied (empty when up to date). One
  // line per migration goes to `progress`.
  [[nodiscard]] domain::Result<std::vector<AppliedMigration>> Up(std::ostream& progress);

 private:
  [[nodiscard]] domain::Result<std::string> CurrentDatabase();
  [[nodiscard]] domain::Result<std::vector<AppliedMigration>> ReadApplied(const std::string& table);

  infra::db::Connection& connection_;
  std::vector<Migration> migrations_;
  MigratorOptions options_;
};

// Exit codes of RunMigrate (the same meaning as for every paypipe command).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Long read/write timeouts: one DDL statement on a large table may legitimately run for many
// minutes.
[[nodiscard]] infra::db::ConnectOptions MigrationConnectOptions();

struct MigrateOptions {
  // PAYPIPE_MYSQL_URL; must name the database to migrate.
  std::string mysql_url;
  // A directory of V<n>__<name>.sql files; the migrations embedded in the binary when empty.
  std::optional<std::filesystem::path> migrations_dir;
  std::chrono::seconds lock_timeout{60};
  infra::db::ConnectOptions connect_options = MigrationConnectOptions();
};

// `paypipe migrate up|status`. Reports go to `out`, problems to `err` (the password never
// appears in either). Exit status:
//   up:     0 applied or already up to date; 1 refused or failed (nothing is applied when the
//           refusal is about checksums, missing or out-of-order files); 2 bad action or URL.
//   status: 0 when `up` would succeed (pending migrations included); 1 when an applied
//           migration was changed or is missing, or the database cannot be read; 2 as above.
[[nodiscard]] int RunMigrate(std::string_view action, const MigrateOptions& options,
                             std::ostream& out, std::ostream& err);

}  // namespace paypipe::cli::migrate
