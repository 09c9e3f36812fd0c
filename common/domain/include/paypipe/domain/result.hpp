#pragma once

#include <string>
#include <utility>
#include <variant>

namespace paypipe::domain {

// What the caller should do about a failure. Adapters classify where the failure arises; the
// stage runtime decides ack / retry tier / dead letter from the kind alone.
enum class ErrorKind {
  kTransient,         // retry the same call later (timeouts, 5xx, broker or DB unreachable)
  kRetryTransaction,  // rerun the whole unit of work now (deadlock, lock wait timeout)
  kPermanent,         // retrying cannot help (bad input, final PG refusal): dead-letter
};

[[nodiscard]] const char* ToString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kPermanent;
  std::string code;     // stable machine-readable code, e.g. "DB_DEADLOCK", "PROVIDER_ERROR"
  std::string message;  // human-readable detail

  [[nodiscard]] static Error Transient(std::string code, std::string message) {
    return {ErrorKind::kTransient, std::move(code), std::move(message)};
  }
  [[nodiscard]] static Error RetryTransaction(std::string code, std::string message) {
    return {ErrorKind::kRetryTransaction, std::move(code), std::move(message)};
  }
  [[nodiscard]] static Error Permanent(std::string code, std::string message) {
    return {ErrorKind::kPermanent, std::move(code), std::move(message)};
  }
  [[nodiscard]] std::string ToString() const;
};

// Tag that lets `return Fail(error);` build a failed Result of any T.
struct Failure {
  Error error;
};
[[nodiscard]] inline Failure Fail(Error error) { return Failure{std::move(error)}; }

// An expected-like value: either a T or an Error. Accessing the wrong side is a programming
// error and throws std::logic_error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Failure failure)                                                // NOLINT: implicit
      : state_(std::in_place_index<1>, std::move(failure.error)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] T& value() & { return Get<0>(); }
  [[nodiscard]] const T& value() const& { return Get<0>(); }
  [[nodiscard]] T&& value() && { return std::move(Get<0>()); }
  [[nodiscard]] const Error& error() const { return Get<1>(); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  template <std::size_t I>
  auto& Get() {
    ThrowIfNot(I);
    return std::get<I>(state_);
  }
  template <std::size_t I>
  const auto& Get() const {
    ThrowIfNot(I);
    return std::get<I>(state_);
  }
  void ThrowIfNot(std::size_t index) const;

  std::variant<T, Error> state_;
};

void ThrowBadResultAccess(bool wanted_value);

template <typename T>
void Result<T>::ThrowIfNot(std::size_t index) const {
  if (state_.index() != index) ThrowBadResultAccess(index == 0);
}

// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure failure) : error_(std::move(failure.error)), failed_(true) {}  // NOLINT
  Result(Error error) : error_(std::move(error)), failed_(true) {}              // NOLINT

  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const Error& error() const {
    if (!failed_) ThrowBadResultAccess(false);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

[[nodiscard]] inline Status Ok() { return {}; }

}  // namespace paypipe::domain

// Propagates a failed Result/Status from the enclosing function.
#define PAYPIPE_RETURN_IF_ERROR(expr)                                  \
  do {                                                                 \
    auto&& paypipe_status_ = (expr);                                   \
    if (!paypipe_status_.ok()) return ::paypipe::domain::Fail(paypipe_status_.error()); \
  } while (false)
