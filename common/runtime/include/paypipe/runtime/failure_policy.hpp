#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "paypipe/domain/result.hpp"

namespace paypipe::runtime {

// A retry wait queue paypipe.<stage>.retry.<name> whose fixed TTL is `delay`.
struct RetryTier {
  std::string name;
  std::chrono::milliseconds delay{0};
};

// How failures of a message are handled. The delivery x-attempt counts tries before this one.
struct FailurePolicy {
  // Tier used for the n-th transient failure (0-based); the last tier repeats.
  std::vector<RetryTier> tiers = {{"10s", std::chrono::seconds(10)},
                                  {"1m", std::chrono::minutes(1)},
                                  {"10m", std::chrono::minutes(10)}};
  // Total processing attempts (first delivery included) before a transient failure is
  // dead-lettered as exhausted.
  int max_attempts = 6;
  // Immediate reruns of a unit of work that failed with RetryTransaction (deadlock, lock wait)
  // before the failure is treated as transient.
  int max_transaction_reruns = 3;
};

enum class Action {
  kRerunTransaction,  // roll back and run the unit of work again now
  kRetryLater,        // republish to the tier's wait queue with x-attempt + 1, then ack
  kDeadLetter,        // publish to the dead-letter exchange with the error, then ack
};

[[nodiscard]] const char* ToString(Action action);

struct Decision {
  Action action = Action::kDeadLetter;
  std::string tier;      // set for kRetryLater
  int next_attempt = 0;  // x-attempt of the republished message (kRetryLater)
  domain::Error error;   // the failure; for exhaustion a Permanent wrapper of it
};

// Maps a failure to what the runtime does. Pure: the runtime calls it for every failed
// message. `attempt` is the delivery's x-attempt, `reruns_done` the immediate reruns already
// made for this delivery. Never yields an immediate requeue of the same delivery.
[[nodiscard]] Decision Decide(const FailurePolicy& policy, const domain::Error& error, int attempt,
                              int reruns_done);

// The tier for the (attempt+1)-th try: tiers[attempt], the last tier once attempts run past it.
[[nodiscard]] const RetryTier& TierFor(const FailurePolicy& policy, int attempt);

}  // namespace paypipe::runtime
