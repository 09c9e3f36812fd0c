#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "paypipe/cli/migrate/migration.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::cli::migrate {

// The files of the repository's migrations/ directory as they were when the binary was built
// (CMake generates them into the library; adding, removing or editing a file re-runs the
// configure step). The binary therefore carries its own schema and needs no files at run time.
[[nodiscard]] std::vector<MigrationFile> EmbeddedMigrationFiles();

// Every regular file of `directory` whose name ends in `.sql` (in any letter case, so that a
// `.SQL` file is refused by name validation rather than ignored); other files are skipped.
// MIGRATION_SOURCE_UNREADABLE when the directory or a file cannot be read.
[[nodiscard]] domain::Result<std::vector<MigrationFile>> ReadMigrationDirectory(
    const std::filesystem::path& directory);

// The validated migrations of `directory`, or of the embedded set when none is given.
[[nodiscard]] domain::Result<std::vector<Migration>> LoadMigrations(
    const std::optional<std::filesystem::path>& directory);

}  // namespace paypipe::cli::migrate
