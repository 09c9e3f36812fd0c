#include "paypipe/domain/payment_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;
using S = PaymentStatus;

constexpr Money kTotal = Money::Krw(10000);
const Instant kApprovedAt{std::chrono::sys_days{2026y / 3 / 1} + 1h};
const Instant kFirstCancelAt{std::chrono::sys_days{2026y / 3 / 2} + 1h};
const Instant kSecondCancelAt{std::chrono::sys_days{2026y / 3 / 3} + 1h};

bool Approved(S status) {
  return status == S::kDone || status == S::kPartialCanceled || status == S::kCanceled;
}

// A typical observation per status: 10,000 won, of which 4,000 canceled when partly canceled.
ObservedPayment Observed(S status) {
  ObservedPayment observed;
  observed.status = status;
  observed.total = kTotal;
  observed.balance = kTotal;
  if (Approved(status)) observed.approved_at = kApprovedAt;
  if (status == S::kPartialCanceled) {
    observed.balance = Money::Krw(6000);
    observed.cancels = {{"tx-1", Money::Krw(4000), kFirstCancelAt}};
  }
  if (status == S::kCanceled) {
    observed.balance = Money::Zero();
    observed.cancels = {{"tx-1", Money::Krw(4000), kFirstCancelAt},
                        {"tx-2", Money::Krw(6000), kSecondCancelAt}};
  }
  return observed;
}

StoredPayment Stored(S status) {
  const ObservedPayment observed = Observed(status);
  return StoredPayment{status, observed.total, observed.balance, observed.approved_at};
}

StoredPayment After(const StoredPayment& stored, const PaymentTransition& change) {
  return StoredPayment{change.to, stored.total, change.balance_after, change.approved_at};
}

// Money the payment holds for us: the cancelable balance once approved, nothing before.
Money Held(Money balance, const std::optional<Instant>& approved_at) {
  return approved_at ? balance : Money::Zero();
}

// Expected verdict per (stored, observed) pair, rows and columns in enum order:
// A apply, D duplicate, S stale, X illegal, R deposit reversal (refused for a person).
constexpr std::array<std::string_view, 10> kExpected = {
    // R  I  W  D  P  C  A  E  F  U      observed ->
    "D A A A A A A A A A",  // READY
    "S D A A A A A A A A",  // IN_PROGRESS
    "S S D A A A X A X S",  // WAITING_FOR_DEPOSIT
    "S S R D A A X X X S",  // DONE
    "S S S S D A X X X S",  // PARTIAL_CANCELED
    "S S S S S D X X X S",  // CANCELED
    "S S S X X X D X X S",  // ABORTED
    "S S S X X X X D X S",  // EXPIRED
    "S S S X X X X X D S",  // FAILED
    "A A A A A A A A A D",  // UNKNOWN
};

char ExpectedFor(S from, S to) {
  return kExpected[static_cast<std::size_t>(from)][2 * static_cast<std::size_t>(to)];
}

TEST(PaymentStateMachine, EveryTransitionFollowsTheTable) {
  int checked = 0;
  for (S from : kAllPaymentStatuses) {
    for (S to : kAllPaymentStatuses) {
      SCOPED_TRACE(std::string(ToString(from)) + " -> " + ToString(to));
      const StoredPayment stored = Stored(from);
      const auto decision = DecidePaymentUpdate(stored, Observed(to));
      const char expected = ExpectedFor(from, to);
      ++checked;
      if (expected == 'X' || expected == 'R') {
        ASSERT_FALSE(decision.ok());
        EXPECT_EQ(decision.error().kind, ErrorKind::kPermanent);
        EXPECT_EQ(decision.error().code,
                  expected == 'X' ? kPaymentTransitionIllegal : kPaymentDepositReversed);
        EXPECT_NE(decision.error().message.find(ToString(from)), std::string::npos);
        EXPECT_NE(decision.error().message.find(ToString(to)), std::string::npos);
        continue;
      }
      ASSERT_TRUE(decision.ok()) << decision.error().ToString();
      const PaymentTransition& change = decision->transition;
      EXPECT_EQ(change.from, from);
      if (expected != 'A') {
        EXPECT_EQ(decision->verdict, expected == 'D' ? Verdict::kDuplicate : Verdict::kStale);
        EXPECT_EQ(change.to, from);
        EXPECT_EQ(change.balance_after, stored.balance);
        EXPECT_TRUE(change.captured.IsZero());
        EXPECT_TRUE(change.refunded.IsZero());
        continue;
      }
      EXPECT_EQ(decision->verdict, Verdict::kApply);
      EXPECT_EQ(change.to, to);
      EXPECT_EQ(change.balance_after, Observed(to).balance);
      // The ledger invariant: what we hold after = what we held + captured - refunded.
      const Money held_before = Held(stored.balance, stored.approved_at);
      const Money held_after = Held(change.balance_after, change.approved_at);
      EXPECT_EQ(held_before.Plus(change.captured)->Minus(change.refunded).value(), held_after);
      EXPECT_FALSE(change.captured.IsNegative());
      EXPECT_FALSE(change.refunded.IsNegative());
    }
  }
  EXPECT_EQ(checked, 100);
}

