#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"

namespace paypipe::cli::migrate {

struct SqlStatement {
  std::string text;      // without the delimiter, surrounding whitespace trimmed
  std::size_t line = 0;  // 1-based line of the statement's first significant character
};

// Splits a migration script into statements the way the mysql command-line client does:
// statements end at the delimiter (`;` unless changed), but not inside '...', "..." or `...`
// (with backslash and doubled-quote escapes), nor inside comments (`-- ` and `#` to the end of
// the line, `/* ... */`). `DELIMITER <token>` on a line of its own changes the delimiter, for
// triggers and routines whose bodies contain `;`. The last statement needs no delimiter.
// Comments stay in the statement text (executable comments `/*! ... */` are SQL); pieces that
// hold only comments and whitespace are dropped.
// An unterminated quote or block comment is MIGRATION_SCRIPT_INVALID naming its line.
[[nodiscard]] domain::Result<std::vector<SqlStatement>> SplitSqlScript(std::string_view script);

}  // namespace paypipe::cli::migrate
