#include "paypipe/infra/db/rows.hpp"

#include <charconv>
#include <stdexcept>
#include <utility>

namespace paypipe::infra::db {

Row::Row(std::shared_ptr<const std::vector<std::string>> columns,
         std::vector<std::optional<std::string>> cells)
    : columns_(std::move(columns)), cells_(std::move(cells)) {}

std::size_t Row::IndexOf(Column column) const {
  if (!column.by_name()) {
    if (column.index() >= cells_.size()) {
      throw std::logic_error("db row: column index " + std::to_string(column.index()) +
                             " out of range (row has " + std::to_string(cells_.size()) +
                             " columns)");
    }
    return column.index();
  }
  if (columns_) {
    for (std::size_t i = 0; i < columns_->size() && i < cells_.size(); ++i) {
      if ((*columns_)[i] == column.name()) return i;
    }
  }
  throw std::logic_error("db row: no column named '" + std::string(column.name()) + "'");
}

std::string Row::Describe(std::size_t index) const {
  if (columns_ && index < columns_->size()) return "'" + (*columns_)[index] + "'";
  return "#" + std::to_string(index);
}

bool Row::IsNull(Column column) const { return !cells_[IndexOf(column)].has_value(); }

std::optional<std::int64_t> Row::OptionalInt64(Column column) const {
  const std::size_t index = IndexOf(column);
  const auto& cell = cells_[index];
  if (!cell.has_value()) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = cell->data();
  const char* end = cell->data() + cell->size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (cell->empty() || ec != std::errc() || ptr != end) {
    throw std::logic_error("db row: column " + Describe(index) + " holds '" + *cell +
                           "', not a 64-bit integer");
  }
  return value;
}

std::int64_t Row::Int64(Column column) const {
  auto value = OptionalInt64(column);
  if (!value.has_value()) {
    throw std::logic_error("db row: column " + Describe(IndexOf(column)) + " is NULL");
  }
  return *value;
}

const std::string& Row::String(Column column) const {
  const std::size_t index = IndexOf(column);
  const auto& cell = cells_[index];
  if (!cell.has_value()) throw std::logic_error("db row: column " + Describe(index) + " is NULL");
  return *cell;
}

std::optional<std::string> Row::OptionalString(Column column) const {
  return cells_[IndexOf(column)];
}

Rows::Rows(std::vector<std::string> columns,
           std::vector<std::vector<std::optional<std::string>>> rows)
    : columns_(std::make_shared<const std::vector<std::string>>(std::move(columns))) {
  rows_.reserve(rows.size());
  for (auto& cells : rows) rows_.emplace_back(columns_, std::move(cells));
}

const std::vector<std::string>& Rows::columns() const {
  static const std::vector<std::string> kNone;
  return columns_ ? *columns_ : kNone;
}

}  // namespace paypipe::infra::db