TEST(Verdict, NamesForLogsAndMetrics) {
  EXPECT_STREQ(ToString(Verdict::kApply), "apply");
  EXPECT_STREQ(ToString(Verdict::kDuplicate), "duplicate");
  EXPECT_STREQ(ToString(Verdict::kStale), "stale");
}

TEST(PaymentStateMachine, TerminalStatesAreTheFourEndings) {
  for (S status : kAllPaymentStatuses) {
    const bool terminal = status == S::kCanceled || status == S::kAborted ||
                          status == S::kExpired || status == S::kFailed;
    EXPECT_EQ(IsTerminal(status), terminal) << ToString(status);
  }
}

TEST(PaymentStateMachine, StatusNamesAreTheDatabaseVocabulary) {
  const std::array<std::string_view, 10> names = {
      "READY",   "IN_PROGRESS",      "WAITING_FOR_DEPOSIT",
      "DONE",    "PARTIAL_CANCELED", "CANCELED",
      "ABORTED", "EXPIRED",          "FAILED",
      "UNKNOWN"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(ToString(kAllPaymentStatuses[i]), names[i]);
    EXPECT_EQ(ParsePaymentStatus(names[i]).value(), kAllPaymentStatuses[i]);
  }
  for (std::string_view bad : {"", "done", "CANCELLED", "PAID", "DONE "}) {
    const auto parsed = ParsePaymentStatus(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, kPaymentStatusUnrecognized);
    EXPECT_EQ(parsed.error().kind, ErrorKind::kPermanent);
  }
}

TEST(PaymentStateMachine, LateDoneDoesNotReopenCanceledPayment) {
  const auto decision = DecidePaymentUpdate(Stored(S::kCanceled), Observed(S::kDone));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kStale);
  EXPECT_EQ(decision->transition.to, S::kCanceled);
  EXPECT_TRUE(decision->transition.captured.IsZero());
}

TEST(PaymentStateMachine, LateDoneDoesNotReopenPartialCanceledPayment) {
  const auto decision = DecidePaymentUpdate(Stored(S::kPartialCanceled), Observed(S::kDone));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kStale);
  EXPECT_EQ(decision->transition.balance_after, Money::Krw(6000));
}

TEST(PaymentStateMachine, LatePartialCancelDoesNotOverwriteCanceled) {
  const auto decision = DecidePaymentUpdate(Stored(S::kCanceled), Observed(S::kPartialCanceled));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kStale);
  EXPECT_TRUE(decision->transition.balance_after.IsZero());
}

ObservedPayment PartlyCanceled(std::int64_t balance) {
  ObservedPayment observed;
  observed.status = S::kPartialCanceled;
  observed.total = kTotal;
  observed.balance = Money::Krw(balance);
  observed.approved_at = kApprovedAt;
  return observed;
}

TEST(PaymentStateMachine, PartialCancelWithHigherBalanceThanStoredIsStale) {
  StoredPayment stored{S::kPartialCanceled, kTotal, Money::Krw(3000), kApprovedAt};
  const auto decision = DecidePaymentUpdate(stored, PartlyCanceled(7000));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kStale);
  EXPECT_EQ(decision->transition.balance_after, Money::Krw(3000));
}

TEST(PaymentStateMachine, PartialCancelWithLowerBalanceRefundsTheDifference) {
  StoredPayment stored{S::kPartialCanceled, kTotal, Money::Krw(7000), kApprovedAt};
  const auto decision = DecidePaymentUpdate(stored, PartlyCanceled(2500));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kApply);
  EXPECT_EQ(decision->transition.balance_before, Money::Krw(7000));
  EXPECT_EQ(decision->transition.balance_after, Money::Krw(2500));
  EXPECT_EQ(decision->transition.refunded, Money::Krw(4500));
  EXPECT_TRUE(decision->transition.captured.IsZero());
}

