#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paypipe::infra::db {

// A column reference: a 0-based position or a column label (`SELECT x AS label`).
class Column {
 public:
  Column(std::size_t index) : index_(index) {}  // NOLINT(google-explicit-constructor)
  Column(int index) : index_(static_cast<std::size_t>(index)) {}  // NOLINT
  Column(std::string_view name) : name_(name), by_name_(true) {}  // NOLINT
  Column(const char* name) : name_(name), by_name_(true) {}       // NOLINT

  [[nodiscard]] bool by_name() const { return by_name_; }
  [[nodiscard]] std::size_t index() const { return index_; }
  [[nodiscard]] std::string_view name() const { return name_; }

 private:
  std::size_t index_ = 0;
  std::string_view name_;
  bool by_name_ = false;
};

// One row of a result, fully read into memory (no live cursor, no connection reference: rows
// stay valid after the connection is gone and may be moved to other threads).
//
// Cells are kept as the server's text form (what the MySQL text protocol sends); the typed
// getters convert exactly. Reading NULL through a non-optional getter, a non-integer through
// Int64, or a column that does not exist is a programming error and throws std::logic_error
// naming the column: the SQL and the code disagree, and no retry will fix that.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns,
      std::vector<std::optional<std::string>> cells);

  [[nodiscard]] std::size_t size() const { return cells_.size(); }
  [[nodiscard]] bool IsNull(Column column) const;

  [[nodiscard]] std::int64_t Int64(Column column) const;
  [[nodiscard]] std::optional<std::int64_t> OptionalInt64(Column column) const;
  // Text and binary columns alike (BLOB bytes are returned unchanged).
  [[nodiscard]] const std::string& String(Column column) const;
  [[nodiscard]] std::optional<std::string> OptionalString(Column column) const;

 private:
  [[nodiscard]] std::size_t IndexOf(Column column) const;
  [[nodiscard]] std::string Describe(std::size_t index) const;

  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<std::optional<std::string>> cells_;
};

// The rows of one query in server order.
class Rows {
 public:
  Rows() = default;
  // Public so that tests and fakes can build results without a server.
  Rows(std::vector<std::string> columns, std::vector<std::vector<std::optional<std::string>>> rows);

  [[nodiscard]] const std::vector<std::string>& columns() const;
  [[nodiscard]] std::size_t size() const { return rows_.size(); }
  [[nodiscard]] bool empty() const { return rows_.empty(); }
  [[nodiscard]] const Row& operator[](std::size_t index) const { return rows_.at(index); }
  [[nodiscard]] const Row& front() const { return rows_.at(0); }
  [[nodiscard]] std::vector<Row>::const_iterator begin() const { return rows_.begin(); }
  [[nodiscard]] std::vector<Row>::const_iterator end() const { return rows_.end(); }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Row> rows_;
};

}  // namespace paypipe::infra::db
