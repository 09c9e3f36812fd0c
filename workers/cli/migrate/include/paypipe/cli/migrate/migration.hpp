#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"

namespace paypipe::cli::migrate {

// Error codes of the migrator (all Permanent unless stated).
inline constexpr std::string_view kErrorNameInvalid = "MIGRATION_NAME_INVALID";
inline constexpr std::string_view kErrorDuplicateVersion = "MIGRATION_DUPLICATE_VERSION";
inline constexpr std::string_view kErrorSourceUnreadable = "MIGRATION_SOURCE_UNREADABLE";
inline constexpr std::string_view kErrorScriptInvalid = "MIGRATION_SCRIPT_INVALID";
inline constexpr std::string_view kErrorChecksumMismatch = "MIGRATION_CHECKSUM_MISMATCH";
inline constexpr std::string_view kErrorMissing = "MIGRATION_MISSING";
inline constexpr std::string_view kErrorOutOfOrder = "MIGRATION_OUT_OF_ORDER";
inline constexpr std::string_view kErrorFailed = "MIGRATION_FAILED";  // kind of the DB error
inline constexpr std::string_view kErrorLockTimeout = "MIGRATION_LOCK_TIMEOUT";  // Transient
inline constexpr std::string_view kErrorNoDatabase = "MIGRATION_NO_DATABASE";

// A migration file as found in a source, before validation.
struct MigrationFile {
  std::string file_name;  // "V3__add_settlements.sql"
  std::string content;
};

// The parts of a file name `V<version>__<name>.sql`.
struct MigrationName {
  std::int64_t version = 0;
  std::string name;
};

// Parses `V<version>__<name>.sql`: an upper-case V, a positive decimal version (leading zeros
// allowed, compared numerically, so V10 sorts after V9), two underscores, a name of letters,
// digits, `_` and `-` that does not start with `_`, and the `.sql` extension in lower case.
// Anything else is MIGRATION_NAME_INVALID with a message saying what is expected.
[[nodiscard]] domain::Result<MigrationName> ParseMigrationFileName(std::string_view file_name);

// The checksum recorded in schema_migrations: lower-case hex SHA-256 of the content after
// removing a leading UTF-8 byte order mark and turning CRLF line ends into LF, so that a
// checkout with Windows line ends does not look like an edited migration. Every other byte
// counts, comments and whitespace included.
[[nodiscard]] std::string MigrationChecksum(std::string_view content);

struct Migration {
  std::int64_t version = 0;
  std::string name;
  std::string file_name;
  std::string script;
  std::string checksum;
};

// Validates names, refuses two files with one version (MIGRATION_DUPLICATE_VERSION, naming
// both) and returns the migrations in ascending version order. Every problem is reported at
// once, one per line of the message.
[[nodiscard]] domain::Result<std::vector<Migration>> BuildMigrations(
    std::vector<MigrationFile> files);

}  // namespace paypipe::cli::migrate
