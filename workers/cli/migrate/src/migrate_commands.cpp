#include "paypipe/cli/migrate/migrate_commands.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "paypipe/cli/migrate/migrator.hpp"
#include "paypipe/infra/config/settings.hpp"

namespace paypipe::cli::migrate {
namespace {

namespace config = infra::config;

class MigrateCommand final : public Command {
 public:
  MigrateCommand(std::string_view action, std::string_view path, std::string_view summary)
      : action_(action), path_(path), summary_(summary) {}

  [[nodiscard]] std::string_view Path() const override { return path_; }
  [[nodiscard]] std::string_view Summary() const override { return summary_; }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override {
    return {config::Required(config::kMysqlUrl)};
  }
  void AddArguments(CLI::App& app) override {
    app.add_option("--migrations-dir", migrations_dir_,
                   "Directory of V<n>__<name>.sql files to use instead of the migrations built "
                   "into this binary");
    app.add_option("--lock-timeout", lock_timeout_seconds_,
                   "Seconds to wait for another migrator of the same database")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
  }
  [[nodiscard]] int Run(const CommandContext& context) override {
    MigrateOptions options;
    options.mysql_url = context.config.Get(config::kMysqlUrl).text;
    if (!migrations_dir_.empty()) options.migrations_dir = std::filesystem::path(migrations_dir_);
    options.lock_timeout = std::chrono::seconds(lock_timeout_seconds_);
    return RunMigrate(action_, options, context.out, std::cerr);
  }

 private:
  std::string action_;
  std::string_view path_;
  std::string_view summary_;
  std::string migrations_dir_;
  int lock_timeout_seconds_ = 60;
};

}  // namespace

void RegisterMigrateCommands(CommandRegistry& registry) {
  registry.DescribeGroup("migrate", "Apply and inspect the database schema migrations");
  registry.Add(std::make_unique<MigrateCommand>(
      "up", "migrate up",
      "Apply pending migrations in order under a lock; refuse when an applied one was edited"));
  registry.Add(std::make_unique<MigrateCommand>(
      "status", "migrate status",
      "List every migration as applied, pending, changed or missing; exit 1 on drift"));
}

}  // namespace paypipe::cli::migrate