TEST(PaymentStateMachine, PartialCancelWithTheSameBalanceIsADuplicate) {
  StoredPayment stored{S::kPartialCanceled, kTotal, Money::Krw(7000), kApprovedAt};
  const auto decision = DecidePaymentUpdate(stored, PartlyCanceled(7000));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kDuplicate);
}

TEST(PaymentStateMachine, CanceledSeenBeforeDoneCapturesAndRefundsTheWholeTotal) {
  const StoredPayment in_progress{S::kInProgress, kTotal, kTotal, std::nullopt};
  const auto decision = DecidePaymentUpdate(in_progress, Observed(S::kCanceled));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kApply);
  EXPECT_EQ(decision->transition.to, S::kCanceled);
  EXPECT_EQ(decision->transition.captured, kTotal);
  EXPECT_EQ(decision->transition.refunded, kTotal);
  EXPECT_EQ(decision->transition.approved_at, kApprovedAt);
  // The time the balance reached zero: the latest cancel when the PG gives no canceledAt.
  EXPECT_EQ(decision->transition.canceled_at, kSecondCancelAt);

  // ... and the DONE that arrives afterwards changes nothing.
  const auto late_done =
      DecidePaymentUpdate(After(in_progress, decision->transition), Observed(S::kDone));
  ASSERT_TRUE(late_done.ok());
  EXPECT_EQ(late_done->verdict, Verdict::kStale);
}

TEST(PaymentStateMachine, PartialCancelSeenBeforeDoneCapturesTheTotal) {
  const StoredPayment ready{S::kReady, kTotal, kTotal, std::nullopt};
  const auto decision = DecidePaymentUpdate(ready, Observed(S::kPartialCanceled));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->transition.captured, kTotal);
  EXPECT_EQ(decision->transition.refunded, Money::Krw(4000));
  EXPECT_FALSE(decision->transition.canceled_at.has_value());
}

TEST(PaymentStateMachine, CanceledAtComesFromThePgWhenGiven) {
  ObservedPayment canceled = Observed(S::kCanceled);
  const Instant reported = kSecondCancelAt + 5s;
  canceled.canceled_at = reported;
  const auto decision = DecidePaymentUpdate(Stored(S::kDone), canceled);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->transition.canceled_at, reported);
  EXPECT_EQ(decision->transition.refunded, kTotal);
  EXPECT_TRUE(decision->transition.captured.IsZero());
}

TEST(PaymentStateMachine, VirtualAccountCanceledBeforeDepositMovesNoMoney) {
  ObservedPayment canceled;
  canceled.status = S::kCanceled;
  canceled.total = kTotal;
  canceled.balance = kTotal;  // never paid: nothing was cancelable, whatever the PG shows
  const auto decision = DecidePaymentUpdate(Stored(S::kWaitingForDeposit), canceled);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kApply);
  EXPECT_EQ(decision->transition.to, S::kCanceled);
  EXPECT_TRUE(decision->transition.captured.IsZero());
  EXPECT_TRUE(decision->transition.refunded.IsZero());
  EXPECT_FALSE(IsApproved(canceled));
}

TEST(PaymentStateMachine, DepositThenRefundOfAVirtualAccountCapturesAndRefunds) {
  const auto decision = DecidePaymentUpdate(Stored(S::kWaitingForDeposit), Observed(S::kCanceled));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->transition.captured, kTotal);
  EXPECT_EQ(decision->transition.refunded, kTotal);
}

TEST(PaymentStateMachine, DepositReversalAfterDoneIsRefusedForAPerson) {
  const auto decision = DecidePaymentUpdate(Stored(S::kDone), Observed(S::kWaitingForDeposit));
  ASSERT_FALSE(decision.ok());
  EXPECT_EQ(decision.error().code, kPaymentDepositReversed);
  EXPECT_EQ(decision.error().kind, ErrorKind::kPermanent);
}

TEST(PaymentStateMachine, FailureAfterCaptureIsIllegal) {
  for (S failure : {S::kAborted, S::kExpired, S::kFailed}) {
    const auto decision = DecidePaymentUpdate(Stored(S::kDone), Observed(failure));
    ASSERT_FALSE(decision.ok()) << ToString(failure);
    EXPECT_EQ(decision.error().code, kPaymentTransitionIllegal);
    EXPECT_EQ(decision.error().message.rfind("payment DONE cannot become ", 0), 0u);
  }
}

