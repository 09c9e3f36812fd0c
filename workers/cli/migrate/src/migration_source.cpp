#include "paypipe/cli/migrate/migration_source.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

namespace paypipe::cli::migrate {
namespace {

domain::Error Unreadable(const std::string& what) {
  return domain::Error::Permanent(std::string(kErrorSourceUnreadable), what);
}

bool HasSqlExtension(const std::string& name) {
  if (name.size() < 4) return false;
  std::string extension = name.substr(name.size() - 4);
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return extension == ".sql";
}

}  // namespace

domain::Result<std::vector<MigrationFile>> ReadMigrationDirectory(
    const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) {
    return Unreadable("cannot read migrations directory " + directory.string() + ": " +
                      error.message());
  }
  std::vector<MigrationFile> files;
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (!HasSqlExtension(name) || !entry.is_regular_file(error)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return Unreadable("cannot open " + entry.path().string());
    std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return Unreadable("cannot read " + entry.path().string());
    files.push_back({name, std::move(content)});
  }
  return files;
}

domain::Result<std::vector<Migration>> LoadMigrations(
    const std::optional<std::filesystem::path>& directory) {
  if (!directory.has_value()) return BuildMigrations(EmbeddedMigrationFiles());
  auto files = ReadMigrationDirectory(*directory);
  if (!files.ok()) return files.error();
  return BuildMigrations(std::move(*files));
}

}  // namespace paypipe::cli::migrate
