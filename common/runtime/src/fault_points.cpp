#include "paypipe/runtime/fault_points.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>

namespace paypipe::runtime {

std::string_view ToString(FaultPoint point) {
  switch (point) {
    case FaultPoint::kAfterInboxInsert:
      return "after_inbox_insert";
    case FaultPoint::kAfterCommitBeforePublish:
      return "after_commit_before_publish";
    case FaultPoint::kAfterPublishBeforeMark:
      return "after_publish_before_mark";
    case FaultPoint::kAfterMarkBeforeAck:
      return "after_mark_before_ack";
    case FaultPoint::kCount:
      break;
  }
  return "none";
}

domain::Result<std::unique_ptr<FaultPoints>> FaultPoints::FromSpec(std::string_view spec) {
  auto points = std::make_unique<FaultPoints>();
  if (spec.empty()) return points;
  const auto colon = spec.find(':');
  const std::string_view name = spec.substr(0, colon);
  std::uint64_t n = 1;
  if (colon != std::string_view::npos) {
    const std::string_view count = spec.substr(colon + 1);
    const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (ec != std::errc{} || end != count.data() + count.size() || n == 0) {
      return domain::Error::Permanent("FAULT_POINT_INVALID",
                                      "fault point hit count must be a positive integer: " +
                                          std::string(spec));
    }
  }
  for (int i = 0; i < static_cast<int>(FaultPoint::kCount); ++i) {
    const auto point = static_cast<FaultPoint>(i);
    if (ToString(point) == name) {
      points->armed_ = point;
      points->trigger_at_ = n;
      return points;
    }
  }
  return domain::Error::Permanent("FAULT_POINT_INVALID",
                                  "unknown fault point: " + std::string(name));
}

void FaultPoints::Count() {
  if (hits_.fetch_add(1) + 1 == trigger_at_) {
    // Written with write(2): stdio buffers are not flushed by _exit.
    static constexpr char kNote[] = "fault point reached: exiting with status 137\n";
    [[maybe_unused]] const auto written = ::write(2, kNote, sizeof(kNote) - 1);
    ::_exit(137);
  }
}

}  // namespace paypipe::runtime
