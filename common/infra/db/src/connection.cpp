#include "paypipe/infra/db/connection.hpp"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/parameter_metadata.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <exception>
#include <list>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "driver_internal.hpp"

namespace paypipe::infra::db {

using domain::Error;
using domain::Fail;
using domain::Result;
using domain::Status;

namespace {

// Session settings applied right after connecting. Strict mode turns silent truncation of a
// value (a money amount, an id) into an error; UTC makes NOW() and CURRENT_TIMESTAMP
// independent of the server's zone.
constexpr std::string_view kSqlMode =
    "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "NO_ENGINE_SUBSTITUTION";

enum class TxState { kNone, kActive, kAborted };

struct CachedStatement {
  std::string sql;
  std::unique_ptr<sql::PreparedStatement> statement;
  bool returns_rows = false;
  int parameter_count = 0;
};

// Prepared statements by SQL text, least recently used evicted first. Preparing costs a
// round trip, and stages run the same few statements for every message.
class StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  CachedStatement* Find(std::string_view sql) {
    auto found = index_.find(std::string(sql));
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &*found->second;
  }

  CachedStatement& Insert(CachedStatement entry) {
    while (!entries_.empty() && entries_.size() >= capacity_) {
      index_.erase(entries_.back().sql);
      entries_.pop_back();
    }
    entries_.push_front(std::move(entry));
    index_[entries_.front().sql] = entries_.begin();
    return entries_.front();
  }

  void Erase(std::string_view sql) {
    auto found = index_.find(std::string(sql));
    if (found == index_.end()) return;
    entries_.erase(found->second);
    index_.erase(found);
  }

 private:
  std::size_t capacity_;
  std::list<CachedStatement> entries_;
  std::unordered_map<std::string, std::list<CachedStatement>::iterator> index_;
};

sql::SQLString ToSql(std::string_view text) { return {text.data(), text.size()}; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The first word of `sql` upper-cased, and the word after it.
std::pair<std::string, std::string> LeadingWords(std::string_view sql) {
  std::pair<std::string, std::string> words;
  std::size_t i = 0;
  for (std::string* word : {&words.first, &words.second}) {
    while (i < sql.size() && IsSpace(sql[i])) ++i;
    while (i < sql.size() && !IsSpace(sql[i]) && sql[i] != ';') {
      char c = sql[i++];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      word->push_back(c);
    }
  }
  return words;
}

// Statements that would end or restart the transaction behind the Transaction object's back.
// ROLLBACK TO SAVEPOINT stays allowed.
bool IsTransactionControl(std::string_view sql) {
  const auto [first, second] = LeadingWords(sql);
  if (first == "BEGIN" || first == "COMMIT") return true;
  if (first == "START") return second == "TRANSACTION";
  if (first == "ROLLBACK") return second != "TO";
  return false;
}

const char* IsolationName(IsolationLevel isolation) {
  switch (isolation) {
    case IsolationLevel::kReadCommitted:
      return "READ COMMITTED";
    case IsolationLevel::kRepeatableRead:
      return "REPEATABLE READ";
    case IsolationLevel::kSerializable:
      return "SERIALIZABLE";
    case IsolationLevel::kDefault:
      break;
  }
  return nullptr;
}

Rows ReadRows(sql::ResultSet& result) {
  sql::ResultSetMetaData* meta = result.getMetaData();
  const unsigned int count = meta->getColumnCount();
  std::vector<std::string> columns;
  columns.reserve(count);
  for (unsigned int i = 1; i <= count; ++i) columns.push_back(meta->getColumnLabel(i));
  std::vector<std::vector<std::optional<std::string>>> rows;
  while (result.next()) {
    std::vector<std::optional<std::string>> cells;
    cells.reserve(count);
    for (unsigned int i = 1; i <= count; ++i) {
      if (result.isNull(i)) {
        cells.emplace_back(std::nullopt);
      } else {
        cells.emplace_back(result.getString(i).asStdString());
      }
    }
    rows.push_back(std::move(cells));
  }
  return {std::move(columns), std::move(rows)};
}

// Holds the streams of BLOB parameters until the statement has run: the connector reads them
// during execute.
using BlobStreams = std::vector<std::unique_ptr<std::istringstream>>;

void Bind(sql::PreparedStatement& statement, const Params& params, BlobStreams& blobs) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto index = static_cast<unsigned int>(i + 1);
    const Value::Variant& value = params[i].variant();
    if (std::holds_alternative<Null>(value)) {
      statement.setNull(index, sql::DataType::VARCHAR);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      statement.setInt64(index, *number);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      statement.setString(index, ToSql(*text));
    } else if (const auto* bytes = std::get_if<Bytes>(&value)) {
      blobs.push_back(std::make_unique<std::istringstream>(bytes->data));
      statement.setBlob(index, blobs.back().get());
    }
  }
}

