#pragma once

#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::infra::db {

// Error codes produced by this adapter. Callers branch on these (and on Error::kind), never on
// message text.
//
// kind               code
// Permanent          DB_DUPLICATE_KEY           1062/1022/1586: the unique key already holds
//                                               the row (inbox dedupe, idempotent inserts)
// RetryTransaction   DB_DEADLOCK                1213: the server rolled the transaction back
// RetryTransaction   DB_LOCK_WAIT_TIMEOUT       1205: the adapter rolled the whole transaction
//                                               back (the server only undid the statement)
// RetryTransaction   DB_TRANSACTION_ABORTED     a statement after one of the two above, in
//                                               the same (already rolled back) transaction
// Transient          DB_CONNECTION_LOST         2006/2013/1927/...: the connection is broken
//                                               and must be replaced; an open transaction is
//                                               gone (the server rolled it back)
// Transient          DB_UNREACHABLE             cannot connect (2002/2003/1040/...)
// Transient          DB_COMMIT_OUTCOME_UNKNOWN  COMMIT failed: it may or may not have been
//                                               applied; resolve by redelivery + inbox
// Transient          DB_QUERY_INTERRUPTED       KILL QUERY or a server statement time limit
// Transient          DB_READ_ONLY               the server is read-only (fail-over): the
//                                               connection is broken so that a new one finds
//                                               the new primary
// Permanent          DB_ERROR                   anything else, with the server's message
// Permanent          DB_URL_INVALID             MysqlUrl::Parse
// Permanent          DB_MISUSE                  API used against its contract (e.g. a second
//                                               Begin on one connection)
inline constexpr std::string_view kDuplicateKey = "DB_DUPLICATE_KEY";
inline constexpr std::string_view kDeadlock = "DB_DEADLOCK";
inline constexpr std::string_view kLockWaitTimeout = "DB_LOCK_WAIT_TIMEOUT";
inline constexpr std::string_view kTransactionAborted = "DB_TRANSACTION_ABORTED";
inline constexpr std::string_view kConnectionLost = "DB_CONNECTION_LOST";
inline constexpr std::string_view kUnreachable = "DB_UNREACHABLE";
inline constexpr std::string_view kCommitOutcomeUnknown = "DB_COMMIT_OUTCOME_UNKNOWN";
inline constexpr std::string_view kQueryInterrupted = "DB_QUERY_INTERRUPTED";
inline constexpr std::string_view kReadOnly = "DB_READ_ONLY";
inline constexpr std::string_view kGenericError = "DB_ERROR";
inline constexpr std::string_view kUrlInvalid = "DB_URL_INVALID";
inline constexpr std::string_view kMisuse = "DB_MISUSE";

// When the error happened: the same client error means "unreachable" while connecting and
// "connection lost" afterwards.
enum class ErrorPhase { kConnect, kStatement };

// Maps a MySQL/MariaDB error (server error number or client CR_* number, SQLSTATE and
// message) to the adapter's Error. Pure; the table is documented above and unit-tested.
[[nodiscard]] domain::Error ClassifyMysqlError(int error_number, std::string_view sql_state,
                                               std::string_view message, ErrorPhase phase);

// True for every sign that the connection itself is gone or unusable (lost, killed, server
// shutting down, protocol out of sync, SQLSTATE class 08, read-only after fail-over). Such a
// connection is never reused: there is no silent reconnect, because a reconnect would drop
// the open transaction and the prepared statements without the caller noticing.
[[nodiscard]] bool BreaksConnection(int error_number, std::string_view sql_state);

[[nodiscard]] inline bool IsDuplicateKey(const domain::Error& error) {
  return error.code == kDuplicateKey;
}

}  // namespace paypipe::infra::db
