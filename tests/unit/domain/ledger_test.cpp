#include "paypipe/domain/ledger.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>

#include "paypipe/domain/payment_state.hpp"

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;

CaptureEntry Capture(std::int64_t won) {
  return CaptureEntry{42, PartnerId{"partner-1"}, OrderId{"order-000042"}, Money::Krw(won),
                      2026y / 3 / 1};
}

CancelEntry Cancel(std::int64_t cancel_id, std::int64_t won) {
  return CancelEntry{
      42,           cancel_id, PartnerId{"partner-1"}, OrderId{"order-000042"}, Money::Krw(won),
      2026y / 3 / 2};
}

TEST(LedgerPosting, CaptureDebitsThePgAndCreditsThePartner) {
  const auto posting = CapturePosting(Capture(15000));
  ASSERT_TRUE(posting.ok()) << posting.error().ToString();
  EXPECT_EQ(posting->transaction_id, "capture:42");
  EXPECT_EQ(posting->kind, PostingKind::kPaymentCapture);
  EXPECT_STREQ(ToString(posting->kind), "PAYMENT_CAPTURE");
  EXPECT_EQ(posting->business_date, 2026y / 3 / 1);
  EXPECT_EQ(posting->partner_id.str(), "partner-1");
  EXPECT_EQ(posting->order_id.str(), "order-000042");
  EXPECT_EQ(posting->payment_id, 42);
  EXPECT_FALSE(posting->payment_cancel_id.has_value());
  ASSERT_EQ(posting->lines.size(), 2u);
  EXPECT_EQ(posting->lines[0].account, kPgReceivable);
  EXPECT_EQ(posting->lines[0].side(), Side::kDebit);
  EXPECT_EQ(posting->lines[0].amount(), Money::Krw(15000));
  EXPECT_EQ(posting->lines[1].account, kPartnerPayable);
  EXPECT_EQ(posting->lines[1].side(), Side::kCredit);
  EXPECT_EQ(posting->lines[1].amount(), Money::Krw(15000));
  EXPECT_TRUE(CheckBalanced(*posting).ok());
}

TEST(LedgerPosting, CaptureIsIncomeInTheFinanceView) {
  const auto view = FinanceViewOf(CapturePosting(Capture(15000)).value());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->flow, FinanceFlow::kIncome);
  EXPECT_EQ(view->amount, Money::Krw(15000));
}

TEST(LedgerPosting, CancelReversesTheCaptureAndIsOutcome) {
  const auto posting = CancelPosting(Cancel(7, 4000));
  ASSERT_TRUE(posting.ok()) << posting.error().ToString();
  EXPECT_EQ(posting->transaction_id, "cancel:7");
  EXPECT_EQ(posting->kind, PostingKind::kPaymentCancel);
  EXPECT_EQ(posting->payment_id, 42);
  EXPECT_EQ(posting->payment_cancel_id, 7);
  ASSERT_EQ(posting->lines.size(), 2u);
  EXPECT_EQ(posting->lines[0].account, kPartnerPayable);
  EXPECT_EQ(posting->lines[0].side(), Side::kDebit);
  EXPECT_EQ(posting->lines[1].account, kPgReceivable);
  EXPECT_EQ(posting->lines[1].side(), Side::kCredit);
  const auto view = FinanceViewOf(*posting);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->flow, FinanceFlow::kOutcome);
  EXPECT_EQ(view->amount, Money::Krw(4000));
}

TEST(LedgerPosting, OddAndExtremeAmountsBalance) {
  for (std::int64_t won :
       {std::int64_t{1}, std::int64_t{3}, std::int64_t{7}, std::int64_t{999}, std::int64_t{10001},
        std::int64_t{1234567891}, std::numeric_limits<std::int64_t>::max()}) {
    const auto capture = CapturePosting(Capture(won));
    ASSERT_TRUE(capture.ok()) << won;
    EXPECT_TRUE(CheckBalanced(*capture).ok()) << won;
    const auto cancel = CancelPosting(Cancel(1, won));
    ASSERT_TRUE(cancel.ok()) << won;
    EXPECT_TRUE(CheckBalanced(*cancel).ok()) << won;
  }
}

TEST(LedgerPosting, NonPositiveAmountsPostNothing) {
  for (std::int64_t won : {std::int64_t{0}, std::int64_t{-1}}) {
    const auto capture = CapturePosting(Capture(won));
    ASSERT_FALSE(capture.ok());
    EXPECT_EQ(capture.error().code, kLedgerInvalidAmount);
    EXPECT_EQ(capture.error().kind, ErrorKind::kPermanent);
    EXPECT_FALSE(CancelPosting(Cancel(1, won)).ok());
  }
}