std::string ShortSql(std::string_view sql) {
  constexpr std::size_t kMax = 120;
  std::string text(sql.substr(0, kMax));
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (sql.size() > kMax) text += "...";
  return text;
}

}  // namespace

class Connection::Impl {
 public:
  Impl(std::unique_ptr<sql::Connection> connection, std::unique_ptr<sql::Statement> statement,
       std::string redacted_url, std::uint64_t server_id, const ConnectOptions& options)
      : connection_(std::move(connection)),
        statement_(std::move(statement)),
        cache_(options.prepared_statement_cache_size),
        redacted_url_(std::move(redacted_url)),
        server_id_(server_id) {}

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Destroying the connector's connection closes the session, and the server rolls back
  // whatever is still open. Statements are members declared after the connection, so they
  // are released before it.
  ~Impl() = default;

  [[nodiscard]] bool broken() const { return broken_; }
  [[nodiscard]] bool in_transaction() const { return tx_state_ != TxState::kNone; }
  [[nodiscard]] std::uint64_t server_id() const { return server_id_; }
  [[nodiscard]] const std::string& redacted_url() const { return redacted_url_; }

  Result<std::uint64_t> Execute(std::string_view sql, const Params& params) {
    PAYPIPE_RETURN_IF_ERROR(CheckUsable(sql));
    if (params.empty()) {
      return Guard<std::uint64_t>(sql, [&]() -> std::uint64_t {
        if (statement_->execute(ToSql(sql))) {
          std::unique_ptr<sql::ResultSet> discarded(statement_->getResultSet());
          return 0;
        }
        return statement_->getUpdateCount();
      });
    }
    auto prepared = Prepare(sql, params);
    if (!prepared.ok()) return prepared.error();
    CachedStatement* entry = *prepared;
    return Guard<std::uint64_t>(sql, [&]() -> std::uint64_t {
      BlobStreams blobs;
      entry->statement->clearParameters();
      Bind(*entry->statement, params, blobs);
      std::uint64_t changed = 0;
      if (entry->returns_rows) {
        std::unique_ptr<sql::ResultSet> discarded(entry->statement->executeQuery());
      } else {
        const int count = entry->statement->executeUpdate();
        changed = count < 0 ? 0 : static_cast<std::uint64_t>(count);
      }
      entry->statement->clearParameters();
      return changed;
    });
  }

  Result<Rows> Query(std::string_view sql, const Params& params) {
    PAYPIPE_RETURN_IF_ERROR(CheckUsable(sql));
    if (params.empty()) {
      return Guard<Rows>(sql, [&] {
        std::unique_ptr<sql::ResultSet> result(statement_->executeQuery(ToSql(sql)));
        return ReadRows(*result);
      });
    }
    auto prepared = Prepare(sql, params);
    if (!prepared.ok()) return prepared.error();
    CachedStatement* entry = *prepared;
    return Guard<Rows>(sql, [&] {
      BlobStreams blobs;
      entry->statement->clearParameters();
      Bind(*entry->statement, params, blobs);
      std::unique_ptr<sql::ResultSet> result(entry->statement->executeQuery());
      Rows rows = ReadRows(*result);
      result.reset();
      entry->statement->clearParameters();
      return rows;
    });
  }

  Result<std::uint64_t> Begin(IsolationLevel isolation) {
    if (broken_) return LostError();
    if (tx_state_ != TxState::kNone) {
      return Error::Permanent(std::string(kMisuse),
                              "a transaction is already open on this connection; end it first");
    }
    if (const char* level = IsolationName(isolation)) {
      PAYPIPE_RETURN_IF_ERROR(RunControl(std::string("SET TRANSACTION ISOLATION LEVEL ") + level));
    }
    PAYPIPE_RETURN_IF_ERROR(RunControl("START TRANSACTION"));
    tx_state_ = TxState::kActive;
    abort_error_.reset();
    return ++tx_serial_;
  }

  // The transaction `serial` has not been ended by Commit/Rollback yet (it may be aborted).
  [[nodiscard]] bool Owns(std::uint64_t serial) const {
    return serial == tx_serial_ && tx_state_ != TxState::kNone;
  }
  // ... and can still do work.
  [[nodiscard]] bool IsActive(std::uint64_t serial) const {
    return Owns(serial) && tx_state_ == TxState::kActive && !broken_;
  }

