// The stuck-payment schedule: which step is due when, skipping what a stopped scheduler missed,
// and the alert once every step has passed.
#include "paypipe/scheduler/reconcile_schedule.hpp"

#include <gtest/gtest.h>

namespace paypipe::scheduler {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

ReconcileSchedule Default() {
  auto schedule = ReconcileSchedule::Make({1min, 5min, 15min, 1h, 6h, 24h}, 1min);
  if (!schedule.ok()) throw std::runtime_error(schedule.error().ToString());
  return *schedule;
}

TEST(ReconcileSchedule, FirstDueIsTheFirstStep) {
  EXPECT_EQ(Default().first_due(), 1min);
  EXPECT_EQ(ReconcileSchedule::Make({0s, 10s}, 1s)->first_due(), 0s);
}

TEST(ReconcileSchedule, RefusesEmptyUnorderedOrNegativeSteps) {
  for (const auto& steps : std::vector<std::vector<milliseconds>>{
           {}, {5min, 1min}, {1min, 1min}, {-1s, 1min}, {1min, 5min, 3min}}) {
    const auto refused = ReconcileSchedule::Make(steps, 1min);
    ASSERT_FALSE(refused.ok()) << steps.size();
    EXPECT_EQ(refused.error().code, kScheduleInvalid);
    EXPECT_EQ(refused.error().kind, domain::ErrorKind::kPermanent);
  }
  EXPECT_FALSE(ReconcileSchedule::Make({1min}, 0s).ok());
  EXPECT_TRUE(ReconcileSchedule::Make({1min}, 1ms).ok());
}

TEST(ReconcileSchedule, EachStepLooksUpOnceAndSaysWhenTheNextIsDue) {
  const ReconcileSchedule schedule = Default();
  ReconcileProgress progress;
  const std::vector<milliseconds> next = {5min, 15min, 1h, 6h, 24h};
  for (std::size_t i = 0; i < next.size(); ++i) {
    // Run exactly when the step is due, as the due query makes it.
    const milliseconds now = schedule.steps()[i];
    const ReconcileDecision decision = DecideReconcileStep(schedule, progress, now);
    EXPECT_EQ(decision.action, ReconcileAction::kLookUp) << i;
    EXPECT_EQ(decision.after, (ReconcileProgress{static_cast<std::int64_t>(i + 1),
                                                 static_cast<std::int64_t>(i + 1)}));
    EXPECT_EQ(decision.next_due, next[i]) << i;
    progress = decision.after;
  }
}

TEST(ReconcileSchedule, AfterTheLastLookUpTheAlertIsDueStuckAfterLater) {
  const ReconcileSchedule schedule = Default();
  const ReconcileDecision last = DecideReconcileStep(schedule, {5, 5}, 24h + 3s);
  EXPECT_EQ(last.action, ReconcileAction::kLookUp);
  EXPECT_EQ(last.after, (ReconcileProgress{6, 6}));
  EXPECT_EQ(last.next_due, 24h + 3s + 1min);

  const ReconcileDecision alert = DecideReconcileStep(schedule, last.after, 24h + 3s + 1min);
  EXPECT_EQ(alert.action, ReconcileAction::kAlert);
  EXPECT_EQ(alert.after, last.after) << "the alert is no look-up";
  EXPECT_EQ(alert.next_due, std::nullopt) << "nothing after the alert";
}

TEST(ReconcileSchedule, ALateRunLooksUpOnceForEveryMissedStep) {
  const ReconcileSchedule schedule = Default();
  // The scheduler was down from before the first step until after the fourth (1 h).
  const ReconcileDecision decision = DecideReconcileStep(schedule, {0, 0}, 2h);
  EXPECT_EQ(decision.action, ReconcileAction::kLookUp);
  EXPECT_EQ(decision.after, (ReconcileProgress{4, 1}));
  EXPECT_EQ(decision.next_due, 6h);

  // Down past the whole schedule: one look-up, then the alert after stuck_after.
  const ReconcileDecision late = DecideReconcileStep(schedule, {1, 1}, 30h);
  EXPECT_EQ(late.action, ReconcileAction::kLookUp);
  EXPECT_EQ(late.after, (ReconcileProgress{6, 2}));
  EXPECT_EQ(late.next_due, 30h + 1min);
}

TEST(ReconcileSchedule, NothingBeforeTheStepHasCome) {
  const ReconcileSchedule schedule = Default();
  // Due early, e.g. the schedule was lengthened after the row was written: wait for the step.
  const ReconcileDecision early = DecideReconcileStep(schedule, {1, 1}, 5min - 1ms);
  EXPECT_EQ(early.action, ReconcileAction::kWait);
  EXPECT_EQ(early.after, (ReconcileProgress{1, 1}));
  EXPECT_EQ(early.next_due, 5min);
  EXPECT_EQ(DecideReconcileStep(schedule, {0, 0}, 59s).action, ReconcileAction::kWait);
  // A step counts from the instant it comes.
  EXPECT_EQ(DecideReconcileStep(schedule, {0, 0}, 1min).action, ReconcileAction::kLookUp);
}

TEST(ReconcileSchedule, AShortenedScheduleEndsInTheAlert) {
  // Progress written under a longer schedule than the one now configured.
  const auto shorter = ReconcileSchedule::Make({1min, 5min}, 1min);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(DecideReconcileStep(*shorter, {4, 4}, 2h).action, ReconcileAction::kAlert);
}

}  // namespace
}  // namespace paypipe::scheduler
