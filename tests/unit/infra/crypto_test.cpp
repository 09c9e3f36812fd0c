#include "paypipe/infra/crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <set>

namespace paypipe::infra::crypto {
namespace {

TEST(Crypto, Sha256MatchesTheKnownDigestOfAbc) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Base64RoundTripsEveryPaddingLength) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.ok()) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
}

TEST(Crypto, Base64RejectsGarbage) {
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm9v!mFy").ok());
  EXPECT_FALSE(Base64Decode("Z=9v").ok());
  EXPECT_EQ(Base64Decode("@@@@").error().code, "BASE64_INVALID");
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
}

class CountingRandom final : public RandomSource {
 public:
  void Fill(std::uint8_t* out, std::size_t size) override {
    for (std::size_t i = 0; i < size; ++i) out[i] = next_++;
  }

 private:
  std::uint8_t next_ = 0;
};

TEST(Crypto, UuidV4HasVersionAndVariantBits) {
  CountingRandom random;
  const std::string id = UuidV4(random);
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
  EXPECT_NE(UuidV4(random), id);
}

TEST(Crypto, DeterministicUuidDependsOnlyOnItsInputs) {
  const auto a = DeterministicUuid("paypipe.outbox", "msg-1/0");
  EXPECT_EQ(a, DeterministicUuid("paypipe.outbox", "msg-1/0"));
  EXPECT_NE(a, DeterministicUuid("paypipe.outbox", "msg-1/1"));
  EXPECT_NE(a, DeterministicUuid("paypipe.other", "msg-1/0"));
  EXPECT_EQ(a[14], '5');
  SystemRandom system;
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(UuidV4(system));
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace paypipe::infra::crypto
