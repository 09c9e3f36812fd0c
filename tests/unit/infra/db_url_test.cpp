#include <gtest/gtest.h>

#include <string>

#include "paypipe/infra/db/errors.hpp"
#include "paypipe/infra/db/mysql_url.hpp"

namespace paypipe::infra::db {
namespace {

TEST(MysqlUrl, ParsesEveryPart) {
  auto url = MysqlUrl::Parse("mysql://app:secret@db.internal:3307/paypipe");
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  EXPECT_EQ(url->user, "app");
  EXPECT_EQ(url->password, "secret");
  EXPECT_EQ(url->host, "db.internal");
  EXPECT_EQ(url->port, 3307);
  EXPECT_EQ(url->database, "paypipe");
}

TEST(MysqlUrl, DefaultsThePortAndAllowsNoDatabase) {
  auto url = MysqlUrl::Parse("mysql://app:secret@127.0.0.1/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 3306);
  EXPECT_EQ(url->database, "");
  auto bare = MysqlUrl::Parse("mysql://app@localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->password, "");
  EXPECT_EQ(bare->host, "localhost");
  EXPECT_EQ(bare->database, "");
}

TEST(MysqlUrl, SchemeIsCaseInsensitive) { EXPECT_TRUE(MysqlUrl::Parse("MySQL://u:p@h/d").ok()); }

TEST(MysqlUrl, PercentDecodesUserPasswordAndDatabase) {
  auto url = MysqlUrl::Parse("mysql://us%40er:p%3Aa%2Fs%25s%20w@h:1/d%2Db");
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  EXPECT_EQ(url->user, "us@er");
  EXPECT_EQ(url->password, "p:a/s%s w");
  EXPECT_EQ(url->database, "d-b");
}

TEST(MysqlUrl, RawAtSignInThePasswordEndsAtTheLastAt) {
  auto url = MysqlUrl::Parse("mysql://u:p@ss@host/db");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->password, "p@ss");
  EXPECT_EQ(url->host, "host");
}

TEST(MysqlUrl, BracketedIpv6Host) {
  auto url = MysqlUrl::Parse("mysql://u:p@[::1]:3310/db");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 3310);
  auto no_port = MysqlUrl::Parse("mysql://u:p@[fe80::1]/db");
  ASSERT_TRUE(no_port.ok());
  EXPECT_EQ(no_port->port, 3306);
}

TEST(MysqlUrl, RefusesMalformedUrls) {
  for (const char* text : {
           "postgres://u:p@h/db",     // scheme
           "mysql://h/db",            // no user
           "mysql://:p@h/db",         // empty user
           "mysql://u:p@/db",         // no host
           "mysql://u:p@h:/db",       // empty port
           "mysql://u:p@h:0/db",      // port out of range
           "mysql://u:p@h:65536/db",  // port out of range
           "mysql://u:p@h:33o6/db",   // port not a number
           "mysql://u:p@h/db?ssl=1",  // query strings are not ignored silently
           "mysql://u:p@h/db#x",      // fragment
           "mysql://u:p@h/db/extra",  // path with more than a database
           "mysql://u:p@[::1/db",     // unterminated IPv6
           "mysql://u:p@[::1]x/db",   // junk after IPv6
           "mysql://u%zz:p@h/db",     // bad escape in the user
           "mysql://u:p@h/d%4",       // truncated escape
       }) {
    auto url = MysqlUrl::Parse(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.error().code, kUrlInvalid) << text;
    EXPECT_EQ(url.error().kind, domain::ErrorKind::kPermanent) << text;
  }
}

TEST(MysqlUrl, ErrorsNeverContainThePassword) {
  for (const char* text : {
           "mysql://u:TopSecret%zz@h/db",
           "mysql://u:TopSecret%4@h/db",
           "mysql://u:TopSecret@h:99999/db",
           "mysql://u:TopSecret@h/db?x=1",
           "mysql://u:TopSecret@/db",
       }) {
    auto url = MysqlUrl::Parse(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.error().message.find("TopSecret"), std::string::npos) << url.error().message;
  }
}

TEST(MysqlUrl, RedactedHidesOnlyThePassword) {
  auto url = MysqlUrl::Parse("mysql://app:TopSecret@db:3306/paypipe");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Redacted(), "mysql://app:***@db:3306/paypipe");
  EXPECT_EQ(MysqlUrl::Parse("mysql://app@db/x")->Redacted(), "mysql://app@db:3306/x");
}

TEST(MysqlUrl, SerializeRoundTripsThroughParse) {
  MysqlUrl url;
  url.user = "us@er";
  url.password = "p:/?#%@ 한";
  url.host = "::1";
  url.port = 4000;
  url.database = "db name";
  auto parsed = MysqlUrl::Parse(url.Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, url);
}

TEST(MysqlUrl, WithDatabaseKeepsTheRest) {
  auto url = MysqlUrl::Parse("mysql://u:p@h:1/a");
  ASSERT_TRUE(url.ok());
  const MysqlUrl other = url->WithDatabase("b");
  EXPECT_EQ(other.database, "b");
  EXPECT_EQ(other.password, "p");
  EXPECT_EQ(url->database, "a");
}

}  // namespace
}  // namespace paypipe::infra::db
