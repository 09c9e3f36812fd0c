#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace paypipe::infra::amqp {

// The value types paypipe puts into AMQP tables (message headers, queue arguments). Integers
// are sent as signed 64-bit ("l"); received integers of any width arrive here as int64.
using FieldValue = std::variant<std::string, std::int64_t, bool>;

// An ordered AMQP field table. Small tables are the rule (a handful of headers or queue
// arguments), so a vector beats a map: no per-node allocation, cache-friendly lookup.
class FieldTable {
 public:
  using Entry = std::pair<std::string, FieldValue>;

  FieldTable() = default;
  FieldTable(std::initializer_list<Entry> entries);

  // Replaces the value of an existing key, or appends a new entry.
  FieldTable& Set(std::string key, FieldValue value);

  [[nodiscard]] const FieldValue* Find(std::string_view key) const;
  // Empty when the key is absent or holds another type.
  [[nodiscard]] std::optional<std::int64_t> FindInt(std::string_view key) const;
  [[nodiscard]] std::optional<std::string_view> FindString(std::string_view key) const;
  [[nodiscard]] std::optional<bool> FindBool(std::string_view key) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] auto begin() const { return entries_.begin(); }
  [[nodiscard]] auto end() const { return entries_.end(); }
  void reserve(std::size_t size) { entries_.reserve(size); }

  friend bool operator==(const FieldTable&, const FieldTable&) = default;

 private:
  std::vector<Entry> entries_;
};

}  // namespace paypipe::infra::amqp
