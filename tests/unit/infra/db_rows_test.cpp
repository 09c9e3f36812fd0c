#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/infra/db/rows.hpp"
#include "paypipe/infra/db/value.hpp"

namespace paypipe::infra::db {
namespace {

Rows Sample() {
  return Rows({"id", "name", "amount"},
              {{"1", "first", "-9223372036854775808"}, {"2", std::nullopt, "12abc"}});
}

TEST(DbRows, TypedGettersByIndexAndName) {
  const Rows rows = Sample();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows.columns().size(), 3U);
  EXPECT_EQ(rows[0].Int64(0), 1);
  EXPECT_EQ(rows[0].Int64("id"), 1);
  EXPECT_EQ(rows[0].String("name"), "first");
  EXPECT_EQ(rows[0].Int64("amount"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(rows[1].OptionalString("name"), std::nullopt);
  EXPECT_TRUE(rows[1].IsNull(1));
  EXPECT_FALSE(rows[1].IsNull("id"));
  int seen = 0;
  for (const Row& row : rows) seen += static_cast<int>(row.Int64("id"));
  EXPECT_EQ(seen, 3);
}

TEST(DbRows, MisuseIsAProgrammingError) {
  const Rows rows = Sample();
  EXPECT_THROW((void)rows[1].String("name"), std::logic_error);     // NULL
  EXPECT_THROW((void)rows[1].Int64("name"), std::logic_error);      // NULL
  EXPECT_THROW((void)rows[1].Int64("amount"), std::logic_error);    // not an integer
  EXPECT_THROW((void)rows[0].Int64("name"), std::logic_error);      // not an integer
  EXPECT_THROW((void)rows[0].String("missing"), std::logic_error);  // no such column
  EXPECT_THROW((void)rows[0].String(7), std::logic_error);          // out of range
  EXPECT_THROW((void)rows[5], std::out_of_range);
}

TEST(DbRows, Int64RejectsOverflowInsteadOfWrapping) {
  const Rows rows({"n"}, {{"9223372036854775808"}, {""}});
  EXPECT_THROW((void)rows[0].Int64(0), std::logic_error);
  EXPECT_THROW((void)rows[1].Int64(0), std::logic_error);
}

TEST(DbRows, RowsStayValidAfterTheResultIsGone) {
  Row kept = [] { return Sample()[0]; }();
  EXPECT_EQ(kept.String("name"), "first");
}

TEST(DbValue, ConvertsTheTypesCallersHold) {
  EXPECT_TRUE(Value().IsNull());
  EXPECT_TRUE(Value(kNull).IsNull());
  EXPECT_TRUE(Value(std::nullopt).IsNull());
  EXPECT_TRUE(Value(std::optional<std::int64_t>()).IsNull());
  EXPECT_EQ(Value(std::optional<int>(5)), Value(5));
  EXPECT_EQ(Value(std::int16_t{7}).variant(), Value::Variant(std::int64_t{7}));
  EXPECT_EQ(Value(42U).variant(), Value::Variant(std::int64_t{42}));
  EXPECT_EQ(Value(domain::Money::Krw(15000)).variant(), Value::Variant(std::int64_t{15000}));
  EXPECT_EQ(Value(domain::OrderId("order-1")).variant(), Value::Variant(std::string("order-1")));
  EXPECT_EQ(Value("text").variant(), Value::Variant(std::string("text")));
  EXPECT_EQ(Value(std::string_view("view")).variant(), Value::Variant(std::string("view")));
  const std::string raw("\x01\x00", 2);
  EXPECT_EQ(Value(Bytes{raw}).variant(), Value::Variant(Bytes{raw}));
  EXPECT_NE(Value(Bytes{raw}), Value(raw));  // bytes and text bind differently
}

// Types that could silently change meaning are refused at compile time.
static_assert(!std::is_convertible_v<bool, Value>);
static_assert(!std::is_convertible_v<double, Value>);
static_assert(!std::is_convertible_v<float, Value>);
static_assert(!std::is_convertible_v<char, Value>);
static_assert(std::is_convertible_v<std::int64_t, Value>);
static_assert(std::is_convertible_v<std::optional<std::string>, Value>);

}  // namespace
}  // namespace paypipe::infra::db
