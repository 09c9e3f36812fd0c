#include <gtest/gtest.h>

#include <chrono>

#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/http_client/status.hpp"

namespace paypipe::infra::http_client {
namespace {

using std::chrono::seconds;

http::Response WithStatus(int status) {
  http::Response response;
  response.status = status;
  response.body = R"({"code":"SECRET_DETAIL"})";
  return response;
}

TEST(CheckStatus, SuccessIsOk) {
  for (const int status : {200, 201, 202, 204}) {
    EXPECT_TRUE(CheckStatus(WithStatus(status)).ok()) << status;
  }
}

TEST(CheckStatus, ServerErrorsAndThrottlingAreTransient) {
  for (const auto& [status, code] :
       {std::pair{500, kServerError}, std::pair{502, kServerError}, std::pair{503, kServerError},
        std::pair{504, kServerError}, std::pair{429, kTooManyRequests},
        std::pair{408, kRequestTimeout}}) {
    const auto result = CheckStatus(WithStatus(status));
    ASSERT_FALSE(result.ok()) << status;
    EXPECT_EQ(result.error().kind, domain::ErrorKind::kTransient) << status;
    EXPECT_EQ(result.error().code, code) << status;
    EXPECT_NE(result.error().message.find(std::to_string(status)), std::string::npos);
    EXPECT_EQ(result.error().message.find("SECRET_DETAIL"), std::string::npos);
  }
}

TEST(CheckStatus, OtherClientErrorsArePermanent) {
  for (const int status : {400, 401, 403, 404, 409, 422}) {
    const auto result = CheckStatus(WithStatus(status));
    ASSERT_FALSE(result.ok()) << status;
    EXPECT_EQ(result.error().kind, domain::ErrorKind::kPermanent) << status;
    EXPECT_EQ(result.error().code, kClientError);
  }
}

TEST(CheckStatus, RedirectsAndOddStatusesArePermanent) {
  for (const int status : {101, 301, 302, 304, 600}) {
    const auto result = CheckStatus(WithStatus(status));
    ASSERT_FALSE(result.ok()) << status;
    EXPECT_EQ(result.error().kind, domain::ErrorKind::kPermanent) << status;
    EXPECT_EQ(result.error().code, kUnexpectedStatus);
  }
}

TEST(RetryAfter, ParsesDelaySeconds) {
  EXPECT_EQ(ParseRetryAfter("0"), seconds(0));
  EXPECT_EQ(ParseRetryAfter("120"), seconds(120));
  EXPECT_EQ(ParseRetryAfter("  7 "), seconds(7));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999"), seconds(86400));
}

TEST(RetryAfter, RejectsMalformedValues) {
  for (const char* value : {"", " ", "-1", "1.5", "10s", "abc", "1 2"}) {
    EXPECT_FALSE(ParseRetryAfter(value)) << value;
  }
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));  // dates need `now`
}

TEST(RetryAfter, ParsesHttpDatesRelativeToNow) {
  const auto now = std::chrono::sys_days{std::chrono::year{2015} / 10 / 21} +
                   std::chrono::hours{7} + std::chrono::minutes{27};
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), seconds(60));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("30", now), seconds(30));
  EXPECT_FALSE(ParseRetryAfter("Wed, 32 Oct 2015 07:28:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Foo 2015 07:28:00 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 UTC", now));
}

TEST(RetryAfter, ReadsTheHeaderOfAResponse) {
  http::Response response = WithStatus(429);
  EXPECT_FALSE(RetryAfter(response));
  response.headers.Set("retry-after", "3");
  EXPECT_EQ(RetryAfter(response), seconds(3));
}

TEST(MayHaveBeenApplied, OnlyProvenlyUnsentFailuresAreSafeToRepeat) {
  EXPECT_FALSE(MayHaveBeenApplied(domain::Error::Transient(kUnreachable, "")));
  EXPECT_FALSE(MayHaveBeenApplied(domain::Error::Transient(kConnectTimeout, "")));
  EXPECT_FALSE(MayHaveBeenApplied(domain::Error::Permanent(kInvalidRequest, "")));
  EXPECT_TRUE(MayHaveBeenApplied(domain::Error::Transient(kTimeoutAfterSend, "")));
  EXPECT_TRUE(MayHaveBeenApplied(domain::Error::Transient(kTransportError, "")));
  EXPECT_TRUE(MayHaveBeenApplied(domain::Error::Permanent(kResponseTooLarge, "")));
}

}  // namespace
}  // namespace paypipe::infra::http_client
