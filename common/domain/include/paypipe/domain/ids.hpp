#pragma once

#include <compare>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace paypipe::domain {

// A string identifier that cannot be confused with another kind of identifier.
template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}

  [[nodiscard]] const std::string& str() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }

  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  friend std::ostream& operator<<(std::ostream& out, const StrongId& id) {
    return out << id.value_;
  }

 private:
  std::string value_;
};

using OrderId = StrongId<struct OrderIdTag>;
using PaymentKey = StrongId<struct PaymentKeyTag>;
using MessageId = StrongId<struct MessageIdTag>;
using PartnerId = StrongId<struct PartnerIdTag>;
using CustomerId = StrongId<struct CustomerIdTag>;
using IdempotencyKey = StrongId<struct IdempotencyKeyTag>;

}  // namespace paypipe::domain

template <typename Tag>
struct std::hash<paypipe::domain::StrongId<Tag>> {
  std::size_t operator()(const paypipe::domain::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
