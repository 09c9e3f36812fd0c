#include "paypipe/domain/money.hpp"

#include <limits>

namespace paypipe::domain {
namespace {

// A 128-bit intermediate so that amount × rate cannot overflow before the division.
__extension__ using Wide = __int128;

Error Overflow(const char* op) {
  return Error::Permanent("MONEY_OVERFLOW", std::string("KRW amount overflow in ") + op);
}

}  // namespace

Result<Money> Money::Plus(Money other) const {
  std::int64_t out = 0;
  if (__builtin_add_overflow(won_, other.won_, &out)) return Overflow("addition");
  return Money(out);
}

Result<Money> Money::Minus(Money other) const {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(won_, other.won_, &out)) return Overflow("subtraction");
  return Money(out);
}

Result<Money> Money::Times(std::int64_t factor) const {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(won_, factor, &out)) return Overflow("multiplication");
  return Money(out);
}

Result<Money> Money::Negated() const {
  if (won_ == std::numeric_limits<std::int64_t>::min()) return Overflow("negation");
  return Money(-won_);
}

Result<Money> Money::ApplyBasisPoints(std::int64_t basis_points) const {
  constexpr std::int64_t kDenominator = 10000;
  const Wide product = static_cast<Wide>(won_) * basis_points;
  const Wide half = kDenominator / 2;
  const Wide rounded = product >= 0 ? (product + half) / kDenominator
                                  : -((-product + half) / kDenominator);
  if (rounded > std::numeric_limits<std::int64_t>::max() ||
      rounded < std::numeric_limits<std::int64_t>::min()) {
    return Overflow("rate application");
  }
  return Money(static_cast<std::int64_t>(rounded));
}

std::string Money::Format() const {
  // The magnitude as unsigned so that INT64_MIN formats correctly.
  const unsigned long long magnitude = won_ < 0 ? 0ULL - static_cast<unsigned long long>(won_)
                                                : static_cast<unsigned long long>(won_);
  const std::string digits = std::to_string(magnitude);
  std::string grouped;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) grouped.insert(grouped.begin(), ',');
    grouped.insert(grouped.begin(), *it);
    ++count;
  }
  return (won_ < 0 ? "-" : "") + grouped + " KRW";
}

}  // namespace paypipe::domain