  Status CheckOwner(std::uint64_t serial) const {
    if (Owns(serial)) return domain::Ok();
    return Error::Permanent(std::string(kMisuse), "the transaction has already ended");
  }

  Status Commit(std::uint64_t serial) {
    PAYPIPE_RETURN_IF_ERROR(CheckOwner(serial));
    if (tx_state_ == TxState::kAborted) {
      Error error = abort_error_.value_or(Error::RetryTransaction(
          std::string(kTransactionAborted), "the transaction was rolled back"));
      EndTransaction();
      return error;
    }
    if (broken_) {
      EndTransaction();
      return Error::Transient(std::string(kConnectionLost),
                              "the connection to " + redacted_url_ +
                                  " was lost before COMMIT; the server rolled the transaction "
                                  "back, nothing was committed");
    }
    // A COMMIT statement, not sql::Connection::commit(): the connector's commit() ignores
    // errors, so a commit on a dead connection would look successful.
    std::optional<std::string> failure;
    try {
      statement_->execute("COMMIT");
    } catch (const sql::SQLException& e) {
      if (BreaksConnection(e.getErrorCode(), e.getSQLState())) {
        broken_ = true;
      } else {
        RollbackQuietly();
      }
      failure =
          ClassifyMysqlError(e.getErrorCode(), e.getSQLState(), e.what(), ErrorPhase::kStatement)
              .message;
    } catch (const std::exception& e) {
      broken_ = true;  // the client library is in an unknown state: do not reuse it
      failure = std::string("MySQL client: ") + e.what();
    }
    EndTransaction();
    if (!failure.has_value()) return domain::Ok();
    return Error::Transient(
        std::string(kCommitOutcomeUnknown),
        "COMMIT on " + redacted_url_ +
            " failed; the transaction may or may not have been committed: " + *failure);
  }

  Status Rollback(std::uint64_t serial) {
    PAYPIPE_RETURN_IF_ERROR(CheckOwner(serial));
    const TxState state = tx_state_;
    EndTransaction();
    if (broken_) return LostError();
    if (state == TxState::kAborted) return domain::Ok();  // already rolled back
    return RunControl("ROLLBACK");
  }

  Result<std::uint64_t> CheckedExecute(std::uint64_t serial, std::string_view sql,
                                       const Params& params) {
    PAYPIPE_RETURN_IF_ERROR(CheckOwner(serial));
    return Execute(sql, params);
  }

  Result<Rows> CheckedQuery(std::uint64_t serial, std::string_view sql, const Params& params) {
    PAYPIPE_RETURN_IF_ERROR(CheckOwner(serial));
    return Query(sql, params);
  }

 private:
  Error LostError() const {
    return Error::Transient(
        std::string(kConnectionLost),
        "the connection to " + redacted_url_ + " is broken; discard it and open a new one");
  }

  Status CheckUsable(std::string_view sql) const {
    if (broken_) return LostError();
    if (tx_state_ == TxState::kAborted) {
      return Error::RetryTransaction(
          std::string(kTransactionAborted),
          "the transaction was rolled back after " +
              (abort_error_ ? abort_error_->code : std::string("an error")) +
              "; end it and rerun the unit of work");
    }
    if (tx_state_ == TxState::kActive && IsTransactionControl(sql)) {
      return Error::Permanent(std::string(kMisuse),
                              "transaction control statement inside a Transaction: use "
                              "Transaction::Commit/Rollback (" +
                                  ShortSql(sql) + ")");
    }
    return domain::Ok();
  }

  // Runs `body` against the connector and turns every exception into an Error, updating the
  // connection and transaction state on the way.
  template <typename T, typename Body>
  Result<T> Guard(std::string_view sql, Body&& body) {
    try {
      return Result<T>(body());
    } catch (const sql::SQLException& e) {
      return Fail(OnDriverError(sql, e.getErrorCode(), e.getSQLState(), e.what()));
    } catch (const std::exception& e) {
      // Not a server error (allocation, connector internals): the session state is unknown.
      broken_ = true;
      return Fail(Error::Permanent(std::string(kGenericError),
                                   std::string("MySQL client failure: ") + e.what()));
    } catch (...) {
      broken_ = true;
      return Fail(Error::Permanent(std::string(kGenericError), "MySQL client failure"));
    }
  }

