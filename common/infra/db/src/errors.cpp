#include "paypipe/infra/db/errors.hpp"

#include <string>

namespace paypipe::infra::db {
namespace {

// Server errors (mysqld_error.h / MariaDB) and client errors (errmsg.h) by number. Only the
// ones the adapter treats specially are listed; everything else is DB_ERROR.
constexpr int kErDupKey = 1022;
constexpr int kErConCount = 1040;  // too many connections
constexpr int kErDbAccessDenied = 1044;
constexpr int kErAccessDenied = 1045;
constexpr int kErServerShutdown = 1053;
constexpr int kErDupEntry = 1062;
constexpr int kErHostIsBlocked = 1129;
constexpr int kErAbortingConnection = 1152;
constexpr int kErNetReadError = 1158;
constexpr int kErNetReadInterrupted = 1159;
constexpr int kErNetErrorOnWrite = 1160;
constexpr int kErNetWriteInterrupted = 1161;
constexpr int kErNewAbortingConnection = 1184;
constexpr int kErTooManyUserConnections = 1203;
constexpr int kErLockWaitTimeout = 1205;
constexpr int kErLockDeadlock = 1213;
constexpr int kErUserLimitReached = 1226;
constexpr int kErOptionPreventsStatement = 1290;  // --read-only
constexpr int kErQueryInterrupted = 1317;
constexpr int kErDupEntryWithKeyName = 1586;
constexpr int kErTooManyConcurrentTrxs = 1637;
constexpr int kErReadOnlyMode = 1836;
constexpr int kErConnectionKilled = 1927;          // MariaDB: KILL of a busy connection
constexpr int kErStatementTimeout = 1969;          // MariaDB max_statement_time
constexpr int kErQueryTimeout = 3024;              // MySQL max_execution_time
constexpr int kErClientInteractionTimeout = 4031;  // MySQL 8: idle connection dropped

constexpr int kCrUnknownError = 2000;
constexpr int kCrConnectionError = 2002;
constexpr int kCrConnHostError = 2003;
constexpr int kCrUnknownHost = 2005;
constexpr int kCrServerGoneError = 2006;
constexpr int kCrServerHandshakeErr = 2012;
constexpr int kCrServerLost = 2013;
constexpr int kCrCommandsOutOfSync = 2014;
constexpr int kCrSslConnectionError = 2026;
constexpr int kCrServerLostExtended = 2055;

std::string Describe(int error_number, std::string_view sql_state, std::string_view message) {
  std::string text = "MySQL error " + std::to_string(error_number);
  if (!sql_state.empty()) text += " (" + std::string(sql_state) + ")";
  text += ": ";
  text += message;
  return text;
}

bool CannotConnect(int error_number) {
  switch (error_number) {
    case kErConCount:
    case kErServerShutdown:
    case kErHostIsBlocked:
    case kErTooManyUserConnections:
    case kErUserLimitReached:
    case kErConnectionKilled:
    case kErAbortingConnection:
    case kErNewAbortingConnection:
    case kErNetReadError:
    case kErNetReadInterrupted:
    case kErNetErrorOnWrite:
    case kErNetWriteInterrupted:
    case kCrConnectionError:
    case kCrConnHostError:
    case kCrUnknownHost:
    case kCrServerGoneError:
    case kCrServerHandshakeErr:
    case kCrServerLost:
    case kCrSslConnectionError:
    case kCrServerLostExtended:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool BreaksConnection(int error_number, std::string_view sql_state) {
  switch (error_number) {
    case kErServerShutdown:
    case kErAbortingConnection:
    case kErNetReadError:
    case kErNetReadInterrupted:
    case kErNetErrorOnWrite:
    case kErNetWriteInterrupted:
    case kErNewAbortingConnection:
    case kErOptionPreventsStatement:
    case kErReadOnlyMode:
    case kErConnectionKilled:
    case kErClientInteractionTimeout:
    case kCrUnknownError:
    case kCrConnectionError:
    case kCrConnHostError:
    case kCrServerGoneError:
    case kCrServerLost:
    case kCrCommandsOutOfSync:
    case kCrServerLostExtended:
      return true;
    default:
      // SQLSTATE class 08 is "connection exception" whatever the number.
      return sql_state.size() >= 2 && sql_state[0] == '0' && sql_state[1] == '8';
  }
}

domain::Error ClassifyMysqlError(int error_number, std::string_view sql_state,
                                 std::string_view message, ErrorPhase phase) {
  const std::string text = Describe(error_number, sql_state, message);
  using domain::Error;

  if (phase == ErrorPhase::kConnect) {
    if (CannotConnect(error_number)) return Error::Transient(std::string(kUnreachable), text);
    // Wrong password, unknown database, host not allowed, bad options: configuration that
    // retrying will not repair.
    return Error::Permanent(std::string(kGenericError), text);
  }

  switch (error_number) {
    case kErDupEntry:
    case kErDupKey:
    case kErDupEntryWithKeyName:
      return Error::Permanent(std::string(kDuplicateKey), text);
    case kErLockDeadlock:
      return Error::RetryTransaction(std::string(kDeadlock), text);
    case kErLockWaitTimeout:
      return Error::RetryTransaction(std::string(kLockWaitTimeout), text);
    case kErQueryInterrupted:
    case kErStatementTimeout:
    case kErQueryTimeout:
      return Error::Transient(std::string(kQueryInterrupted), text);
    case kErOptionPreventsStatement:
    case kErReadOnlyMode:
      return Error::Transient(std::string(kReadOnly), text);
    case kErTooManyConcurrentTrxs:
      return Error::Transient(std::string(kGenericError), text);
    case kErAccessDenied:
    case kErDbAccessDenied:
      return Error::Permanent(std::string(kGenericError), text);
    default:
      break;
  }
  if (BreaksConnection(error_number, sql_state)) {
    return Error::Transient(std::string(kConnectionLost), text);
  }
  return Error::Permanent(std::string(kGenericError), text);
}

}  // namespace paypipe::infra::db