TEST(PaymentStateMachine, MoneyOnAFailedPaymentIsIllegal) {
  const auto decision = DecidePaymentUpdate(Stored(S::kExpired), Observed(S::kDone));
  ASSERT_FALSE(decision.ok());
  EXPECT_EQ(decision.error().code, kPaymentTransitionIllegal);
  EXPECT_NE(decision.error().message.find("final"), std::string::npos);
}

TEST(PaymentStateMachine, FailedAndAbortedFollowOnlyUnapprovedStates) {
  for (S failure : {S::kAborted, S::kFailed}) {
    for (S from : kAllPaymentStatuses) {
      const auto decision = DecidePaymentUpdate(Stored(from), Observed(failure));
      const bool may_fail = from == S::kReady || from == S::kInProgress || from == S::kUnknown;
      if (may_fail) {
        ASSERT_TRUE(decision.ok()) << ToString(from);
        EXPECT_EQ(decision->verdict, Verdict::kApply);
      } else if (from != failure && decision.ok()) {
        // Only states that came before it can be stale; never a silent overwrite.
        EXPECT_NE(decision->verdict, Verdict::kApply) << ToString(from);
      }
    }
  }
}

TEST(PaymentStateMachine, UnknownResolvesToWhateverTheLookUpReports) {
  const StoredPayment unknown{S::kUnknown, kTotal, kTotal, std::nullopt};
  for (S reported : kAllPaymentStatuses) {
    if (reported == S::kUnknown) continue;
    const auto decision = DecidePaymentUpdate(unknown, Observed(reported));
    ASSERT_TRUE(decision.ok()) << ToString(reported);
    EXPECT_EQ(decision->verdict, Verdict::kApply);
    EXPECT_EQ(decision->transition.to, reported);
    EXPECT_EQ(decision->transition.captured, Approved(reported) ? kTotal : Money::Zero());
  }
}

TEST(PaymentStateMachine, ConfirmTimeoutAfterTheWebhookSaidDoneForgetsNothing) {
  ObservedPayment timed_out;
  timed_out.status = S::kUnknown;
  timed_out.total = kTotal;
  timed_out.balance = kTotal;
  const auto decision = DecidePaymentUpdate(Stored(S::kDone), timed_out);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kStale);
  EXPECT_EQ(decision->transition.to, S::kDone);
}

TEST(PaymentStateMachine, RedeliveredDoneCapturesNothing) {
  const auto decision = DecidePaymentUpdate(Stored(S::kDone), Observed(S::kDone));
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->verdict, Verdict::kDuplicate);
  EXPECT_TRUE(decision->transition.captured.IsZero());
}

TEST(PaymentStateMachine, TotalIsFixedOnceCaptured) {
  ObservedPayment canceled = Observed(S::kCanceled);
  canceled.total = Money::Krw(12000);
  canceled.cancels = {{"tx-1", Money::Krw(12000), kFirstCancelAt}};
  const auto decision = DecidePaymentUpdate(Stored(S::kDone), canceled);
  ASSERT_FALSE(decision.ok());
  EXPECT_EQ(decision.error().code, kPaymentTotalChanged);
}

TEST(PaymentStateMachine, BeforeCaptureThePgTotalIsTheTruth) {
  // The amount check compares it with the order; the state machine records what happened.
  ObservedPayment done = Observed(S::kDone);
  done.total = Money::Krw(100);
  done.balance = Money::Krw(100);
  const auto decision =
      DecidePaymentUpdate(StoredPayment{S::kInProgress, kTotal, kTotal, std::nullopt}, done);
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->transition.captured, Money::Krw(100));
}

