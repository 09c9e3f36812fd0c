#include "paypipe/runtime/failure_policy.hpp"

#include <algorithm>
#include <stdexcept>

namespace paypipe::runtime {

const char* ToString(Action action) {
  switch (action) {
    case Action::kRerunTransaction:
      return "rerun_transaction";
    case Action::kRetryLater:
      return "retry_later";
    case Action::kDeadLetter:
      return "dead_letter";
  }
  return "unknown";
}

const RetryTier& TierFor(const FailurePolicy& policy, int attempt) {
  if (policy.tiers.empty()) throw std::logic_error("FailurePolicy without retry tiers");
  const auto index = static_cast<std::size_t>(std::max(attempt, 0));
  return policy.tiers[std::min(index, policy.tiers.size() - 1)];
}

Decision Decide(const FailurePolicy& policy, const domain::Error& error, int attempt,
                int reruns_done) {
  using domain::ErrorKind;
  Decision decision;
  decision.error = error;
  ErrorKind kind = error.kind;
  if (kind == ErrorKind::kRetryTransaction) {
    if (reruns_done < policy.max_transaction_reruns) {
      decision.action = Action::kRerunTransaction;
      return decision;
    }
    kind = ErrorKind::kTransient;
  }
  if (kind == ErrorKind::kPermanent || policy.tiers.empty()) {
    decision.action = Action::kDeadLetter;
    return decision;
  }
  if (attempt + 1 >= policy.max_attempts) {
    decision.action = Action::kDeadLetter;
    decision.error = domain::Error{error.kind, error.code,
                                   "attempts exhausted (" + std::to_string(attempt + 1) +
                                       "): " + error.message};
    return decision;
  }
  decision.action = Action::kRetryLater;
  decision.tier = TierFor(policy, attempt).name;
  decision.next_attempt = attempt + 1;
  return decision;
}

}  // namespace paypipe::runtime
