#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <sstream>

#include "paypipe/infra/amqp/errors.hpp"
#include "paypipe/infra/amqp/url.hpp"

namespace paypipe::infra::amqp {
namespace {

constexpr std::string_view kSecret = "s3cr3t-PASS";

TEST(AmqpUrl, ParsesEveryComponent) {
  auto url = AmqpUrl::Parse("amqp://paypipe:s3cr3t@broker.internal:5673/payments");
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  EXPECT_EQ(url->user, "paypipe");
  EXPECT_EQ(url->password, "s3cr3t");
  EXPECT_EQ(url->host, "broker.internal");
  EXPECT_EQ(url->port, 5673);
  EXPECT_EQ(url->vhost, "payments");
}

TEST(AmqpUrl, DefaultsThePortTo5672) {
  auto url = AmqpUrl::Parse("amqp://u:p@localhost/v");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 5672);
}

TEST(AmqpUrl, EmptyPathAndSlashMeanTheDefaultVhost) {
  for (const char* text : {"amqp://u:p@h", "amqp://u:p@h/", "amqp://u:p@h:5672",
                           "amqp://u:p@h:5672/", "amqp://u:p@h/%2f", "amqp://u:p@h/%2F"}) {
    auto url = AmqpUrl::Parse(text);
    ASSERT_TRUE(url.ok()) << text;
    EXPECT_EQ(url->vhost, "/") << text;
  }
}

TEST(AmqpUrl, PercentDecodesUserPasswordAndVhost) {
  auto url = AmqpUrl::Parse("amqp://us%40er:p%3Aa%2Fss%25@h/%2Fprod%20eu");
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  EXPECT_EQ(url->user, "us@er");
  EXPECT_EQ(url->password, "p:a/ss%");
  EXPECT_EQ(url->vhost, "/prod eu");
}

TEST(AmqpUrl, AllowsAnEmptyPassword) {
  auto url = AmqpUrl::Parse("amqp://user:@h/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->user, "user");
  EXPECT_EQ(url->password, "");
}

TEST(AmqpUrl, WithoutCredentialsUsesGuest) {
  auto url = AmqpUrl::Parse("amqp://h/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->user, "guest");
  EXPECT_EQ(url->password, "guest");
}

TEST(AmqpUrl, AcceptsABracketedIpv6Host) {
  auto url = AmqpUrl::Parse("amqp://u:p@[::1]:5679/v");
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 5679);
  auto no_port = AmqpUrl::Parse("amqp://u:p@[fe80::1]/");
  ASSERT_TRUE(no_port.ok());
  EXPECT_EQ(no_port->host, "fe80::1");
  EXPECT_EQ(no_port->port, 5672);
}

TEST(AmqpUrl, SchemeIsCaseInsensitive) { EXPECT_TRUE(AmqpUrl::Parse("AMQP://u:p@h/").ok()); }

struct InvalidCase {
  std::string text;
  std::string mentions;  // what the message must name

  // Keeps test names stable and readable (the default prints raw bytes).
  friend void PrintTo(const InvalidCase& c, std::ostream* out) {
    for (const char ch : c.mentions)
      *out << (std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  }
};

class AmqpUrlInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(AmqpUrlInvalid, IsAPermanentErrorNamingTheProblemWithoutThePassword) {
  const InvalidCase& c = GetParam();
  auto url = AmqpUrl::Parse(c.text);
  ASSERT_FALSE(url.ok()) << c.text;
  EXPECT_EQ(url.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(url.error().code, kErrUrlInvalid);
  EXPECT_NE(url.error().message.find(c.mentions), std::string::npos) << url.error().message;
  EXPECT_EQ(url.error().message.find(kSecret), std::string::npos) << url.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AmqpUrlInvalid,
    ::testing::Values(InvalidCase{"http://u:s3cr3t-PASS@h/", "amqp://"},
                      InvalidCase{"amqps://u:s3cr3t-PASS@h/", "amqps"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@:5672/", "host is missing"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@/v", "host is missing"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h:abc/", "port 'abc'"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h:0/", "port '0'"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h:65536/", "port '65536'"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h:/", "port is empty"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h:56x2/", "port"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h/a/b", "%2f"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h/v%zz", "vhost"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h/v%2", "vhost"},
                      InvalidCase{"amqp://u:s3cr3t-PASS%g1@h/", "password"},
                      InvalidCase{"amqp://u%:s3cr3t-PASS@h/", "user"},
                      InvalidCase{"amqp://:s3cr3t-PASS@h/", "user is empty"},
                      InvalidCase{"amqp://s3cr3t-PASS@h/", "password is missing"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h/?heartbeat=10", "query"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@h/v\n", "whitespace"},
                      InvalidCase{" amqp://u:s3cr3t-PASS@h/", "whitespace"},
                      InvalidCase{"amqp://u:s3cr3t-PASS@[::1/", "IPv6"},
                      InvalidCase{"", "amqp://"}));

TEST(AmqpUrl, ToStringMasksThePassword) {
  auto url = AmqpUrl::Parse("amqp://paypipe:s3cr3t-PASS@h:5673/%2Fprod");
  ASSERT_TRUE(url.ok());
  const std::string text = url->ToString();
  EXPECT_EQ(text, "amqp://paypipe:****@h:5673/%2Fprod");
  std::ostringstream printed;
  printed << *url;
  EXPECT_EQ(printed.str(), text);
}

TEST(AmqpUrl, ToStringParsesBackToTheSameLocation) {
  for (const char* source : {"amqp://u:p@h/", "amqp://a%20b:p@h:1/v%2Fw", "amqp://u:p@[::1]:7/x"}) {
    auto url = AmqpUrl::Parse(source);
    ASSERT_TRUE(url.ok()) << source;
    auto again = AmqpUrl::Parse(url->ToString());
    ASSERT_TRUE(again.ok()) << url->ToString();
    EXPECT_EQ(again->user, url->user);
    EXPECT_EQ(again->host, url->host);
    EXPECT_EQ(again->port, url->port);
    EXPECT_EQ(again->vhost, url->vhost);
  }
}

}  // namespace
}  // namespace paypipe::infra::amqp
