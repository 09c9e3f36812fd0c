#include "paypipe/domain/cancel_history.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;
using S = PaymentStatus;

constexpr Money kTotal = Money::Krw(10000);
constexpr Instant kMidnightInSeoul = KstStartOfDay(2026y / 3 / 2);  // 2 March begins
const Instant kApprovedAt = kMidnightInSeoul - 14h;                 // 10:00 KST on 1 March
// A partial cancel one second before midnight in Seoul (1 March in KST), the rest one second
// after (2 March in KST); UTC says 1 March for both.
const Instant kPartialAt = kMidnightInSeoul - 1s;
const Instant kRestAt = kMidnightInSeoul + 1s;

StoredPayment StoredDone() { return {S::kDone, kTotal, kTotal, kApprovedAt}; }

// Canceled at the PG in two steps: 3,000 (300 of it tax-free), then the remaining 7,000.
ObservedPayment CanceledInTwoSteps() {
  ObservedPayment observed;
  observed.status = S::kCanceled;
  observed.total = kTotal;
  observed.balance = Money::Zero();
  observed.approved_at = kApprovedAt;
  observed.canceled_at = kRestAt;
  observed.cancels = {{"tx-partial", Money::Krw(3000), kPartialAt, Money::Krw(300)},
                      {"tx-rest", Money::Krw(7000), kRestAt, Money::Zero()}};
  return observed;
}

PaymentTransition Applied(const StoredPayment& stored, const ObservedPayment& observed) {
  auto decision = DecidePaymentUpdate(stored, observed);
  EXPECT_TRUE(decision.ok()) << decision.error().ToString();
  EXPECT_EQ(decision->verdict, Verdict::kApply);
  return decision->transition;
}

std::vector<NewCancel> Expect(const ObservedPayment& observed, const PaymentTransition& transition,
                              const std::vector<std::string>& held_keys) {
  auto cancels = NewCancels(observed, transition, held_keys);
  EXPECT_TRUE(cancels.ok()) << cancels.error().ToString();
  return cancels.ok() ? *cancels : std::vector<NewCancel>{};
}

// "tx-partial 3000 (tax-free 300) on 2026-03-01 leaves 7000"
std::string Describe(const NewCancel& cancel) {
  const auto& date = cancel.business_date;
  char day[16];
  std::snprintf(day, sizeof day, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return (cancel.transaction_key.empty() ? "(unnamed)" : cancel.transaction_key) + " " +
         std::to_string(cancel.amount.krw()) + " (tax-free " +
         std::to_string(cancel.tax_free_amount.krw()) + ") on " + day + " leaves " +
         std::to_string(cancel.balance_after.krw());
}
std::vector<std::string> Describe(const std::vector<NewCancel>& cancels) {
  std::vector<std::string> out;
  for (const auto& cancel : cancels) out.push_back(Describe(cancel));
  return out;
}
using Lines = std::vector<std::string>;

Money Sum(const std::vector<NewCancel>& cancels) {
  Money sum = Money::Zero();
  for (const auto& cancel : cancels) sum = *sum.Plus(cancel.amount);
  return sum;
}

TEST(NewCancels, PartialAndFullCancelLearnedAtOnceAreTwoCancelsEachWithItsOwnBusinessDate) {
  const ObservedPayment observed = CanceledInTwoSteps();
  const auto cancels = Expect(observed, Applied(StoredDone(), observed), {});
  EXPECT_EQ(Describe(cancels), (Lines{"tx-partial 3000 (tax-free 300) on 2026-03-01 leaves 7000",
                                      "tx-rest 7000 (tax-free 0) on 2026-03-02 leaves 0"}));
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[0].canceled_at, kPartialAt);
  EXPECT_EQ(cancels[1].canceled_at, kRestAt);
}

TEST(NewCancels, AFirstObservationOfACanceledPaymentRecordsEveryCancelBesidesTheCapture) {
  const ObservedPayment observed = CanceledInTwoSteps();
  auto first = FirstPaymentObservation(observed);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->captured, kTotal);
  const auto cancels = Expect(observed, *first, {});
  EXPECT_EQ(Describe(cancels), (Lines{"tx-partial 3000 (tax-free 300) on 2026-03-01 leaves 7000",
                                      "tx-rest 7000 (tax-free 0) on 2026-03-02 leaves 0"}));
  EXPECT_EQ(Sum(cancels), first->refunded);
}

