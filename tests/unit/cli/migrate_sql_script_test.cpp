#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "paypipe/cli/migrate/migration.hpp"
#include "paypipe/cli/migrate/sql_script.hpp"

namespace paypipe::cli::migrate {
namespace {

std::vector<std::string> Texts(std::string_view script) {
  auto statements = SplitSqlScript(script);
  EXPECT_TRUE(statements.ok()) << statements.error().ToString();
  std::vector<std::string> texts;
  if (statements.ok()) {
    for (const auto& statement : *statements) texts.push_back(statement.text);
  }
  return texts;
}

using Strings = std::vector<std::string>;

TEST(SqlScript, SplitsOnSemicolonsAndTrims) {
  EXPECT_EQ(Texts("CREATE TABLE a (id INT);\n\n  CREATE TABLE b (id INT) ;\nSELECT 1"),
            (Strings{"CREATE TABLE a (id INT)", "CREATE TABLE b (id INT)", "SELECT 1"}));
}

TEST(SqlScript, EmptyPiecesAndCommentOnlyPiecesAreDropped) {
  EXPECT_EQ(Texts(""), Strings{});
  EXPECT_EQ(Texts(" ;; \n ; -- nothing here\n/* nor here */ ;\n# or here"), Strings{});
}

TEST(SqlScript, SemicolonsInsideQuotesDoNotSplit) {
  EXPECT_EQ(Texts("INSERT INTO t VALUES ('a;b', \"c;d\");SELECT `we;ird` FROM t;"),
            (Strings{"INSERT INTO t VALUES ('a;b', \"c;d\")", "SELECT `we;ird` FROM t"}));
}

TEST(SqlScript, EscapedQuotesStayInsideTheString) {
  EXPECT_EQ(Texts("SELECT 'it''s;ok';SELECT 'back\\'slash;ok';SELECT \"dq\"\";x\";"
                  "SELECT `b``t;x`;"),
            (Strings{"SELECT 'it''s;ok'", "SELECT 'back\\'slash;ok'", "SELECT \"dq\"\";x\"",
                     "SELECT `b``t;x`"}));
  // A backslash does not escape inside backticks.
  EXPECT_EQ(Texts("SELECT `a\\`;SELECT 2"), (Strings{"SELECT `a\\`", "SELECT 2"}));
}

TEST(SqlScript, SemicolonsInsideCommentsDoNotSplit) {
  EXPECT_EQ(
      Texts("SELECT 1 -- one; two\n;SELECT 2 # three; four\n;SELECT /* five; six */ 3;"),
      (Strings{"SELECT 1 -- one; two", "SELECT 2 # three; four", "SELECT /* five; six */ 3"}));
}

TEST(SqlScript, QuotesInsideCommentsAreNotQuotes) {
  EXPECT_EQ(Texts("-- don't\nSELECT 1; /* it's */ SELECT 2;"),
            (Strings{"-- don't\nSELECT 1", "/* it's */ SELECT 2"}));
}

TEST(SqlScript, DoubleDashNeedsWhitespaceToStartAComment) {
  EXPECT_EQ(Texts("SELECT 1--1;SELECT 2"), (Strings{"SELECT 1--1", "SELECT 2"}));
  EXPECT_EQ(Texts("SELECT 3 --\n;"), (Strings{"SELECT 3 --"}));
}

TEST(SqlScript, ExecutableCommentsAreStatements) {
  EXPECT_EQ(Texts("/*!40101 SET NAMES utf8mb4 */;"), (Strings{"/*!40101 SET NAMES utf8mb4 */"}));
  EXPECT_EQ(Texts("/*M!100100 SET x = 1 */;"), (Strings{"/*M!100100 SET x = 1 */"}));
}

TEST(SqlScript, DelimiterCommandAllowsBodiesWithSemicolons) {
  const std::string script =
      "DELIMITER $$\n"
      "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW BEGIN\n"
      "  SET NEW.a = 1;\n"
      "  SET NEW.b = 2;\n"
      "END$$\n"
      "DELIMITER ;\n"
      "SELECT 1;\n";
  EXPECT_EQ(Texts(script),
            (Strings{"CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW BEGIN\n  SET NEW.a = 1;\n"
                     "  SET NEW.b = 2;\nEND",
                     "SELECT 1"}));
  EXPECT_EQ(Texts("delimiter //\nSELECT 1//\n"), (Strings{"SELECT 1"}));
}

TEST(SqlScript, DelimiterMustStartALine) {
  // Inside a statement the word is just a word.
  EXPECT_EQ(Texts("SELECT 'x' AS delimiter;"), (Strings{"SELECT 'x' AS delimiter"}));
}

TEST(SqlScript, ReportsTheLineOfEachStatement) {
  auto statements = SplitSqlScript("-- header\n\nSELECT 1;\nSELECT\n 2;\n\n  /* c */ SELECT 3");
  ASSERT_TRUE(statements.ok());
  ASSERT_EQ(statements->size(), 3U);
  EXPECT_EQ((*statements)[0].line, 3U);
  EXPECT_EQ((*statements)[1].line, 4U);
  EXPECT_EQ((*statements)[2].line, 7U);
}

TEST(SqlScript, KeepsLineCountThroughMultiLineStrings) {
  auto statements = SplitSqlScript("SELECT 'a\nb\nc';\nSELECT 2;");
  ASSERT_TRUE(statements.ok());
  ASSERT_EQ(statements->size(), 2U);
  EXPECT_EQ((*statements)[1].line, 4U);
}

TEST(SqlScript, CrLfLineEndings) {
  EXPECT_EQ(Texts("SELECT 1;\r\n-- c;\r\nSELECT 2;\r\n"),
            (Strings{"SELECT 1", "-- c;\r\nSELECT 2"}));
}

TEST(SqlScript, UnterminatedQuotesAndCommentsAreRefusedWithTheirLine) {
  for (const auto& [script, line] : std::vector<std::pair<std::string, std::string>>{
           {"SELECT 1;\nSELECT 'open;\nSELECT 2;", "line 2"},
           {"SELECT \"open", "line 1"},
           {"SELECT `open", "line 1"},
           {"\n\nSELECT 1 /* open", "line 3"},
           {"DELIMITER\nSELECT 1", "line 1"},
           {"DELIMITER $$ extra\nSELECT 1", "line 1"},
       }) {
    auto statements = SplitSqlScript(script);
    ASSERT_FALSE(statements.ok()) << script;
    EXPECT_EQ(statements.error().code, kErrorScriptInvalid);
    EXPECT_NE(statements.error().message.find(line), std::string::npos)
        << statements.error().message;
  }
}

}  // namespace
}  // namespace paypipe::cli::migrate
