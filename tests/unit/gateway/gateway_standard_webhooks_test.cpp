#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "paypipe/gateway/standard_webhooks.hpp"
#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::gateway {
namespace {

using namespace std::chrono_literals;
using infra::clock::WallTime;

constexpr std::int64_t kNow = 1'772'326'800;
const std::string kKeyA = "first-secret-key-bytes";
const std::string kKeyB = "second-secret-key-bytes";
const std::string kBody = R"({"type":"Transaction.Paid","data":{"paymentId":"pay_1"}})";

WallTime At(std::int64_t seconds) { return WallTime(std::chrono::seconds(seconds)); }

std::string Whsec(const std::string& key) { return "whsec_" + infra::crypto::Base64Encode(key); }

// Signed independently of the verifier: HMAC-SHA256 over "id.timestamp.body", base64.
std::string Sign(const std::string& key, const std::string& id, std::int64_t timestamp,
                 const std::string& body) {
  const std::string content = id + "." + std::to_string(timestamp) + "." + body;
  return "v1," + infra::crypto::Base64Encode(infra::crypto::HmacSha256(key, content));
}

StandardWebhookVerifier Verifier(const std::string& configured) {
  auto verifier = StandardWebhookVerifier::FromSecrets(configured);
  if (!verifier.ok()) throw std::runtime_error(verifier.error().ToString());
  return *verifier;
}

std::string CodeOf(const domain::Result<VerifiedWebhook>& result) {
  return result.ok() ? "OK" : result.error().code;
}

TEST(StandardWebhooks, PassesThePublishedReferenceVector) {
  // The example of the Standard Webhooks specification (standard-webhooks/standard-webhooks).
  const auto verifier = Verifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const auto verified = verifier.Verify(
      "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", R"({"test": 2432232314})", At(1614265330));
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_EQ(verified->id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
  EXPECT_EQ(verified->timestamp, 1614265330);
}

TEST(StandardWebhooks, AcceptsItsOwnVectorAndRefusesTampering) {
  const auto verifier = Verifier(Whsec(kKeyA));
  const std::string signature = Sign(kKeyA, "msg_1", kNow, kBody);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(kNow), signature, kBody, At(kNow))),
            "OK");
  EXPECT_EQ(
      CodeOf(verifier.Verify("msg_1", std::to_string(kNow), signature, kBody + " ", At(kNow))),
      kSignatureMismatch);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_2", std::to_string(kNow), signature, kBody, At(kNow))),
            kSignatureMismatch);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(kNow + 1), signature, kBody, At(kNow))),
            kSignatureMismatch);
  EXPECT_EQ(
      CodeOf(
          Verifier(Whsec(kKeyB)).Verify("msg_1", std::to_string(kNow), signature, kBody, At(kNow))),
      kSignatureMismatch);
}

TEST(StandardWebhooks, AcceptsEitherSecretWhileRotating) {
  const auto verifier = Verifier(Whsec(kKeyA) + " " + Whsec(kKeyB));
  EXPECT_EQ(verifier.key_count(), 2u);
  for (const std::string& key : {kKeyA, kKeyB}) {
    EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(kNow), Sign(key, "msg_1", kNow, kBody),
                                     kBody, At(kNow))),
              "OK");
  }
  EXPECT_EQ(Verifier(Whsec(kKeyA) + "," + Whsec(kKeyB)).key_count(), 2u);
}

TEST(StandardWebhooks, AcceptsAnyMatchingEntryAndSkipsUnknownVersions) {
  const auto verifier = Verifier(Whsec(kKeyB));
  const std::string header = "v1a,bm90LXRoaXM= " + Sign(kKeyA, "msg_1", kNow, kBody) + "  " +
                             Sign(kKeyB, "msg_1", kNow, kBody);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(kNow), header, kBody, At(kNow))), "OK");
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(kNow), "v1a,bm90LXRoaXM= v2,abc", kBody,
                                   At(kNow))),
            kSignatureMalformed);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(kNow), "garbage", kBody, At(kNow))),
            kSignatureMalformed);
}