TEST(NewCancels, CancelsWeHoldAreNotRecordedAgain) {
  const ObservedPayment observed = CanceledInTwoSteps();
  const StoredPayment partly{S::kPartialCanceled, kTotal, Money::Krw(7000), kApprovedAt};
  EXPECT_EQ(Describe(Expect(observed, Applied(partly, observed), {"tx-partial"})),
            (Lines{"tx-rest 7000 (tax-free 0) on 2026-03-02 leaves 0"}));
}

TEST(NewCancels, ALookUpThatChangesNothingRecordsNothing) {
  const ObservedPayment observed = CanceledInTwoSteps();
  const StoredPayment canceled{S::kCanceled, kTotal, Money::Zero(), kApprovedAt};
  auto again = DecidePaymentUpdate(canceled, observed);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->verdict, Verdict::kApply);
  EXPECT_TRUE(Expect(observed, again->transition, {}).empty());
  EXPECT_TRUE(Expect(observed, again->transition, {"tx-partial", "tx-rest"}).empty());
}

TEST(NewCancels, WithoutAListTheRefundIsOneUnnamedCancelAtThePaymentsCancelTime) {
  ObservedPayment observed = CanceledInTwoSteps();
  observed.cancels.clear();
  const auto cancels = Expect(observed, Applied(StoredDone(), observed), {});
  EXPECT_EQ(Describe(cancels), (Lines{"(unnamed) 10000 (tax-free 0) on 2026-03-02 leaves 0"}));
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].canceled_at, kRestAt);
}

TEST(NewCancels, CancelsWithoutAKeyOfTheirOwnAreOneUnnamedCancelForTheRest) {
  ObservedPayment observed = CanceledInTwoSteps();
  // The 7,000 came off in two cancels that share one key (as PortOne V1's pg_tid would).
  observed.cancels = {{"tx-partial", Money::Krw(3000), kPartialAt, Money::Zero()},
                      {"pg-tid", Money::Krw(2000), kPartialAt + 1s, Money::Zero()},
                      {"pg-tid", Money::Krw(5000), kRestAt, Money::Zero()}};
  const auto cancels = Expect(observed, Applied(StoredDone(), observed), {});
  EXPECT_EQ(Describe(cancels), (Lines{"tx-partial 3000 (tax-free 0) on 2026-03-01 leaves 7000",
                                      "(unnamed) 7000 (tax-free 0) on 2026-03-02 leaves 0"}));
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[1].canceled_at, kRestAt);  // the latest time of the cancels it stands for
}

TEST(NewCancels, UnheldCancelsWorthMoreThanTheRefundAreRefused) {
  const ObservedPayment observed = CanceledInTwoSteps();
  // We hold the 3,000 under another key than the PG's: both PG cancels look new.
  const StoredPayment partly{S::kPartialCanceled, kTotal, Money::Krw(7000), kApprovedAt};
  auto cancels = NewCancels(observed, Applied(partly, observed), {"some-other-key"});
  ASSERT_FALSE(cancels.ok());
  EXPECT_EQ(cancels.error().code, kPaymentCancelsUnaccounted);
  EXPECT_EQ(cancels.error().kind, ErrorKind::kPermanent);
}

TEST(NewCancels, AHeldCancelTheStoredBalanceDoesNotShowIsRefusedNotRecordedAgainUnnamed) {
  const ObservedPayment observed = CanceledInTwoSteps();
  // A row holds tx-partial, yet the stored payment still has its whole balance.
  auto cancels = NewCancels(observed, Applied(StoredDone(), observed), {"tx-partial"});
  ASSERT_FALSE(cancels.ok());
  EXPECT_EQ(cancels.error().code, kPaymentCancelsUnaccounted);
}