TEST(PaymentStateMachine, SelfContradictingObservationsAreRefused) {
  std::vector<std::pair<std::string, ObservedPayment>> cases;
  ObservedPayment done_with_cancel = Observed(S::kDone);
  done_with_cancel.balance = Money::Krw(9000);
  cases.emplace_back("DONE below total", done_with_cancel);
  ObservedPayment partial_empty = PartlyCanceled(0);
  cases.emplace_back("PARTIAL_CANCELED at 0", partial_empty);
  ObservedPayment partial_full = PartlyCanceled(10000);
  cases.emplace_back("PARTIAL_CANCELED at total", partial_full);
  ObservedPayment canceled_with_balance = Observed(S::kCanceled);
  canceled_with_balance.balance = Money::Krw(1);
  canceled_with_balance.cancels.clear();
  cases.emplace_back("CANCELED with balance", canceled_with_balance);
  ObservedPayment above_total = Observed(S::kReady);
  above_total.balance = Money::Krw(10001);
  cases.emplace_back("balance above total", above_total);
  ObservedPayment negative = Observed(S::kReady);
  negative.total = Money::Krw(-1);
  negative.balance = Money::Krw(-1);
  cases.emplace_back("negative total", negative);
  ObservedPayment cancels_short = Observed(S::kCanceled);
  cancels_short.cancels.pop_back();
  cases.emplace_back("cancels short of total - balance", cancels_short);
  ObservedPayment zero_cancel = Observed(S::kPartialCanceled);
  zero_cancel.cancels.push_back({"tx-0", Money::Zero(), kFirstCancelAt});
  cases.emplace_back("zero cancel", zero_cancel);
  ObservedPayment tax_free_above = Observed(S::kPartialCanceled);
  tax_free_above.cancels[0].tax_free_amount = Money::Krw(4001);
  cases.emplace_back("tax-free part above the cancel", tax_free_above);
  ObservedPayment tax_free_negative = Observed(S::kPartialCanceled);
  tax_free_negative.cancels[0].tax_free_amount = Money::Krw(-1);
  cases.emplace_back("negative tax-free part", tax_free_negative);
  for (const auto& [name, observed] : cases) {
    const auto decision = DecidePaymentUpdate(Stored(S::kInProgress), observed);
    ASSERT_FALSE(decision.ok()) << name;
    EXPECT_EQ(decision.error().code, kPaymentObservationInconsistent) << name;
    EXPECT_FALSE(FirstPaymentObservation(observed).ok()) << name;
  }
}

TEST(PaymentStateMachine, FirstObservationIsAppliedWithItsMoney) {
  const auto canceled = FirstPaymentObservation(Observed(S::kCanceled));
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(canceled->to, S::kCanceled);
  EXPECT_EQ(canceled->captured, kTotal);
  EXPECT_EQ(canceled->refunded, kTotal);

  const auto ready = FirstPaymentObservation(Observed(S::kReady));
  ASSERT_TRUE(ready.ok());
  EXPECT_TRUE(ready->captured.IsZero());
  EXPECT_EQ(ready->balance_after, kTotal);
}

struct Totals {
  Money captured;
  Money refunded;
};

// Feeds observations in order, as the confirm stage would: first one inserts the row.
Totals Replay(const std::vector<ObservedPayment>& events, StoredPayment& state) {
  Totals totals;
  bool have_row = false;
  for (const ObservedPayment& event : events) {
    PaymentTransition change;
    if (!have_row) {
      auto first = FirstPaymentObservation(event);
      EXPECT_TRUE(first.ok()) << first.error().ToString();
      change = *first;
      state = StoredPayment{S::kUnknown, event.total, event.total, std::nullopt};
      have_row = true;
    } else {
      auto decision = DecidePaymentUpdate(state, event);
      EXPECT_TRUE(decision.ok()) << ToString(state.status) << " <- " << ToString(event.status)
                                 << ": " << decision.error().ToString();
      change = decision->transition;
    }
    totals.captured = totals.captured.Plus(change.captured).value();
    totals.refunded = totals.refunded.Plus(change.refunded).value();
    state = After(state, change);
  }
  return totals;
}

TEST(PaymentStateMachine, EveryOrderOfArrivalEndsInTheSameStateAndMoney) {
  std::vector<ObservedPayment> events = {Observed(S::kInProgress), Observed(S::kDone),
                                         PartlyCanceled(7000), PartlyCanceled(3000),
                                         Observed(S::kCanceled)};
  std::vector<int> order = {0, 1, 2, 3, 4};
  int permutations = 0;
  do {
    std::vector<ObservedPayment> shuffled;
    for (int i : order) shuffled.push_back(events[static_cast<std::size_t>(i)]);
    StoredPayment state;
    const Totals totals = Replay(shuffled, state);
    EXPECT_EQ(state.status, S::kCanceled);
    EXPECT_TRUE(state.balance.IsZero());
    EXPECT_EQ(totals.captured, kTotal);
    EXPECT_EQ(totals.refunded, kTotal);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 120);
}

