#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/portone_v1.hpp"

namespace paypipe::messages {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(MessageFields, OrderIdFollowsTheTossRule) {
  EXPECT_TRUE(CheckText("orderId", "order-000042_A", kOrderIdRule).ok());
  EXPECT_TRUE(CheckText("orderId", std::string(64, 'a'), kOrderIdRule).ok());
  EXPECT_FALSE(CheckText("orderId", "short", kOrderIdRule).ok());
  EXPECT_FALSE(CheckText("orderId", std::string(65, 'a'), kOrderIdRule).ok());
  const auto refused = CheckText("orderId", "order 42!", kOrderIdRule);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, kInvalidField);
  EXPECT_EQ(refused.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_THAT(refused.error().message, HasSubstr("'orderId'"));
}

TEST(MessageFields, TextCountsCharactersNotBytes) {
  const std::string hundred_hangul = [] {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "가";  // three bytes each
    return text;
  }();
  EXPECT_TRUE(CheckText("orderName", hundred_hangul, kOrderNameRule).ok());
  EXPECT_FALSE(CheckText("orderName", hundred_hangul + "가", kOrderNameRule).ok());
  EXPECT_FALSE(CheckText("orderName", "tab\there", kOrderNameRule).ok());
  EXPECT_FALSE(CheckText("orderName", "", kOrderNameRule).ok());
  EXPECT_FALSE(CheckText("orderName", "bad \xff byte", kOrderNameRule).ok());
}

TEST(MessageFields, MultilineTextAllowsLineBreaksButNoOtherControls) {
  constexpr TextRule kRule{0, 10, Charset::kMultilineText};
  EXPECT_TRUE(CheckText("text", "a\nb", kRule).ok());
  EXPECT_TRUE(CheckText("text", "", kRule).ok());
  EXPECT_FALSE(CheckText("text", "a\tb", kRule).ok());
  EXPECT_FALSE(CheckText("text", "a\rb", kRule).ok());
  EXPECT_FALSE(CheckText("text", std::string(11, 'x'), kRule).ok());
}

TEST(MessageFields, Utf8ValidationRefusesOverlongsAndSurrogates) {
  EXPECT_TRUE(IsValidUtf8("plain ascii, 한국어, emoji \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate half
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // cut short
}

TEST(MessageFields, AmountsAreWholePositiveKrw) {
  EXPECT_EQ(ReadAmount(json{{"amount", 15000}}, "amount")->krw(), 15000);
  EXPECT_EQ(ReadAmount(json{{"amount", kMaxAmount}}, "amount")->krw(), kMaxAmount);
  for (const json& bad : {json(15000.0), json("15000"), json(0), json(-1), json(true),
                          json(kMaxAmount + 1), json(std::uint64_t{1} << 63)}) {
    const auto refused = ReadAmount(json{{"amount", bad}}, "amount");
    ASSERT_FALSE(refused.ok()) << bad.dump();
    EXPECT_THAT(refused.error().message, HasSubstr("'amount'"));
  }
  EXPECT_THAT(ReadAmount(json::object(), "amount").error().message, HasSubstr("is required"));
  EXPECT_FALSE(ReadOptionalAmount(json{{"cancelAmount", nullptr}}, "cancelAmount")->has_value());
}

TEST(MessageFields, ProvidersHaveWireNames) {
  for (const Provider provider : {Provider::kToss, Provider::kPortOne, Provider::kPortOneV1}) {
    EXPECT_EQ(ProviderFromString(ToString(provider)), provider);
  }
  EXPECT_FALSE(ReadProvider(json{{"provider", "Toss"}}, "provider").ok());
  EXPECT_FALSE(ReadProvider(json{{"provider", 1}}, "provider").ok());
}

TEST(MessageFields, WrongTypesAreRefusedNotConverted) {
  EXPECT_THAT(ReadText(json{{"paymentKey", 42}}, "paymentKey", kPaymentKeyRule).error().message,
              HasSubstr("must be a string"));
  EXPECT_FALSE(ReadText(json::array(), "paymentKey", kPaymentKeyRule).ok());
}

TEST(PortOneV1Notification, ReadsJsonAndFormBodies) {
  const PortOneV1Notification expected{"imp_123", "order-000042", "paid", std::nullopt};
  EXPECT_EQ(*ParsePortOneV1Notification(
                "application/json",
                R"({"imp_uid":"imp_123","merchant_uid":"order-000042","status":"paid"})"),
            expected);
  EXPECT_EQ(*ParsePortOneV1Notification("application/x-www-form-urlencoded; charset=UTF-8",
                                        "imp_uid=imp_123&merchant_uid=order-000042&status=paid"),
            expected);
  const auto cancelled = ParsePortOneV1Notification(
      "Application/X-WWW-Form-Urlencoded",
      "imp_uid=imp_1&merchant_uid=o%2D1+x&status=cancelled&cancellation_id=c1");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->merchant_uid, "o-1 x");
  EXPECT_EQ(cancelled->cancellation_id, "c1");
}

TEST(PortOneV1Notification, RefusesWhatIsNotOne) {
  EXPECT_THAT(
      ParsePortOneV1Notification("application/json", R"({"status":"paid"})").error().message,
      HasSubstr("'imp_uid'"));
  EXPECT_FALSE(ParsePortOneV1Notification("application/json", "not json").ok());
  EXPECT_FALSE(ParsePortOneV1Notification("application/json", "[1,2]").ok());
  EXPECT_FALSE(
      ParsePortOneV1Notification("application/x-www-form-urlencoded", "imp_uid=%zz&status=paid")
          .ok());
  EXPECT_FALSE(
      ParsePortOneV1Notification("application/x-www-form-urlencoded", "imp_uid=a&status=%ff").ok());
}

}  // namespace
}  // namespace paypipe::messages
