#include <gtest/gtest.h>

#include <string>

#include "paypipe/cli/migrate/migration.hpp"
#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::cli::migrate {
namespace {

TEST(MigrationChecksum, IsTheSha256OfTheContent) {
  const std::string script = "CREATE TABLE t (id BIGINT);\n";
  EXPECT_EQ(MigrationChecksum(script), infra::crypto::Sha256Hex(script));
  EXPECT_EQ(MigrationChecksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(MigrationChecksum(script).size(), 64U);
}

TEST(MigrationChecksum, IgnoresLineEndingStyleAndByteOrderMark) {
  const std::string unix_style = "CREATE TABLE t (\n  id BIGINT\n);\n";
  EXPECT_EQ(MigrationChecksum("CREATE TABLE t (\r\n  id BIGINT\r\n);\r\n"),
            MigrationChecksum(unix_style));
  EXPECT_EQ(MigrationChecksum("\xEF\xBB\xBF" + unix_style), MigrationChecksum(unix_style));
}

TEST(MigrationChecksum, EveryOtherChangeCounts) {
  const std::string base = "CREATE TABLE t (id BIGINT);\n";
  for (const std::string& changed : {
           std::string("CREATE TABLE t (id BIGINT); \n"),       // whitespace
           std::string("CREATE TABLE t (id BIGINT);\n-- x\n"),  // a comment
           std::string("create TABLE t (id BIGINT);\n"),        // case
           std::string("CREATE TABLE t (id BIGINT);"),          // final newline
           std::string("CREATE TABLE t (id BIGINT);\r"),        // lone CR is not CRLF
       }) {
    EXPECT_NE(MigrationChecksum(changed), MigrationChecksum(base)) << changed;
  }
}

}  // namespace
}  // namespace paypipe::cli::migrate