TEST(PaymentStateMachine, PartialCancelsInAnyOrderEndAtTheLowestBalance) {
  std::vector<ObservedPayment> events = {Observed(S::kDone), PartlyCanceled(7000),
                                         PartlyCanceled(4000), PartlyCanceled(1)};
  std::vector<int> order = {0, 1, 2, 3};
  do {
    std::vector<ObservedPayment> shuffled;
    for (int i : order) shuffled.push_back(events[static_cast<std::size_t>(i)]);
    StoredPayment state;
    const Totals totals = Replay(shuffled, state);
    EXPECT_EQ(state.status, S::kPartialCanceled);
    EXPECT_EQ(state.balance, Money::Krw(1));
    EXPECT_EQ(totals.captured, kTotal);
    EXPECT_EQ(totals.refunded, Money::Krw(9999));
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(PaymentStateMachine, RedeliveringEveryObservationChangesNothing) {
  std::vector<ObservedPayment> events = {Observed(S::kReady), Observed(S::kInProgress),
                                         Observed(S::kDone), PartlyCanceled(5000),
                                         Observed(S::kCanceled)};
  std::vector<ObservedPayment> twice;
  for (const auto& event : events) {
    twice.push_back(event);
    twice.push_back(event);
  }
  StoredPayment state;
  const Totals totals = Replay(twice, state);
  EXPECT_EQ(state.status, S::kCanceled);
  EXPECT_EQ(totals.captured, kTotal);
  EXPECT_EQ(totals.refunded, kTotal);
}

}  // namespace
}  // namespace paypipe::domain

namespace paypipe::domain {
namespace {

using namespace std::chrono_literals;

const Instant kEventAt{std::chrono::sys_days{2026y / 3 / 1} + 1h};

// The statuses a payment reaches once and never holds again with other content.
bool ReachedOnce(PaymentStatus status) {
  return status == PaymentStatus::kDone || status == PaymentStatus::kCanceled ||
         status == PaymentStatus::kAborted || status == PaymentStatus::kExpired ||
         status == PaymentStatus::kFailed;
}

TEST(WebhookVerify, SkipsOnlyWhenHeldStatusIsTheClaimedOnceReachedStatus) {
  for (const auto held : kAllPaymentStatuses) {
    for (const auto claimed : kAllPaymentStatuses) {
      const auto expected =
          held == claimed && ReachedOnce(claimed) ? VerifyAction::kSkip : VerifyAction::kLookUp;
      EXPECT_EQ(
          DecideWebhookVerify(HeldPayment{held, std::nullopt}, WebhookClaim{claimed, std::nullopt}),
          expected)
          << ToString(held) << " held, " << ToString(claimed) << " claimed, no event time";
      EXPECT_EQ(
          DecideWebhookVerify(HeldPayment{held, kEventAt + 1s}, WebhookClaim{claimed, kEventAt}),
          expected)
          << ToString(held) << " held, " << ToString(claimed) << " claimed, verified after";
      EXPECT_EQ(DecideWebhookVerify(HeldPayment{held, kEventAt}, WebhookClaim{claimed, kEventAt}),
                expected)
          << ToString(held) << " held, " << ToString(claimed) << " claimed, verified at";
    }
  }
}

TEST(WebhookVerify, LooksUpWhenTheHeldAnswerIsOlderThanTheEvent) {
  for (const auto status : kAllPaymentStatuses) {
    EXPECT_EQ(
        DecideWebhookVerify(HeldPayment{status, kEventAt - 1us}, WebhookClaim{status, kEventAt}),
        VerifyAction::kLookUp)
        << ToString(status);
  }
}

TEST(WebhookVerify, LooksUpWhenNoPgAnswerWroteTheRowAndTheEventIsTimed) {
  EXPECT_EQ(DecideWebhookVerify(HeldPayment{PaymentStatus::kAborted, std::nullopt},
                                WebhookClaim{PaymentStatus::kAborted, kEventAt}),
            VerifyAction::kLookUp);
}

TEST(WebhookVerify, LooksUpWithoutAClaimOrAHeldPayment) {
  EXPECT_EQ(DecideWebhookVerify(HeldPayment{PaymentStatus::kDone, kEventAt}, std::nullopt),
            VerifyAction::kLookUp);
  EXPECT_EQ(DecideWebhookVerify(std::nullopt, WebhookClaim{PaymentStatus::kDone, std::nullopt}),
            VerifyAction::kLookUp);
  EXPECT_EQ(DecideWebhookVerify(std::nullopt, std::nullopt), VerifyAction::kLookUp);
}

}  // namespace
}  // namespace paypipe::domain