Posting Manual(std::vector<LedgerLine> lines) {
  Posting posting;
  posting.transaction_id = "manual:1";
  posting.kind = PostingKind::kSettlement;
  posting.business_date = 2026y / 3 / 2;
  posting.lines = std::move(lines);
  return posting;
}

std::string CodeOf(const Status& status) { return status.ok() ? "OK" : status.error().code; }

TEST(LedgerCheck, RefusesWhatCannotBeWritten) {
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({}))), kLedgerEmptyTransaction);
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({LedgerLine::Debit(kBank, Money::Krw(5))}))),
            kLedgerUnbalanced);
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({LedgerLine::Debit(kBank, Money::Krw(10000)),
                                         LedgerLine::Credit(kPgReceivable, Money::Krw(9999))}))),
            kLedgerUnbalanced);
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({LedgerLine::Debit(kBank, Money::Krw(-5)),
                                         LedgerLine::Credit(kPgReceivable, Money::Krw(-5))}))),
            kLedgerNegativeAmount);
  // Negative on one side "balancing" a positive on the other is still refused.
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({LedgerLine::Debit(kBank, Money::Krw(5)),
                                         LedgerLine::Debit(kPgReceivable, Money::Krw(-5))}))),
            kLedgerNegativeAmount);
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({{kBank, Money::Krw(5), Money::Krw(5)},
                                         LedgerLine::Credit(kPgReceivable, Money::Krw(0))}))),
            kLedgerInvalidLine);
  EXPECT_EQ(CodeOf(CheckBalanced(Manual({LedgerLine::Debit(kBank, Money::Zero()),
                                         LedgerLine::Credit(kPgReceivable, Money::Zero())}))),
            kLedgerInvalidLine);
  EXPECT_EQ(CodeOf(CheckBalanced(
                Manual({LedgerLine::Debit(Account{"", AccountType::kAsset}, Money::Krw(5)),
                        LedgerLine::Credit(kPgReceivable, Money::Krw(5))}))),
            kLedgerInvalidLine);
}

TEST(LedgerCheck, TransactionIdMustFitTheColumn) {
  Posting posting = Manual(
      {LedgerLine::Debit(kBank, Money::Krw(5)), LedgerLine::Credit(kPgReceivable, Money::Krw(5))});
  posting.transaction_id = std::string(64, 'x');
  EXPECT_TRUE(CheckBalanced(posting).ok());
  posting.transaction_id = std::string(65, 'x');
  EXPECT_EQ(CodeOf(CheckBalanced(posting)), kLedgerInvalidTransactionId);
  posting.transaction_id.clear();
  EXPECT_EQ(CodeOf(CheckBalanced(posting)), kLedgerInvalidTransactionId);
}

TEST(LedgerCheck, SumsThatOverflowAreErrorsNotWrappedBalances) {
  const Money max = Money::Krw(std::numeric_limits<std::int64_t>::max());
  const Status status = CheckBalanced(
      Manual({LedgerLine::Debit(kBank, max), LedgerLine::Debit(kBank, max),
              LedgerLine::Credit(kPgReceivable, max), LedgerLine::Credit(kPgReceivable, max)}));
  EXPECT_EQ(CodeOf(status), "MONEY_OVERFLOW");
}

TEST(LedgerCheck, RowVocabulary) {
  EXPECT_STREQ(ToString(Side::kDebit), "DEBIT");
  EXPECT_STREQ(ToString(Side::kCredit), "CREDIT");
  EXPECT_STREQ(ToString(AccountType::kAsset), "ASSET");
  EXPECT_STREQ(ToString(AccountType::kLiability), "LIABILITY");
  EXPECT_STREQ(ToString(AccountType::kEquity), "EQUITY");
  EXPECT_STREQ(ToString(AccountType::kRevenue), "REVENUE");
  EXPECT_STREQ(ToString(AccountType::kExpense), "EXPENSE");
  EXPECT_STREQ(ToString(PostingKind::kPaymentCancel), "PAYMENT_CANCEL");
  EXPECT_STREQ(ToString(PostingKind::kSettlement), "SETTLEMENT");
}

