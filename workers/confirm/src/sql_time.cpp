#include "sql_time.hpp"

#include <cstdio>

#include "paypipe/pg/pg_mapping.hpp"

namespace paypipe::confirm {

std::string SqlDate(std::chrono::year_month_day date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::string SqlDateTime(domain::Instant instant) {
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const std::chrono::hh_mm_ss<std::chrono::microseconds> time(instant - day);
  char text[40];
  std::snprintf(text, sizeof text, "%s %02d:%02d:%02d.%06lld",
                SqlDate(std::chrono::year_month_day(day)).c_str(),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()),
                static_cast<long long>(time.subseconds().count()));
  return text;
}

std::optional<std::string> SqlDateTime(const std::optional<domain::Instant>& at) {
  if (!at) return std::nullopt;
  return SqlDateTime(*at);
}

std::optional<domain::Instant> ParseSqlDateTime(std::string_view text) {
  if (text.size() < 19) return std::nullopt;
  std::string iso(text);
  iso[10] = 'T';
  return pg::ParseIsoInstant(iso + "Z");
}

std::optional<std::chrono::year_month_day> ParseSqlDate(std::string_view text) {
  const auto at = ParseSqlDateTime(std::string(text) + " 00:00:00");
  if (!at) return std::nullopt;
  return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(*at));
}

}  // namespace paypipe::confirm