  Error OnDriverError(std::string_view sql, int number, const std::string& sql_state,
                      const std::string& message) {
    Error error = ClassifyMysqlError(number, sql_state, message, ErrorPhase::kStatement);
    const bool lock_conflict = error.code == kDeadlock || error.code == kLockWaitTimeout;
    if (BreaksConnection(number, sql_state)) {
      broken_ = true;
    } else if (!lock_conflict && error.code != kDuplicateKey) {
      // A statement the server could not run may have been invalidated (e.g. a table
      // definition changed): prepare it afresh next time.
      cache_.Erase(sql);
    }
    if (lock_conflict && tx_state_ == TxState::kActive) {
      // Deadlock: InnoDB already rolled the transaction back. Lock wait timeout: only the
      // statement was undone, the rest of the transaction still holds its locks and writes;
      // roll it all back so that nothing partial can ever be committed.
      RollbackQuietly();
      tx_state_ = TxState::kAborted;
      abort_error_ = error;
    }
    return error;
  }

  void RollbackQuietly() {
    try {
      statement_->execute("ROLLBACK");
    } catch (const sql::SQLException& e) {
      if (BreaksConnection(e.getErrorCode(), e.getSQLState())) broken_ = true;
    } catch (...) {
      broken_ = true;
    }
  }

  Status RunControl(const std::string& sql) {
    auto result = Guard<bool>(sql, [&] { return statement_->execute(ToSql(sql)); });
    if (!result.ok()) return result.error();
    return domain::Ok();
  }

  void EndTransaction() {
    tx_state_ = TxState::kNone;
    abort_error_.reset();
  }

  Result<CachedStatement*> Prepare(std::string_view sql, const Params& params) {
    CachedStatement* entry = cache_.Find(sql);
    if (entry == nullptr) {
      auto prepared = Guard<CachedStatement>(sql, [&] {
        CachedStatement fresh;
        fresh.sql = std::string(sql);
        fresh.statement.reset(connection_->prepareStatement(ToSql(sql)));
        fresh.parameter_count = fresh.statement->getParameterMetaData()->getParameterCount();
        sql::ResultSetMetaData* meta = fresh.statement->getMetaData();
        fresh.returns_rows = meta != nullptr && meta->getColumnCount() > 0;
        return fresh;
      });
      if (!prepared.ok()) return prepared.error();
      entry = &cache_.Insert(std::move(*prepared));
    }
    if (static_cast<std::size_t>(entry->parameter_count) != params.size()) {
      return Error::Permanent(std::string(kMisuse),
                              "statement has " + std::to_string(entry->parameter_count) +
                                  " placeholders but " + std::to_string(params.size()) +
                                  " parameters were given: " + ShortSql(sql));
    }
    return entry;
  }

  // Declaration order matters: destroyed bottom-up, statements before their connection.
  std::unique_ptr<sql::Connection> connection_;
  std::unique_ptr<sql::Statement> statement_;
  StatementCache cache_;
  std::string redacted_url_;
  std::uint64_t server_id_ = 0;
  bool broken_ = false;
  TxState tx_state_ = TxState::kNone;
  std::uint64_t tx_serial_ = 0;
  std::optional<Error> abort_error_;
};

// ---------------------------------------------------------------------------- Connection

Connection::Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const MysqlUrl& url,
                                                     const ConnectOptions& options) {
  const std::string redacted = url.Redacted();
  const auto seconds = [](std::chrono::seconds s) { return static_cast<int>(s.count()); };
  if (options.connect_timeout.count() < 1 || options.read_timeout.count() < 1 ||
      options.write_timeout.count() < 1 || options.lock_wait_timeout.count() < 1) {
    return Error::Permanent(std::string(kMisuse), "database timeouts must be at least 1 second");
  }
  if (options.lock_wait_timeout >= options.read_timeout) {
    return Error::Permanent(std::string(kMisuse),
                            "lock_wait_timeout must be shorter than read_timeout, otherwise a "
                            "lock wait would end as a lost connection");
  }

  internal::EnsureThreadScope();
  sql::ConnectOptionsMap properties;
  properties["hostName"] = url.host;
  properties["port"] = static_cast<int>(url.port);
  properties["userName"] = url.user;
  properties["password"] = url.password;
  if (!url.database.empty()) properties["schema"] = url.database;
  properties["OPT_CONNECT_TIMEOUT"] = seconds(options.connect_timeout);
  properties["OPT_READ_TIMEOUT"] = seconds(options.read_timeout);
  properties["OPT_WRITE_TIMEOUT"] = seconds(options.write_timeout);
  // Never reconnect behind our back: see the class comment.
  properties["OPT_RECONNECT"] = false;
  properties["OPT_CHARSET_NAME"] = "utf8mb4";
  // The connector would otherwise ask for results in 3-byte "utf8" and mangle emoji.
  properties["characterSetResults"] = "utf8mb4";
  properties["CLIENT_MULTI_STATEMENTS"] = false;

  try {
    std::unique_ptr<sql::Connection> connection(internal::Driver().connect(properties));
    std::unique_ptr<sql::Statement> statement(connection->createStatement());
    statement->execute(ToSql(
        "SET SESSION time_zone = '+00:00', sql_mode = '" + std::string(kSqlMode) +
        "', innodb_lock_wait_timeout = " + std::to_string(options.lock_wait_timeout.count())));
    std::uint64_t server_id = 0;
    {
      std::unique_ptr<sql::ResultSet> result(statement->executeQuery("SELECT CONNECTION_ID()"));
      if (result->next()) server_id = result->getUInt64(1);
    }
    return std::unique_ptr<Connection>(new Connection(std::make_shared<Impl>(
        std::move(connection), std::move(statement), redacted, server_id, options)));
  } catch (const sql::SQLException& e) {
    Error error =
        ClassifyMysqlError(e.getErrorCode(), e.getSQLState(), e.what(), ErrorPhase::kConnect);
    error.message = "cannot connect to " + redacted + ": " + error.message;
    return error;
  } catch (const std::exception& e) {
    return Error::Permanent(std::string(kGenericError), "cannot connect to " + redacted +
                                                            ": MySQL client failure: " + e.what());
  }
}

