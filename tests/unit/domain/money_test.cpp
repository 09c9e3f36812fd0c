#include "paypipe/domain/money.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace paypipe::domain {
namespace {

TEST(Money, AddsAndSubtractsWholeWon) {
  auto sum = Money::Krw(15000).Plus(Money::Krw(500));
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->krw(), 15500);
  auto diff = Money::Krw(100).Minus(Money::Krw(250));
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->krw(), -150);
}

TEST(Money, OverflowIsAPermanentErrorNotAWrappedValue) {
  const auto max = Money::Krw(std::numeric_limits<std::int64_t>::max());
  auto sum = max.Plus(Money::Krw(1));
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(sum.error().code, "MONEY_OVERFLOW");
  EXPECT_FALSE(Money::Krw(std::numeric_limits<std::int64_t>::min()).Negated().ok());
  EXPECT_FALSE(max.Times(2).ok());
  EXPECT_FALSE(Money::Krw(std::numeric_limits<std::int64_t>::min()).Minus(Money::Krw(1)).ok());
}

TEST(Money, BasisPointsRoundHalfAwayFromZero) {
  // 3.3% of 10,015 = 330.495 -> 330; 1.5% of 1,000,033 = 15,000.495 -> 15,000
  EXPECT_EQ(Money::Krw(10015).ApplyBasisPoints(330)->krw(), 330);
  // 10% of 15 = 1.5 -> 2; of -15 -> -2
  EXPECT_EQ(Money::Krw(15).ApplyBasisPoints(1000)->krw(), 2);
  EXPECT_EQ(Money::Krw(-15).ApplyBasisPoints(1000)->krw(), -2);
  // 10% of 14 = 1.4 -> 1
  EXPECT_EQ(Money::Krw(14).ApplyBasisPoints(1000)->krw(), 1);
  EXPECT_EQ(Money::Krw(0).ApplyBasisPoints(330)->krw(), 0);
}

TEST(Money, BasisPointsOnHugeAmountsDoNotOverflowTheIntermediate) {
  const auto big = Money::Krw(std::numeric_limits<std::int64_t>::max() / 2);
  auto half = big.ApplyBasisPoints(5000);
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->krw(), (std::numeric_limits<std::int64_t>::max() / 2 + 1) / 2);
  EXPECT_FALSE(big.ApplyBasisPoints(30000).ok());
}

TEST(Money, FormatsWithThousandsSeparators) {
  EXPECT_EQ(Money::Krw(15000).Format(), "15,000 KRW");
  EXPECT_EQ(Money::Krw(0).Format(), "0 KRW");
  EXPECT_EQ(Money::Krw(-1234567).Format(), "-1,234,567 KRW");
  EXPECT_EQ(Money::Krw(std::numeric_limits<std::int64_t>::min()).Format(),
            "-9,223,372,036,854,775,808 KRW");
}

TEST(Result, AccessingTheWrongSideThrows) {
  Result<int> ok = 3;
  EXPECT_THROW((void)ok.error(), std::logic_error);
  Result<int> failed = Error::Transient("X", "y");
  EXPECT_THROW((void)failed.value(), std::logic_error);
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient);
  Status status = Ok();
  EXPECT_TRUE(status.ok());
  EXPECT_THROW((void)status.error(), std::logic_error);
}

Status FailsWith(Error error) { return error; }
Result<int> Propagates() {
  PAYPIPE_RETURN_IF_ERROR(FailsWith(Error::RetryTransaction("DB_DEADLOCK", "d")));
  return 1;
}

TEST(Result, ReturnIfErrorPropagatesTheError) {
  auto r = Propagates();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "DB_DEADLOCK");
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryTransaction);
}

}  // namespace
}  // namespace paypipe::domain
