#include <gtest/gtest.h>

#include <ostream>

#include "paypipe/infra/amqp/errors.hpp"
#include "paypipe/infra/amqp/field_table.hpp"

namespace paypipe::infra::amqp {
namespace {

using domain::ErrorKind;

struct ReplyCase {
  std::uint16_t code;
  ErrorKind kind;
  std::string_view error_code;

  friend void PrintTo(const ReplyCase& c, std::ostream* out) { *out << c.code; }
};

class AmqpReplyCode : public ::testing::TestWithParam<ReplyCase> {};

TEST_P(AmqpReplyCode, IsClassifiedByWhatTheCallerShouldDo) {
  const ReplyCase& c = GetParam();
  const domain::Error error = ErrorFromReplyCode(c.code, "broker said why");
  EXPECT_EQ(error.kind, c.kind) << c.code;
  EXPECT_EQ(error.code, c.error_code) << c.code;
  EXPECT_EQ(error.message, "broker said why");
}

INSTANTIATE_TEST_SUITE_P(
    Codes, AmqpReplyCode,
    ::testing::Values(ReplyCase{406, ErrorKind::kPermanent, kErrPreconditionFailed},
                      ReplyCase{404, ErrorKind::kPermanent, kErrNotFound},
                      ReplyCase{403, ErrorKind::kPermanent, kErrAccessRefused},
                      ReplyCase{530, ErrorKind::kPermanent, kErrNotAllowed},
                      ReplyCase{312, ErrorKind::kPermanent, kErrUnroutable},
                      ReplyCase{311, ErrorKind::kPermanent, kErrContentTooLarge},
                      ReplyCase{505, ErrorKind::kPermanent, kErrProtocol},
                      ReplyCase{320, ErrorKind::kTransient, kErrConnectionLost},
                      ReplyCase{405, ErrorKind::kTransient, kErrResourceLocked},
                      ReplyCase{541, ErrorKind::kTransient, kErrBrokerError},
                      ReplyCase{506, ErrorKind::kTransient, kErrBrokerError},
                      ReplyCase{999, ErrorKind::kTransient, kErrBrokerError}));

TEST(AmqpErrors, StaleDeliveryIsRecognisable) {
  EXPECT_TRUE(IsStaleDelivery(domain::Error::Transient(std::string(kErrStaleDelivery), "x")));
  EXPECT_FALSE(IsStaleDelivery(domain::Error::Transient(std::string(kErrConnectionLost), "x")));
}

TEST(AmqpFieldTable, SetReplacesAndFindsByType) {
  FieldTable table{{"x-attempt", std::int64_t{1}}, {"traceparent", "00-abc-01"}, {"flag", true}};
  table.Set("x-attempt", std::int64_t{2});
  EXPECT_EQ(table.size(), 3U);
  EXPECT_EQ(table.FindInt("x-attempt"), 2);
  EXPECT_EQ(table.FindString("traceparent"), "00-abc-01");
  EXPECT_EQ(table.FindBool("flag"), true);
  EXPECT_EQ(table.FindInt("traceparent"), std::nullopt);
  EXPECT_EQ(table.FindString("missing"), std::nullopt);
  EXPECT_EQ(table.begin()->first, "x-attempt");  // keeps insertion order
}

}  // namespace
}  // namespace paypipe::infra::amqp
