#include "paypipe/cli/migrate/migration.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::cli::migrate {
namespace {

using domain::Error;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '-';
}

Error InvalidName(std::string_view file_name, std::string_view why) {
  return Error::Permanent(std::string(kErrorNameInvalid),
                          "migration file '" + std::string(file_name) + "': " + std::string(why) +
                              " (expected V<version>__<name>.sql, e.g. V3__add_settlements.sql)");
}

}  // namespace

domain::Result<MigrationName> ParseMigrationFileName(std::string_view file_name) {
  constexpr std::string_view kExtension = ".sql";
  if (file_name.size() < kExtension.size() ||
      file_name.substr(file_name.size() - kExtension.size()) != kExtension) {
    return InvalidName(file_name, "the extension must be .sql in lower case");
  }
  const std::string_view stem = file_name.substr(0, file_name.size() - kExtension.size());
  if (stem.empty() || stem.front() != 'V') {
    return InvalidName(file_name, "the name must start with an upper-case V");
  }
  std::size_t digits = 1;
  while (digits < stem.size() && IsDigit(stem[digits])) ++digits;
  if (digits == 1) return InvalidName(file_name, "the version must be a decimal number");

  MigrationName parsed;
  const auto [end, error] = std::from_chars(stem.data() + 1, stem.data() + digits, parsed.version);
  if (error != std::errc() || end != stem.data() + digits) {
    return InvalidName(file_name, "the version is too large");
  }
  if (parsed.version <= 0) return InvalidName(file_name, "the version must be at least 1");

  const std::string_view rest = stem.substr(digits);
  if (rest.size() < 2 || rest.substr(0, 2) != "__") {
    return InvalidName(file_name, "the version must be followed by two underscores");
  }
  const std::string_view name = rest.substr(2);
  if (name.empty()) return InvalidName(file_name, "the name after __ is empty");
  if (name.front() == '_') return InvalidName(file_name, "the name must not start with _");
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) {
    return InvalidName(file_name, "the name may hold only letters, digits, _ and -");
  }
  parsed.name = std::string(name);
  return parsed;
}

std::string MigrationChecksum(std::string_view content) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (content.substr(0, kBom.size()) == kBom) content.remove_prefix(kBom.size());
  std::string normalized;
  normalized.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n') continue;
    normalized.push_back(content[i]);
  }
  return infra::crypto::Sha256Hex(normalized);
}

domain::Result<std::vector<Migration>> BuildMigrations(std::vector<MigrationFile> files) {
  std::sort(files.begin(), files.end(), [](const MigrationFile& a, const MigrationFile& b) {
    return a.file_name < b.file_name;
  });
  std::vector<std::string> problems;
  std::string code;
  std::map<std::int64_t, Migration> by_version;
  for (auto& file : files) {
    auto name = ParseMigrationFileName(file.file_name);
    if (!name.ok()) {
      problems.push_back(name.error().message);
      if (code.empty()) code = name.error().code;
      continue;
    }
    auto [existing, inserted] = by_version.try_emplace(name->version);
    if (!inserted) {
      problems.push_back("migration files '" + existing->second.file_name + "' and '" +
                         file.file_name + "' both have version " + std::to_string(name->version));
      if (code.empty()) code = std::string(kErrorDuplicateVersion);
      continue;
    }
    Migration& migration = existing->second;
    migration.version = name->version;
    migration.name = std::move(name->name);
    migration.file_name = std::move(file.file_name);
    migration.checksum = MigrationChecksum(file.content);
    migration.script = std::move(file.content);
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& problem : problems) {
      if (!message.empty()) message += "\n";
      message += problem;
    }
    return Error::Permanent(code, message);
  }
  std::vector<Migration> migrations;
  migrations.reserve(by_version.size());
  for (auto& [version, migration] : by_version) migrations.push_back(std::move(migration));
  return migrations;
}

}  // namespace paypipe::cli::migrate
