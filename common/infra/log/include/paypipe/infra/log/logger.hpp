#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/log/sink.hpp"

namespace paypipe::infra::log {

enum class Level : std::uint8_t { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error": the values of PAYPIPE_LOG_LEVEL and of the `level` key.
[[nodiscard]] std::string_view ToString(Level level);
[[nodiscard]] std::optional<Level> ParseLevel(std::string_view text);

// Keys used across paypipe, so that every component spells them the same way.
namespace key {
inline constexpr std::string_view kMessageId = "message_id";
inline constexpr std::string_view kCorrelationId = "correlation_id";
inline constexpr std::string_view kStage = "stage";
inline constexpr std::string_view kAttempt = "attempt";
inline constexpr std::string_view kError = "error";
inline constexpr std::string_view kDurationMs = "duration_ms";
}  // namespace key

// Integers written as JSON numbers. bool and char are excluded: a flag is written as true/false
// and a lone char is more likely a mistake than a number.
template <typename T>
concept LoggableInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>;

// One key/value pair of a log line. A Field only refers to its key and string value: build it in
// the logging call itself (`{"message_id", id}`), where temporaries outlive the call.
class Field {
 public:
  Field(std::string_view key, std::string_view value) noexcept : key_(key), value_(value) {}
  Field(std::string_view key, const std::string& value) noexcept
      : key_(key), value_(std::string_view(value)) {}
  // Without this overload a string literal would convert to bool rather than to string_view.
  Field(std::string_view key, const char* value) : key_(key) {
    if (value != nullptr) value_ = std::string_view(value);
  }
  Field(std::string_view key, std::nullptr_t) noexcept : key_(key) {}
  Field(std::string_view key, bool value) noexcept : key_(key), value_(value) {}
  Field(std::string_view key, double value) noexcept : key_(key), value_(value) {}
  template <LoggableInteger Int>
  Field(std::string_view key, Int value) : key_(key) {
    if constexpr (std::is_signed_v<Int>) {
      value_ = static_cast<std::int64_t>(value);
    } else {
      value_ = static_cast<std::uint64_t>(value);
    }
  }

  using Value =
      std::variant<std::monostate, std::string_view, std::int64_t, std::uint64_t, double, bool>;
  [[nodiscard]] std::string_view key() const noexcept { return key_; }
  [[nodiscard]] const Value& value() const noexcept { return value_; }

 private:
  std::string_view key_;
  Value value_;  // std::monostate is JSON null
};

using Fields = std::initializer_list<Field>;

// Structured logger: every call writes one JSON object on one line,
//   {"ts":"2024-01-01T00:00:00.000Z","level":"info","logger":"paypipe.worker.confirm",
//    "msg":"payment confirmed", <bound fields>, <call fields>}
// with the timestamp from the injected Clock (UTC, milliseconds).
//
// There is no global logger: main builds one and passes it by reference; components derive child
// loggers that carry their name and bound fields (stage, queue, ...). Copies and children share
// the sink, the clock and the level threshold of the logger they come from; SetLevel on any of
// them changes it for all. Logging is thread-safe. A call below the threshold costs one relaxed
// atomic load and formats nothing; guard expensive field computations with Enabled().
//
// Field keys that would repeat a key of the envelope (ts, level, logger, msg) are written with a
// "field." prefix so that they cannot hide it. Other duplicate keys are written as given.
class Logger {
 public:
  // `sink` and `clock` must outlive every logger derived from this one.
  Logger(Sink& sink, const clock::Clock& clock, Level threshold, std::string_view name);

  [[nodiscard]] bool Enabled(Level level) const noexcept {
    return level >= shared_->threshold.load(std::memory_order_relaxed);
  }

  void Log(Level level, std::string_view msg, Fields fields = {}) const {
    if (Enabled(level)) Write(level, msg, fields);
  }
  void Debug(std::string_view msg, Fields fields = {}) const { Log(Level::kDebug, msg, fields); }
  void Info(std::string_view msg, Fields fields = {}) const { Log(Level::kInfo, msg, fields); }
  void Warn(std::string_view msg, Fields fields = {}) const { Log(Level::kWarn, msg, fields); }
  void Error(std::string_view msg, Fields fields = {}) const { Log(Level::kError, msg, fields); }

  // Changes the threshold of this logger and every logger sharing its root.
  void SetLevel(Level level) noexcept {
    shared_->threshold.store(level, std::memory_order_relaxed);
  }
  [[nodiscard]] Level level() const noexcept {
    return shared_->threshold.load(std::memory_order_relaxed);
  }

  // A logger named "<this name>.<name>" that adds `fields` to every line, e.g.
  // logger.Child("confirm", {{"stage", "confirm"}}).
  [[nodiscard]] Logger Child(std::string_view name, Fields fields = {}) const;
  // Same name, with `fields` added to every line (e.g. one per message being processed).
  [[nodiscard]] Logger With(Fields fields) const;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  struct Shared {
    Shared(Sink& s, const clock::Clock& c, Level initial)
        : sink(&s), clock(&c), threshold(initial) {}
    Sink* sink;
    const clock::Clock* clock;
    std::atomic<Level> threshold;
  };

  Logger(std::shared_ptr<Shared> shared, std::string name, std::string bound);
  void Write(Level level, std::string_view msg, Fields fields) const;

  std::shared_ptr<Shared> shared_;
  std::string name_;
  // `,"key":value` for each bound field, rendered once when the logger is derived.
  std::string bound_;
};

}  // namespace paypipe::infra::log
