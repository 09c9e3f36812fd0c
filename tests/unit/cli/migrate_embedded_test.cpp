// The migrations compiled into the binary are exactly the files of migrations/, and every one of
// them is well formed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "paypipe/cli/migrate/migration_source.hpp"
#include "paypipe/cli/migrate/sql_script.hpp"

namespace paypipe::cli::migrate {
namespace {

const std::filesystem::path kMigrationsDir =
    std::filesystem::path(PAYPIPE_SOURCE_DIR) / "migrations";

TEST(EmbeddedMigrations, MatchTheMigrationsDirectory) {
  auto embedded = LoadMigrations(std::nullopt);
  ASSERT_TRUE(embedded.ok()) << embedded.error().ToString();
  auto from_directory = LoadMigrations(kMigrationsDir);
  ASSERT_TRUE(from_directory.ok()) << from_directory.error().ToString();
  ASSERT_FALSE(embedded->empty());
  ASSERT_EQ(embedded->size(), from_directory->size());
  for (std::size_t i = 0; i < embedded->size(); ++i) {
    EXPECT_EQ((*embedded)[i].version, (*from_directory)[i].version);
    EXPECT_EQ((*embedded)[i].file_name, (*from_directory)[i].file_name);
    EXPECT_EQ((*embedded)[i].checksum, (*from_directory)[i].checksum)
        << (*embedded)[i].file_name << " changed since the last configure: re-run cmake";
  }
}

TEST(EmbeddedMigrations, VersionsStartAtOneWithoutGaps) {
  auto migrations = LoadMigrations(std::nullopt);
  ASSERT_TRUE(migrations.ok());
  for (std::size_t i = 0; i < migrations->size(); ++i) {
    EXPECT_EQ((*migrations)[i].version, static_cast<std::int64_t>(i + 1));
  }
}

// The SQL without its comments and quoted strings: prose may say "double-entry".
std::string CodeOnly(const std::string& sql) {
  std::string code;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '\'' || c == '"') {
      for (++i; i < sql.size() && sql[i] != c; ++i) {
        if (sql[i] == '\\') ++i;
      }
      code += ' ';
    } else if (c == '#' || (c == '-' && next == '-')) {
      while (i < sql.size() && sql[i] != '\n') ++i;
      code += '\n';
    } else if (c == '/' && next == '*') {
      i = sql.find("*/", i + 2);
      if (i == std::string::npos) break;
      ++i;
      code += ' ';
    } else {
      code += c;
    }
  }
  return code;
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

bool HasWord(const std::string& text, const std::string& word) {
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool start =
        at == 0 || !(std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_');
    const std::size_t end = at + word.size();
    const bool finish = end >= text.size() ||
                        !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_');
    if (start && finish) return true;
  }
  return false;
}

// Money is BIGINT KRW: no approximate or fixed-point numeric type may creep into the schema.
TEST(EmbeddedMigrations, SplitCleanlyAndUseNoFractionalTypes) {
  auto migrations = LoadMigrations(std::nullopt);
  ASSERT_TRUE(migrations.ok());
  for (const auto& migration : *migrations) {
    auto statements = SplitSqlScript(migration.script);
    ASSERT_TRUE(statements.ok()) << migration.file_name << ": " << statements.error().message;
    EXPECT_FALSE(statements->empty()) << migration.file_name;
    for (const auto& statement : *statements) {
      const std::string text = Upper(CodeOnly(statement.text));
      for (const char* type : {"FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC"}) {
        EXPECT_FALSE(HasWord(text, type))
            << migration.file_name << " line " << statement.line << " uses " << type;
      }
    }
  }
}

}  // namespace
}  // namespace paypipe::cli::migrate
