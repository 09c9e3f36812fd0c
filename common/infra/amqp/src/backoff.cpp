#include "paypipe/infra/amqp/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace paypipe::infra::amqp {

Backoff::Backoff(BackoffOptions options, std::function<double()> random_unit)
    : options_(options), random_unit_(std::move(random_unit)) {
  if (!random_unit_) engine_.seed(std::random_device{}());
}

double Backoff::RandomUnit() {
  if (random_unit_) return std::clamp(random_unit_(), 0.0, 1.0);
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
}

std::chrono::milliseconds Backoff::Next() {
  const double initial = static_cast<double>(std::max<std::int64_t>(options_.initial.count(), 1));
  const double max = std::max(static_cast<double>(options_.max.count()), initial);
  const double multiplier = std::max(options_.multiplier, 1.0);
  // pow() of a large exponent saturates at infinity, which min() then caps.
  const double ceiling =
      std::min(max, initial * std::pow(multiplier, static_cast<double>(failures_)));
  if (failures_ < UINT32_MAX) ++failures_;
  const double delay = ceiling / 2.0 + ceiling / 2.0 * RandomUnit();
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(delay)));
}

}  // namespace paypipe::infra::amqp
