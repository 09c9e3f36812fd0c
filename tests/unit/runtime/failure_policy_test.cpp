#include "paypipe/runtime/failure_policy.hpp"

#include <gtest/gtest.h>

namespace paypipe::runtime {
namespace {

using domain::Error;

FailurePolicy Policy() {
  FailurePolicy policy;
  policy.tiers = {{"5s", std::chrono::seconds(5)}, {"1m", std::chrono::minutes(1)}};
  policy.max_attempts = 4;
  policy.max_transaction_reruns = 2;
  return policy;
}

TEST(FailurePolicy, PermanentGoesStraightToTheParkingLot) {
  const Decision d = Decide(Policy(), Error::Permanent("BAD", "x"), 0, 0);
  EXPECT_EQ(d.action, Action::kDeadLetter);
  EXPECT_EQ(d.error.code, "BAD");
}

TEST(FailurePolicy, TransientUsesTheTierOfItsAttemptThenTheLastTier) {
  const auto policy = Policy();
  Decision d = Decide(policy, Error::Transient("PG_TIMEOUT", ""), 0, 0);
  EXPECT_EQ(d.action, Action::kRetryLater);
  EXPECT_EQ(d.tier, "5s");
  EXPECT_EQ(d.next_attempt, 1);
  d = Decide(policy, Error::Transient("PG_TIMEOUT", ""), 1, 0);
  EXPECT_EQ(d.tier, "1m");
  EXPECT_EQ(d.next_attempt, 2);
  d = Decide(policy, Error::Transient("PG_TIMEOUT", ""), 2, 0);
  EXPECT_EQ(d.tier, "1m");
  EXPECT_EQ(TierFor(policy, 57).name, "1m");
  EXPECT_EQ(TierFor(policy, -1).name, "5s");
}

TEST(FailurePolicy, TransientIsDeadLetteredWhenAttemptsAreExhausted) {
  const Decision d = Decide(Policy(), Error::Transient("PG_TIMEOUT", "took 30s"), 3, 0);
  EXPECT_EQ(d.action, Action::kDeadLetter);
  EXPECT_EQ(d.error.code, "PG_TIMEOUT");
  EXPECT_EQ(d.error.kind, domain::ErrorKind::kTransient);
  EXPECT_NE(d.error.message.find("exhausted"), std::string::npos);
}

TEST(FailurePolicy, RetryTransactionRerunsABoundedNumberOfTimesThenBacksOff) {
  const auto policy = Policy();
  EXPECT_EQ(Decide(policy, Error::RetryTransaction("DB_DEADLOCK", ""), 0, 0).action,
            Action::kRerunTransaction);
  EXPECT_EQ(Decide(policy, Error::RetryTransaction("DB_DEADLOCK", ""), 0, 1).action,
            Action::kRerunTransaction);
  const Decision d = Decide(policy, Error::RetryTransaction("DB_DEADLOCK", ""), 0, 2);
  EXPECT_EQ(d.action, Action::kRetryLater);
  EXPECT_EQ(d.tier, "5s");
  EXPECT_EQ(Decide(policy, Error::RetryTransaction("DB_DEADLOCK", ""), 3, 2).action,
            Action::kDeadLetter);
}

TEST(FailurePolicy, NeverRequeuesImmediatelyForAnyKindOrAttempt) {
  const auto policy = Policy();
  for (auto kind : {domain::ErrorKind::kTransient, domain::ErrorKind::kPermanent,
                    domain::ErrorKind::kRetryTransaction}) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      const Decision d = Decide(policy, Error{kind, "C", ""}, attempt, 99);
      EXPECT_NE(d.action, Action::kRerunTransaction);
    }
  }
}

}  // namespace
}  // namespace paypipe::runtime