TEST(StandardWebhooks, ToleratesFiveMinutesEitherWayAndNoMore) {
  const auto verifier = Verifier(Whsec(kKeyA));
  for (const std::int64_t skew : {-300, -1, 0, 1, 300}) {
    const std::int64_t sent = kNow + skew;
    EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(sent),
                                     Sign(kKeyA, "msg_1", sent, kBody), kBody, At(kNow))),
              "OK")
        << skew;
  }
  for (const std::int64_t skew : {-301, 301, -86'400}) {
    const std::int64_t sent = kNow + skew;
    EXPECT_EQ(CodeOf(verifier.Verify("msg_1", std::to_string(sent),
                                     Sign(kKeyA, "msg_1", sent, kBody), kBody, At(kNow))),
              kTimestampOutOfTolerance)
        << skew;
  }
}

TEST(StandardWebhooks, RefusesMalformedHeaders) {
  const auto verifier = Verifier(Whsec(kKeyA));
  const std::string signature = Sign(kKeyA, "msg_1", kNow, kBody);
  const std::string now = std::to_string(kNow);
  EXPECT_EQ(CodeOf(verifier.Verify("", now, signature, kBody, At(kNow))), kSignatureHeadersMissing);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", "", signature, kBody, At(kNow))),
            kSignatureHeadersMissing);
  EXPECT_EQ(CodeOf(verifier.Verify("msg_1", now, "", kBody, At(kNow))), kSignatureHeadersMissing);
  for (const char* bad :
       {"17723268OO", "-1772326800", "1772326800.5", " 1772326800", "99999999999999999999999"}) {
    EXPECT_EQ(CodeOf(verifier.Verify("msg_1", bad, signature, kBody, At(kNow))), kTimestampInvalid)
        << bad;
  }
  EXPECT_EQ(CodeOf(verifier.Verify("msg 1", now, signature, kBody, At(kNow))), kWebhookIdInvalid);
}

TEST(StandardWebhooks, ReadsTheHeadersCaseInsensitively) {
  const auto verifier = Verifier(Whsec(kKeyA));
  infra::http::Headers headers;
  headers.Add("Webhook-Id", "msg_1");
  headers.Add("Webhook-Timestamp", std::to_string(kNow));
  headers.Add("Webhook-Signature", Sign(kKeyA, "msg_1", kNow, kBody));
  EXPECT_TRUE(HasStandardWebhookHeaders(headers));
  EXPECT_EQ(CodeOf(verifier.Verify(headers, kBody, At(kNow))), "OK");
  infra::http::Headers partial;
  partial.Add("webhook-id", "msg_1");
  EXPECT_TRUE(HasStandardWebhookHeaders(partial));
  EXPECT_EQ(CodeOf(verifier.Verify(partial, kBody, At(kNow))), kSignatureHeadersMissing);
  EXPECT_FALSE(HasStandardWebhookHeaders(infra::http::Headers()));
}

TEST(StandardWebhooks, RefusesInvalidSecretsWithoutQuotingThem) {
  for (const char* configured : {"", "  , ", "whsec_not*base64", "whsec_"}) {
    const auto refused = StandardWebhookVerifier::FromSecrets(configured);
    ASSERT_FALSE(refused.ok()) << configured;
    EXPECT_EQ(refused.error().code, kWebhookSecretInvalid);
  }
  const auto second = StandardWebhookVerifier::FromSecrets(Whsec(kKeyA) + " whsec_s3cr3t!");
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message, ::testing::HasSubstr("2 of 2"));
  EXPECT_THAT(second.error().message, ::testing::Not(::testing::HasSubstr("s3cr3t")));
  // The prefix is optional.
  EXPECT_TRUE(StandardWebhookVerifier::FromSecrets(infra::crypto::Base64Encode(kKeyA)).ok());
}

}  // namespace
}  // namespace paypipe::gateway
