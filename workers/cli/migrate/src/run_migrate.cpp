#include <algorithm>
#include <iomanip>
#include <map>
#include <string>
#include <vector>

#include "paypipe/cli/migrate/migration_source.hpp"
#include "paypipe/cli/migrate/migrator.hpp"

namespace paypipe::cli::migrate {
namespace {

constexpr std::size_t kShortChecksum = 12;

std::string ShortChecksum(const std::string& checksum) {
  return checksum.substr(0, kShortChecksum);
}

void PrintStatus(const std::vector<MigrationStatus>& statuses, std::ostream& out) {
  std::size_t name_width = 4;
  for (const auto& status : statuses) name_width = std::max(name_width, status.name.size());
  out << std::left << std::setw(9) << "VERSION" << std::setw(9) << "STATE"
      << std::setw(static_cast<int>(name_width) + 2) << "NAME" << std::setw(28)
      << "APPLIED AT (UTC)"
      << "CHECKSUM\n";
  std::map<MigrationState, int> counts;
  for (const auto& status : statuses) {
    ++counts[status.state];
    std::string checksum;
    switch (status.state) {
      case MigrationState::kChanged:
        checksum = "recorded " + ShortChecksum(status.applied->checksum) + ", file " +
                   ShortChecksum(status.current_checksum);
        break;
      case MigrationState::kMissing:
      case MigrationState::kFuture:
        checksum = ShortChecksum(status.applied->checksum);
        break;
      case MigrationState::kApplied:
      case MigrationState::kPending:
        checksum = ShortChecksum(status.current_checksum);
        break;
    }
    out << std::left << std::setw(9) << ("V" + std::to_string(status.version)) << std::setw(9)
        << ToString(status.state) << std::setw(static_cast<int>(name_width) + 2) << status.name
        << std::setw(28) << (status.applied ? status.applied->applied_at : std::string())
        << checksum << "\n";
  }
  out << statuses.size() << " migration" << (statuses.size() == 1 ? "" : "s") << ": "
      << counts[MigrationState::kApplied] << " applied, " << counts[MigrationState::kPending]
      << " pending, " << counts[MigrationState::kChanged] << " changed, "
      << counts[MigrationState::kMissing] << " missing";
  if (counts[MigrationState::kFuture] > 0) {
    out << ", " << counts[MigrationState::kFuture] << " newer than this binary";
  }
  out << "\n";
}

}  // namespace

infra::db::ConnectOptions MigrationConnectOptions() {
  infra::db::ConnectOptions options;
  options.read_timeout = std::chrono::hours(1);
  options.write_timeout = std::chrono::hours(1);
  return options;
}

int RunMigrate(std::string_view action, const MigrateOptions& options, std::ostream& out,
               std::ostream& err) {
  if (action != "up" && action != "status") {
    err << "paypipe migrate: unknown action '" << action << "' (expected up or status)\n";
    return kExitUsage;
  }
  auto url = infra::db::MysqlUrl::Parse(options.mysql_url);
  if (!url.ok()) {
    err << "paypipe migrate: PAYPIPE_MYSQL_URL: " << url.error().message << "\n";
    return kExitUsage;
  }
  if (url->database.empty()) {
    err << "paypipe migrate: PAYPIPE_MYSQL_URL must name the database to migrate ("
        << url->Redacted() << " has none)\n";
    return kExitUsage;
  }
  if (options.lock_timeout.count() < 0 ||
      options.lock_timeout >= options.connect_options.read_timeout) {
    err << "paypipe migrate: the lock timeout must be shorter than the read timeout\n";
    return kExitUsage;
  }
  auto migrations = LoadMigrations(options.migrations_dir);
  if (!migrations.ok()) {
    err << "paypipe migrate: invalid migrations:\n" << migrations.error().message << "\n";
    return kExitFailure;
  }
  auto connection = infra::db::Connection::Open(*url, options.connect_options);
  if (!connection.ok()) {
    err << "paypipe migrate: " << connection.error().message << "\n";
    return kExitFailure;
  }
  Migrator migrator(**connection, std::move(*migrations), MigratorOptions{options.lock_timeout});

  if (action == "status") {
    auto statuses = migrator.Status();
    if (!statuses.ok()) {
      err << "paypipe migrate status: " << statuses.error().message << "\n";
      return kExitFailure;
    }
    PrintStatus(*statuses, out);
    const bool broken = std::any_of(statuses->begin(), statuses->end(), [](const auto& status) {
      return status.state == MigrationState::kChanged || status.state == MigrationState::kMissing;
    });
    return broken ? kExitFailure : kExitOk;
  }

  out << "migrating " << url->Redacted() << "\n";
  auto applied = migrator.Up(out);
  if (!applied.ok()) {
    err << "paypipe migrate up: " << applied.error().message << "\n";
    return kExitFailure;
  }
  if (applied->empty()) {
    out << "schema is up to date, nothing to apply\n";
  } else {
    out << "applied " << applied->size() << " migration" << (applied->size() == 1 ? "" : "s")
        << ", schema is at V" << applied->back().version << "\n";
  }
  return kExitOk;
}

}  // namespace paypipe::cli::migrate
