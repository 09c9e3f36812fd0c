#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace paypipe::runtime {

// W3C Trace Context (`traceparent`, version 00): one trace id for the whole pipeline run of a
// payment, a new parent (span) id for every hop.
struct TraceContext {
  std::string trace_id;   // 32 lower-case hex digits, not all zero
  std::string parent_id;  // 16 lower-case hex digits, not all zero
  std::string flags = "01";

  [[nodiscard]] std::string ToHeader() const;  // "00-<trace_id>-<parent_id>-<flags>"

  // Parses a traceparent header; anything malformed (wrong lengths, upper case, all-zero ids,
  // version ff) yields nullopt so that the caller starts a fresh trace instead of failing.
  [[nodiscard]] static std::optional<TraceContext> Parse(std::string_view header);

  // A trace started for a message that arrived without a usable traceparent. Derived from
  // `seed` (the message id) so that reprocessing the same message yields the same trace.
  [[nodiscard]] static TraceContext StartFrom(std::string_view seed);

  // The context to send with a message derived from this one: same trace id and flags, a new
  // parent id derived from `child_seed` (the derived message id), hence deterministic.
  [[nodiscard]] TraceContext Child(std::string_view child_seed) const;
};

}  // namespace paypipe::runtime