TEST(NewCancels, ACancelWithoutItsOwnTimeTakesThePaymentsCancelTimeElseTheApprovalTime) {
  ObservedPayment observed = CanceledInTwoSteps();
  observed.cancels[0].canceled_at.reset();
  observed.cancels[1].canceled_at.reset();
  const auto cancels = Expect(observed, Applied(StoredDone(), observed), {});
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[0].canceled_at, kApprovedAt);  // left a balance: only the approval is known
  EXPECT_EQ(cancels[1].canceled_at, kRestAt);      // emptied the balance: the payment's time

  // A partial cancel without a time, of a payment whose approval time nobody knows.
  ObservedPayment partly;
  partly.status = S::kPartialCanceled;
  partly.total = kTotal;
  partly.balance = Money::Krw(7000);
  partly.cancels = {{"tx-partial", Money::Krw(3000), std::nullopt, Money::Zero()}};
  const StoredPayment done_untimed{S::kDone, kTotal, kTotal, std::nullopt};
  auto refused = NewCancels(partly, Applied(done_untimed, partly), {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, kPaymentObservationInconsistent);
}

TEST(NewCancels, KeysAreComparedAsTheTableStoresThem) {
  ObservedPayment observed = CanceledInTwoSteps();
  const std::string long_key(kMaxCancelTransactionKeyLength + 6, 'k');
  observed.cancels[0].transaction_key = long_key;
  const StoredPayment partly{S::kPartialCanceled, kTotal, Money::Krw(7000), kApprovedAt};
  EXPECT_EQ(Describe(Expect(observed, Applied(partly, observed), {StoredTransactionKey(long_key)})),
            (Lines{"tx-rest 7000 (tax-free 0) on 2026-03-02 leaves 0"}));

  const auto both = Expect(observed, Applied(StoredDone(), observed), {});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].transaction_key.size(), kMaxCancelTransactionKeyLength);
}

NewCancel Cancel(std::int64_t amount, std::int64_t balance_after) {
  return {"tx-" + std::to_string(amount) + "-" + std::to_string(balance_after),
          Money::Krw(amount),
          Money::Zero(),
          kPartialAt,
          KstDate(kPartialAt),
          Money::Krw(balance_after)};
}

std::vector<std::optional<std::int64_t>> Requests(const std::vector<CancelToRecord>& records) {
  std::vector<std::optional<std::int64_t>> ids;
  for (const auto& record : records) ids.push_back(record.request_id);
  return ids;
}

using Ids = std::vector<std::optional<std::int64_t>>;

TEST(MatchOpenRequests, ARequestForExactlyTheCancelsAmountIsFulfilledByIt) {
  const auto records =
      MatchOpenRequests({Cancel(3000, 7000), Cancel(7000, 0)}, {{5, Money::Krw(3000)}});
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(Requests(records), (Ids{5, std::nullopt}));
  EXPECT_EQ(records[0].cancel.amount, Money::Krw(3000));
}

TEST(MatchOpenRequests, AWholeBalanceRequestIsFulfilledByTheCancelThatEmptiedTheBalance) {
  EXPECT_EQ(Requests(MatchOpenRequests({Cancel(3000, 7000), Cancel(7000, 0)}, {{5, std::nullopt}})),
            (Ids{std::nullopt, 5}));
}

TEST(MatchOpenRequests, EachRequestIsFulfilledOnceOldestFirst) {
  EXPECT_EQ(Requests(MatchOpenRequests({Cancel(3000, 7000), Cancel(3000, 4000)},
                                       {{9, Money::Krw(3000)}, {4, Money::Krw(3000)}})),
            (Ids{4, 9}));
  EXPECT_EQ(Requests(MatchOpenRequests({Cancel(3000, 7000), Cancel(3000, 4000)},
                                       {{4, Money::Krw(3000)}})),
            (Ids{4, std::nullopt}));
}

TEST(MatchOpenRequests, AnExactAmountIsPreferredToTheWholeBalance) {
  EXPECT_EQ(
      Requests(MatchOpenRequests({Cancel(7000, 0)}, {{1, std::nullopt}, {2, Money::Krw(7000)}})),
      (Ids{2}));
}

TEST(MatchOpenRequests, CancelsOfOtherAmountsAreMadeElsewhere) {
  EXPECT_EQ(
      Requests(MatchOpenRequests({Cancel(3000, 7000), Cancel(7000, 0)}, {{5, Money::Krw(2500)}})),
      (Ids{std::nullopt, std::nullopt}));
  // A whole-balance request is not fulfilled by a cancel that left money on the payment.
  EXPECT_EQ(Requests(MatchOpenRequests({Cancel(3000, 7000)}, {{5, std::nullopt}})),
            (Ids{std::nullopt}));
}

}  // namespace
}  // namespace paypipe::domain
