#include "paypipe/infra/amqp/field_table.hpp"

#include <algorithm>

namespace paypipe::infra::amqp {

FieldTable::FieldTable(std::initializer_list<Entry> entries) {
  entries_.reserve(entries.size());
  for (const auto& [key, value] : entries) Set(key, value);
}

FieldTable& FieldTable::Set(std::string key, FieldValue value) {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const Entry& entry) { return entry.first == key; });
  if (it != entries_.end()) {
    it->second = std::move(value);
  } else {
    entries_.emplace_back(std::move(key), std::move(value));
  }
  return *this;
}

const FieldValue* FieldTable::Find(std::string_view key) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const Entry& entry) { return entry.first == key; });
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<std::int64_t> FieldTable::FindInt(std::string_view key) const {
  const FieldValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* number = std::get_if<std::int64_t>(value)) return *number;
  return std::nullopt;
}

std::optional<std::string_view> FieldTable::FindString(std::string_view key) const {
  const FieldValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* text = std::get_if<std::string>(value)) return std::string_view(*text);
  return std::nullopt;
}

std::optional<bool> FieldTable::FindBool(std::string_view key) const {
  const FieldValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* flag = std::get_if<bool>(value)) return *flag;
  return std::nullopt;
}

}  // namespace paypipe::infra::amqp
