#include "paypipe/scheduler/reconcile_schedule.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>

namespace paypipe::scheduler {

using std::chrono::milliseconds;

domain::Result<ReconcileSchedule> ReconcileSchedule::Make(std::vector<milliseconds> steps,
                                                          milliseconds stuck_after) {
  const auto refuse = [](const char* what) {
    return domain::Error::Permanent(std::string(kScheduleInvalid), what);
  };
  if (steps.empty()) return refuse("the schedule needs at least one step");
  if (steps.front() < milliseconds::zero()) return refuse("a step cannot be negative");
  if (std::adjacent_find(steps.begin(), steps.end(), std::greater_equal<>()) != steps.end()) {
    return refuse("each step must come after the one before it");
  }
  if (stuck_after <= milliseconds::zero()) return refuse("stuck_after must be positive");
  return ReconcileSchedule(std::move(steps), stuck_after);
}

ReconcileDecision DecideReconcileStep(const ReconcileSchedule& schedule,
                                      const ReconcileProgress& progress, milliseconds elapsed) {
  const auto& steps = schedule.steps();
  const auto total = static_cast<std::int64_t>(steps.size());
  if (progress.step >= total) {
    return {ReconcileAction::kAlert, progress, std::nullopt};
  }
  // Steps whose time has come: the schedule is sorted, so they are a prefix.
  const auto reached = static_cast<std::int64_t>(
      std::upper_bound(steps.begin(), steps.end(), elapsed) - steps.begin());
  if (reached <= progress.step) {
    return {ReconcileAction::kWait, progress, steps[static_cast<std::size_t>(progress.step)]};
  }
  const ReconcileProgress after{reached, progress.attempts + 1};
  const milliseconds next_due =
      reached < total ? steps[static_cast<std::size_t>(reached)] : elapsed + schedule.stuck_after();
  return {ReconcileAction::kLookUp, after, next_due};
}

}  // namespace paypipe::scheduler
