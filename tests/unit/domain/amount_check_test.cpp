#include "paypipe/domain/amount_check.hpp"

#include <gtest/gtest.h>

#include <string>

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;
using S = PaymentStatus;

constexpr Money kOrder = Money::Krw(15000);

ObservedPayment Reported(S status, std::int64_t total) {
  ObservedPayment observed;
  observed.status = status;
  observed.total = Money::Krw(total);
  observed.balance = Money::Krw(total);
  if (status == S::kDone || status == S::kCanceled) {
    observed.approved_at = Instant{std::chrono::sys_days{2026y / 3 / 1}};
  }
  if (status == S::kCanceled) observed.balance = Money::Zero();
  return observed;
}

TEST(AmountCheck, MatchingConfirmRequestProceeds) {
  const AmountCheck check = CheckConfirmRequest(kOrder, Money::Krw(15000));
  EXPECT_EQ(check.action, AmountAction::kProceed);
}

TEST(AmountCheck, TamperedConfirmRequestIsRefusedBeforeCallingThePg) {
  for (std::int64_t requested : {std::int64_t{100}, std::int64_t{14999}, std::int64_t{15001},
                                 std::int64_t{0}, std::int64_t{-15000}}) {
    const AmountCheck check = CheckConfirmRequest(kOrder, Money::Krw(requested));
    EXPECT_EQ(check.action, AmountAction::kRefuseAndAlert) << requested;
    EXPECT_EQ(check.expected, kOrder);
    EXPECT_EQ(check.actual, Money::Krw(requested));
  }
}

TEST(AmountCheck, CapturedPaymentForAnotherAmountIsCanceled) {
  for (S status : {S::kDone, S::kPartialCanceled, S::kCanceled}) {
    ObservedPayment observed = Reported(status, 100);
    if (status == S::kPartialCanceled) {
      observed.approved_at = Instant{std::chrono::sys_days{2026y / 3 / 1}};
      observed.balance = Money::Krw(60);
    }
    EXPECT_EQ(CheckPgPayment(kOrder, observed).action, AmountAction::kCancelAndAlert)
        << ToString(status);
  }
}

TEST(AmountCheck, IssuedVirtualAccountForAnotherAmountIsCanceledBeforeItIsPaid) {
  EXPECT_EQ(CheckPgPayment(kOrder, Reported(S::kWaitingForDeposit, 100)).action,
            AmountAction::kCancelAndAlert);
}

TEST(AmountCheck, UnapprovedPaymentForAnotherAmountIsOnlyRefused) {
  for (S status : {S::kReady, S::kInProgress, S::kAborted, S::kExpired, S::kFailed}) {
    EXPECT_EQ(CheckPgPayment(kOrder, Reported(status, 100)).action, AmountAction::kRefuseAndAlert)
        << ToString(status);
  }
  ObservedPayment canceled_unpaid = Reported(S::kCanceled, 100);
  canceled_unpaid.approved_at.reset();
  EXPECT_EQ(CheckPgPayment(kOrder, canceled_unpaid).action, AmountAction::kRefuseAndAlert);
}

TEST(AmountCheck, MatchingPgPaymentProceedsWhateverItsStatus) {
  for (S status : kAllPaymentStatuses) {
    EXPECT_EQ(CheckPgPayment(kOrder, Reported(status, 15000)).action, AmountAction::kProceed)
        << ToString(status);
  }
}

TEST(AmountCheck, MismatchErrorNamesBothAmounts) {
  const Error error = AmountMismatchError(CheckPgPayment(kOrder, Reported(S::kDone, 100)));
  EXPECT_EQ(error.kind, ErrorKind::kPermanent);
  EXPECT_EQ(error.code, kPaymentAmountMismatch);
  EXPECT_NE(error.message.find("15,000 KRW"), std::string::npos);
  EXPECT_NE(error.message.find("100 KRW"), std::string::npos);
  EXPECT_NE(error.message.find("canceled"), std::string::npos);
}

}  // namespace
}  // namespace paypipe::domain
