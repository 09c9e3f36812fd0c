#pragma once

// DATE and DATETIME(6) values as the database stores them (UTC for instants).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/instant.hpp"

namespace paypipe::confirm {

[[nodiscard]] std::string SqlDate(std::chrono::year_month_day date);
[[nodiscard]] std::string SqlDateTime(domain::Instant instant);
[[nodiscard]] std::optional<std::string> SqlDateTime(const std::optional<domain::Instant>& at);
[[nodiscard]] std::optional<domain::Instant> ParseSqlDateTime(std::string_view text);
[[nodiscard]] std::optional<std::chrono::year_month_day> ParseSqlDate(std::string_view text);

}  // namespace paypipe::confirm
