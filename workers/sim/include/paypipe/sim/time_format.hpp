#pragma once

#include <cstdint>
#include <string>

#include "paypipe/sim/clock.hpp"

namespace paypipe::sim {

// Toss API times: "2026-03-01T10:00:00+09:00" (Korea Standard Time, whole seconds).
[[nodiscard]] std::string FormatKst(TimePoint at);
// Toss webhook `createdAt`: KST wall time without an offset and with `fraction_digits` (0-9)
// digits after the seconds, e.g. "2026-01-02T14:46:59.65327".
[[nodiscard]] std::string FormatKstNoOffset(TimePoint at, int fraction_digits);
// "20260301100000" in KST, the stamp inside generated payment keys.
[[nodiscard]] std::string FormatKstCompact(TimePoint at);
// PortOne V2 times: RFC 3339 UTC with milliseconds, "2026-03-01T01:00:00.123Z".
[[nodiscard]] std::string FormatUtcMillis(TimePoint at);
[[nodiscard]] std::int64_t UnixSeconds(TimePoint at);

}  // namespace paypipe::sim
