#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "paypipe/domain/result.hpp"

namespace paypipe::domain {

// An amount of Korean won. KRW has no minor unit, so the value is a whole number of won.
// Arithmetic is checked: overflow is a Permanent error, never a wrapped value.
class Money {
 public:
  constexpr Money() = default;
  [[nodiscard]] static constexpr Money Krw(std::int64_t won) { return Money(won); }
  [[nodiscard]] static constexpr Money Zero() { return Money(0); }

  [[nodiscard]] constexpr std::int64_t krw() const { return won_; }
  [[nodiscard]] constexpr bool IsNegative() const { return won_ < 0; }
  [[nodiscard]] constexpr bool IsZero() const { return won_ == 0; }

  [[nodiscard]] Result<Money> Plus(Money other) const;
  [[nodiscard]] Result<Money> Minus(Money other) const;
  [[nodiscard]] Result<Money> Times(std::int64_t factor) const;
  [[nodiscard]] Result<Money> Negated() const;

  // amount × basis_points / 10000, rounded half away from zero. The one rounding rule for
  // rates (fees, VAT on fees, withholding) so that every line is rounded the same way.
  [[nodiscard]] Result<Money> ApplyBasisPoints(std::int64_t basis_points) const;

  // "15,000 KRW"
  [[nodiscard]] std::string Format() const;

  friend constexpr auto operator<=>(Money, Money) = default;

 private:
  constexpr explicit Money(std::int64_t won) : won_(won) {}
  std::int64_t won_ = 0;
};

}  // namespace paypipe::domain
