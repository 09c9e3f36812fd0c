#include <gtest/gtest.h>

#include <string>

#include "paypipe/infra/db/errors.hpp"

namespace paypipe::infra::db {
namespace {

using domain::ErrorKind;

struct Case {
  int number;
  const char* sql_state;
  ErrorKind kind;
  std::string_view code;
  bool breaks;
};

// The classification table of errors.hpp, statement phase.
TEST(DbErrorClassification, StatementErrors) {
  const Case cases[] = {
      {1062, "23000", ErrorKind::kPermanent, kDuplicateKey, false},
      {1022, "23000", ErrorKind::kPermanent, kDuplicateKey, false},
      {1586, "23000", ErrorKind::kPermanent, kDuplicateKey, false},
      {1213, "40001", ErrorKind::kRetryTransaction, kDeadlock, false},
      {1205, "HY000", ErrorKind::kRetryTransaction, kLockWaitTimeout, false},
      {2006, "HY000", ErrorKind::kTransient, kConnectionLost, true},
      {2013, "HY000", ErrorKind::kTransient, kConnectionLost, true},
      {2055, "HY000", ErrorKind::kTransient, kConnectionLost, true},
      {1927, "70100", ErrorKind::kTransient, kConnectionLost, true},  // MariaDB: KILL
      {1053, "08S01", ErrorKind::kTransient, kConnectionLost, true},  // server shutdown
      {4031, "HY000", ErrorKind::kTransient, kConnectionLost, true},  // MySQL idle timeout
      {2014, "HY000", ErrorKind::kTransient, kConnectionLost, true},  // out of sync
      {1158, "08S01", ErrorKind::kTransient, kConnectionLost, true},
      {1317, "70100", ErrorKind::kTransient, kQueryInterrupted, false},
      {1969, "70100", ErrorKind::kTransient, kQueryInterrupted, false},
      {3024, "HY000", ErrorKind::kTransient, kQueryInterrupted, false},
      {1290, "HY000", ErrorKind::kTransient, kReadOnly, true},
      {1836, "HY000", ErrorKind::kTransient, kReadOnly, true},
      {1064, "42000", ErrorKind::kPermanent, kGenericError, false},  // syntax
      {1146, "42S02", ErrorKind::kPermanent, kGenericError, false},  // no such table
      {1406, "22001", ErrorKind::kPermanent, kGenericError, false},  // data too long
      {1045, "28000", ErrorKind::kPermanent, kGenericError, false},
      {0, "HY000", ErrorKind::kPermanent, kGenericError, false},      // connector-side
      {9999, "08004", ErrorKind::kTransient, kConnectionLost, true},  // any SQLSTATE 08
  };
  for (const Case& c : cases) {
    const domain::Error error =
        ClassifyMysqlError(c.number, c.sql_state, "server says", ErrorPhase::kStatement);
    EXPECT_EQ(error.kind, c.kind) << c.number;
    EXPECT_EQ(error.code, c.code) << c.number;
    EXPECT_EQ(BreaksConnection(c.number, c.sql_state), c.breaks) << c.number;
    EXPECT_NE(error.message.find(std::to_string(c.number)), std::string::npos);
    EXPECT_NE(error.message.find("server says"), std::string::npos);
  }
}

TEST(DbErrorClassification, ConnectErrors) {
  for (int unreachable : {2002, 2003, 2005, 2006, 2012, 2013, 1040, 1203, 1129, 1053, 2026}) {
    const domain::Error error = ClassifyMysqlError(unreachable, "HY000", "x", ErrorPhase::kConnect);
    EXPECT_EQ(error.kind, ErrorKind::kTransient) << unreachable;
    EXPECT_EQ(error.code, kUnreachable) << unreachable;
  }
  // Configuration problems that retrying cannot fix.
  for (int refused : {1045, 1044, 1049, 1130, 0}) {
    const domain::Error error = ClassifyMysqlError(refused, "28000", "x", ErrorPhase::kConnect);
    EXPECT_EQ(error.kind, ErrorKind::kPermanent) << refused;
    EXPECT_EQ(error.code, kGenericError) << refused;
  }
}

TEST(DbErrorClassification, DuplicateKeyHelper) {
  EXPECT_TRUE(IsDuplicateKey(ClassifyMysqlError(1062, "23000", "", ErrorPhase::kStatement)));
  EXPECT_FALSE(IsDuplicateKey(ClassifyMysqlError(1213, "40001", "", ErrorPhase::kStatement)));
}

}  // namespace
}  // namespace paypipe::infra::db
