#pragma once

namespace paypipe::domain {

// What a rule decided about an observed fact (a PG state, an approval, a refund). Facts arrive
// at least once and in any order (webhook retries, redelivered messages, look-ups racing each
// other), so every rule says whether the fact moves the state forward or is already known.
// Refusals (a fact the rules forbid) are errors, not verdicts.
enum class Verdict {
  kApply,      // the fact moves the state forward: write the change
  kDuplicate,  // the state already reflects the fact: change nothing, acknowledge
  kStale,      // the state is already past the fact (it arrived late): change nothing, acknowledge
};

[[nodiscard]] const char* ToString(Verdict verdict);

}  // namespace paypipe::domain
