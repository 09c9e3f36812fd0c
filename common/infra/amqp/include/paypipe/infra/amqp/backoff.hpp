#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

#include "paypipe/infra/amqp/options.hpp"

namespace paypipe::infra::amqp {

// Jittered exponential backoff (see BackoffOptions). Not thread-safe.
class Backoff {
 public:
  // `random_unit` returns values in [0, 1); empty means an internal PRNG seeded from the OS.
  explicit Backoff(BackoffOptions options, std::function<double()> random_unit = {});

  // Delay to wait after one more consecutive failure.
  [[nodiscard]] std::chrono::milliseconds Next();
  // Call after a success: the next failure waits about `initial` again.
  void Reset() { failures_ = 0; }
  [[nodiscard]] std::uint32_t failures() const { return failures_; }

 private:
  double RandomUnit();

  BackoffOptions options_;
  std::function<double()> random_unit_;
  std::mt19937_64 engine_;
  std::uint32_t failures_ = 0;
};

}  // namespace paypipe::infra::amqp