Result<std::uint64_t> Connection::Execute(std::string_view sql, const Params& params) {
  return impl_->Execute(sql, params);
}

Result<Rows> Connection::Query(std::string_view sql, const Params& params) {
  return impl_->Query(sql, params);
}

namespace {

Result<std::int64_t> ReadLastInsertId(Result<Rows> rows) {
  if (!rows.ok()) return rows.error();
  return rows->front().Int64(0);
}

}  // namespace

Result<std::int64_t> Connection::LastInsertId() {
  return ReadLastInsertId(impl_->Query("SELECT LAST_INSERT_ID()", {}));
}

Result<Transaction> Connection::Begin(IsolationLevel isolation) {
  auto serial = impl_->Begin(isolation);
  if (!serial.ok()) return serial.error();
  return Transaction(impl_, *serial);
}

Status Connection::Ping() {
  auto result = impl_->Query("SELECT 1", {});
  if (!result.ok()) return result.error();
  return domain::Ok();
}

bool Connection::IsBroken() const { return impl_->broken(); }
bool Connection::InTransaction() const { return impl_->in_transaction(); }
std::uint64_t Connection::ServerConnectionId() const { return impl_->server_id(); }
const std::string& Connection::RedactedUrl() const { return impl_->redacted_url(); }

// ---------------------------------------------------------------------------- Transaction

Transaction::Transaction(const std::shared_ptr<Connection::Impl>& connection, std::uint64_t serial)
    : connection_(connection), serial_(serial) {}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::move(other.connection_)), serial_(other.serial_) {
  other.connection_.reset();
}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    Abandon();
    connection_ = std::move(other.connection_);
    other.connection_.reset();
    serial_ = other.serial_;
  }
  return *this;
}

Transaction::~Transaction() { Abandon(); }

void Transaction::Abandon() noexcept {
  if (auto connection = connection_.lock(); connection && connection->Owns(serial_)) {
    (void)connection->Rollback(serial_);
  }
  connection_.reset();
}

namespace {

Error Ended() {
  return Error::Permanent(std::string(kMisuse),
                          "the transaction was moved from or its connection was destroyed");
}

}  // namespace

Result<std::uint64_t> Transaction::Execute(std::string_view sql, const Params& params) {
  auto connection = connection_.lock();
  if (!connection) return Ended();
  return connection->CheckedExecute(serial_, sql, params);
}

Result<Rows> Transaction::Query(std::string_view sql, const Params& params) {
  auto connection = connection_.lock();
  if (!connection) return Ended();
  return connection->CheckedQuery(serial_, sql, params);
}

Result<std::int64_t> Transaction::LastInsertId() {
  return ReadLastInsertId(Query("SELECT LAST_INSERT_ID()"));
}

Status Transaction::Commit() {
  auto connection = connection_.lock();
  if (!connection) return Ended();
  return connection->Commit(serial_);
}

Status Transaction::Rollback() {
  auto connection = connection_.lock();
  if (!connection) return Ended();
  return connection->Rollback(serial_);
}

bool Transaction::IsOpen() const {
  auto connection = connection_.lock();
  return connection && connection->IsActive(serial_);
}

}  // namespace paypipe::infra::db
