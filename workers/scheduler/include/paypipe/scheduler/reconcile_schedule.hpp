#pragma once

// The arithmetic of the stuck-payment reconciliation: when a payment stuck in IN_PROGRESS or
// UNKNOWN is looked up again, and when the scheduler gives up and alerts. Pure: no clock, no I/O;
// every time is an offset from the moment the payment became stuck, as the database computes it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "paypipe/domain/result.hpp"

namespace paypipe::scheduler {

// Code of a refused schedule (Permanent).
inline constexpr std::string_view kScheduleInvalid = "RECONCILE_SCHEDULE_INVALID";

class ReconcileSchedule {
 public:
  // `steps`: offsets from the moment a payment became stuck at which it is looked up again
  // (PAYPIPE_RECONCILE_SCHEDULE), at least one, none negative, strictly increasing.
  // `stuck_after`: how long a payment must go without any change to be stuck, and how long it has
  // after the last look-up before the alert (PAYPIPE_RECONCILE_STUCK_AFTER), positive.
  [[nodiscard]] static domain::Result<ReconcileSchedule> Make(
      std::vector<std::chrono::milliseconds> steps, std::chrono::milliseconds stuck_after);

  [[nodiscard]] const std::vector<std::chrono::milliseconds>& steps() const { return steps_; }
  [[nodiscard]] std::chrono::milliseconds stuck_after() const { return stuck_after_; }
  // When a payment that just became stuck is due first: the first step.
  [[nodiscard]] std::chrono::milliseconds first_due() const { return steps_.front(); }

 private:
  ReconcileSchedule(std::vector<std::chrono::milliseconds> steps,
                    std::chrono::milliseconds stuck_after)
      : steps_(std::move(steps)), stuck_after_(stuck_after) {}

  std::vector<std::chrono::milliseconds> steps_;
  std::chrono::milliseconds stuck_after_;
};

// Where one stuck payment stands (a payment_reconciliations row).
struct ReconcileProgress {
  std::int64_t step = 0;      // steps of the schedule passed
  std::int64_t attempts = 0;  // look-ups (payment.verify) emitted

  friend bool operator==(const ReconcileProgress&, const ReconcileProgress&) = default;
};

enum class ReconcileAction {
  kLookUp,  // emit payment.verify number `after.attempts`
  kAlert,   // the schedule ran out and the payment is still stuck: emit the one alert.slack
  kWait,    // nothing is due yet
};

struct ReconcileDecision {
  ReconcileAction action = ReconcileAction::kWait;
  ReconcileProgress after;
  // When the payment is due next, as an offset from the moment it became stuck; nullopt once
  // finished (alerted: the scheduler leaves it alone from then on).
  std::optional<std::chrono::milliseconds> next_due;

  friend bool operator==(const ReconcileDecision&, const ReconcileDecision&) = default;
};

// What to do with a payment that is still stuck, `elapsed` after it became stuck, when its
// stored due time has come:
// - some steps not passed yet have come: one look-up, and every step that has come counts as
//   passed, so that a scheduler that was down for hours sends one look-up, not one per missed
//   step; due next at the following step, or `stuck_after` from now after the last one;
// - every step passed: the alert, and nothing after it;
// - no new step has come (the schedule was changed since the row was written): wait for the next.
[[nodiscard]] ReconcileDecision DecideReconcileStep(const ReconcileSchedule& schedule,
                                                    const ReconcileProgress& progress,
                                                    std::chrono::milliseconds elapsed);

}  // namespace paypipe::scheduler
