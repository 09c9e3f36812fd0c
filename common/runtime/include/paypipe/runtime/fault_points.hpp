#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::runtime {

// Crash points of the consume protocol, in protocol order. Tests arm one through the worker's
// PAYPIPE_FAULT_POINT setting ("<name>:<n>": die with _exit(137) on the n-th hit) to prove
// that a crash at that instant loses and doubles nothing.
enum class FaultPoint : std::uint8_t {
  kAfterInboxInsert,          // inbox row inserted, transaction open
  kAfterCommitBeforePublish,  // committed, outbox rows not yet published
  kAfterPublishBeforeMark,    // outbox rows confirmed by the broker, not marked published
  kAfterMarkBeforeAck,        // outbox rows marked published, delivery not acked
  kCount,
};

[[nodiscard]] std::string_view ToString(FaultPoint point);

// Counts hits of the armed point and ends the process abruptly (no destructors, no flushes,
// exit status 137 like SIGKILL) on the chosen hit. Thread safe. Does nothing unless the build
// defines PAYPIPE_FAULT_POINTS and a point is armed.
class FaultPoints {
 public:
  FaultPoints() = default;
  FaultPoints(const FaultPoints&) = delete;
  FaultPoints& operator=(const FaultPoints&) = delete;

  // "" disarms; otherwise "<name>:<n>" with n ≥ 1. Unknown names are a Permanent error so
  // that a typo in a test cannot silently test nothing.
  [[nodiscard]] static domain::Result<std::unique_ptr<FaultPoints>> FromSpec(std::string_view spec);

  void Hit(FaultPoint point) {
#if defined(PAYPIPE_FAULT_POINTS)
    if (point == armed_ && armed_ != FaultPoint::kCount) Count();
#else
    (void)point;
#endif
  }

  [[nodiscard]] bool armed() const { return armed_ != FaultPoint::kCount; }

 private:
  void Count();

  FaultPoint armed_ = FaultPoint::kCount;
  std::uint64_t trigger_at_ = 0;
  std::atomic<std::uint64_t> hits_{0};
};

}  // namespace paypipe::runtime