// The shape a settlement posting will take, to show the type holds it: what is owed to the
// partner for the day is split into our fee, its VAT, tax withheld and the payout from the bank.
// Fee and taxes are rounded per line (Money::ApplyBasisPoints); the payout is the remainder, so
// any odd amount still balances.
Posting SettlementShape(std::int64_t gross, std::int64_t refunds) {
  const Money owed = Money::Krw(gross).Minus(Money::Krw(refunds)).value();
  const Money fee = Money::Krw(gross).ApplyBasisPoints(250).value();
  const Money vat = fee.ApplyBasisPoints(1000).value();
  const Money withheld = owed.ApplyBasisPoints(330).value();
  const Money payout = owed.Minus(fee).value().Minus(vat).value().Minus(withheld).value();
  Posting posting = Manual(
      {LedgerLine::Debit(kPartnerPayable, owed), LedgerLine::Credit(kFeeRevenue, fee),
       LedgerLine::Credit(kVatPayable, vat), LedgerLine::Credit(kWithholdingPayable, withheld),
       LedgerLine::Credit(kBank, payout)});
  posting.transaction_id = "settlement:9";
  posting.settlement_id = 9;
  return posting;
}

TEST(LedgerPosting, SettlementShapedPostingsBalanceForOddAmounts) {
  for (std::int64_t gross = 1001; gross < 60000; gross += 997) {
    for (std::int64_t refunds : {std::int64_t{0}, std::int64_t{1}, std::int64_t{333}}) {
      const Posting posting = SettlementShape(gross, refunds);
      ASSERT_TRUE(CheckBalanced(posting).ok())
          << gross << " " << refunds << ": " << CheckBalanced(posting).error().ToString();
      const auto view = FinanceViewOf(posting);
      ASSERT_TRUE(view.ok());
      EXPECT_EQ(view->flow, FinanceFlow::kOutcome);
      EXPECT_EQ(view->amount, posting.lines.back().credit);
    }
  }
}

TEST(LedgerPosting, PostingsThatLeaveAssetsAloneAreNotInTheFinanceView) {
  const Posting fee_only = Manual({LedgerLine::Debit(kPartnerPayable, Money::Krw(250)),
                                   LedgerLine::Credit(kFeeRevenue, Money::Krw(250))});
  const auto view = FinanceViewOf(fee_only);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->flow, FinanceFlow::kNone);
  EXPECT_TRUE(view->amount.IsZero());
}

// What the confirm and cancel stages will do: post the money effects of each payment transition.
// Whatever order the PG states arrive in, pg_receivable ends at the payment's balance.
TEST(LedgerPosting, LedgerFollowsThePaymentBalanceThroughOutOfOrderArrivals) {
  const Money total = Money::Krw(10001);
  const Instant approved_at{std::chrono::sys_days{2026y / 3 / 1} + 1h};
  auto observed = [&](PaymentStatus status, std::int64_t balance) {
    ObservedPayment o;
    o.status = status;
    o.total = total;
    o.balance = Money::Krw(balance);
    o.approved_at = approved_at;
    return o;
  };
  // CANCELED's partial step seen first, then the approval, a late partial, the final cancel.
  const std::vector<ObservedPayment> arrivals = {
      observed(PaymentStatus::kPartialCanceled, 6667), observed(PaymentStatus::kDone, 10001),
      observed(PaymentStatus::kPartialCanceled, 3333),
      observed(PaymentStatus::kPartialCanceled, 8000), observed(PaymentStatus::kCanceled, 0)};
  std::map<std::string_view, std::int64_t> net;  // debit-positive per account
  StoredPayment stored{PaymentStatus::kReady, total, total, std::nullopt};
  std::int64_t cancel_id = 0;
  for (const ObservedPayment& arrival : arrivals) {
    const auto decision = DecidePaymentUpdate(stored, arrival);
    ASSERT_TRUE(decision.ok()) << decision.error().ToString();
    const PaymentTransition& change = decision->transition;
    std::vector<Posting> postings;
    if (!change.captured.IsZero()) {
      postings.push_back(
          CapturePosting({42, PartnerId{"p"}, OrderId{"o"}, change.captured, 2026y / 3 / 1})
              .value());
    }
    if (!change.refunded.IsZero()) {
      postings.push_back(CancelPosting({42, ++cancel_id, PartnerId{"p"}, OrderId{"o"},
                                        change.refunded, 2026y / 3 / 2})
                             .value());
    }
    for (const Posting& posting : postings) {
      ASSERT_TRUE(CheckBalanced(posting).ok());
      for (const LedgerLine& line : posting.lines) {
        net[line.account.code] += line.debit.krw() - line.credit.krw();
      }
    }
    stored = StoredPayment{change.to, total, change.balance_after, change.approved_at};
    EXPECT_EQ(net[kPgReceivable.code], stored.balance.krw());
    EXPECT_EQ(net[kPartnerPayable.code], -stored.balance.krw());
  }
  EXPECT_EQ(stored.status, PaymentStatus::kCanceled);
  EXPECT_EQ(cancel_id, 3);  // 3,334 with the capture, 3,334 more, the last 3,333
}

}  // namespace
}  // namespace paypipe::domain
