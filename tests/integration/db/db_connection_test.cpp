// The MySQL adapter against the local MariaDB: sessions, statements, types, transactions and
// broken connections. Each test runs in a database of its own.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace paypipe::infra::db {
namespace {

using paypipe::testing::mysql::ScopedDatabase;

std::int64_t CountRows(Connection& connection, const std::string& where = "1=1") {
  auto rows = connection.Query("SELECT COUNT(*) FROM items WHERE " + where);
  EXPECT_TRUE(rows.ok()) << rows.error().ToString();
  return rows.ok() ? rows->front().Int64(0) : -1;
}

class DbConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = database_.Connect();
    auto created = connection_->Execute(
        "CREATE TABLE items (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(20) NULL, "
        "amount BIGINT NULL, payload BLOB NULL) ENGINE=InnoDB");
    ASSERT_TRUE(created.ok()) << created.error().ToString();
  }

  ScopedDatabase database_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(DbConnectionTest, SessionIsUtf8mb4UtcStrictWithoutReconnect) {
  auto rows = connection_->Query(
      "SELECT @@character_set_client, @@character_set_connection, @@character_set_results, "
      "@@session.time_zone, @@session.sql_mode, @@session.innodb_lock_wait_timeout");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  const Row& row = rows->front();
  EXPECT_EQ(row.String(0), "utf8mb4");
  EXPECT_EQ(row.String(1), "utf8mb4");
  EXPECT_EQ(row.String(2), "utf8mb4");
  EXPECT_EQ(row.String(3), "+00:00");
  EXPECT_NE(row.String(4).find("STRICT_ALL_TABLES"), std::string::npos);
  EXPECT_EQ(row.Int64(5), 10);
  EXPECT_GT(connection_->ServerConnectionId(), 0U);
  const std::string& redacted = connection_->RedactedUrl();
  EXPECT_NE(redacted.find(":***@"), std::string::npos) << redacted;
  EXPECT_EQ(redacted.find(":" + database_.url().password + "@"), std::string::npos) << redacted;
}

TEST_F(DbConnectionTest, ValuesRoundTripExactly) {
  const std::string text = "결제 완료 😀";
  const std::string bytes(
      "\x00\x01\xff\xfe"
      "after-nul",
      13);
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  ASSERT_TRUE(
      connection_->Execute("INSERT INTO items VALUES (?, ?, ?, ?)", {1, text, max, Bytes{bytes}})
          .ok());
  ASSERT_TRUE(
      connection_->Execute("INSERT INTO items VALUES (?, ?, ?, ?)", {2, std::nullopt, min, kNull})
          .ok());
  ASSERT_TRUE(connection_
                  ->Execute("INSERT INTO items VALUES (?, ?, ?, ?)",
                            {3, domain::OrderId("order-1"), domain::Money::Krw(15000),
                             std::optional<std::string>("opt")})
                  .ok());

  // Prepared (binary protocol) and plain text (text protocol) reads agree.
  for (const Params& params : {Params{0}, Params{}}) {
    auto rows =
        params.empty()
            ? connection_->Query("SELECT id, name, amount, payload FROM items ORDER BY id")
            : connection_->Query(
                  "SELECT id, name, amount, payload FROM items WHERE id > ? ORDER BY id", params);
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    ASSERT_EQ(rows->size(), 3U);
    EXPECT_EQ((*rows)[0].String("name"), text);
    EXPECT_EQ((*rows)[0].Int64("amount"), max);
    EXPECT_EQ((*rows)[0].String("payload"), bytes);
    EXPECT_TRUE((*rows)[1].IsNull("name"));
    EXPECT_EQ((*rows)[1].OptionalString("name"), std::nullopt);
    EXPECT_EQ((*rows)[1].OptionalInt64("payload"), std::nullopt);
    EXPECT_EQ((*rows)[1].Int64("amount"), min);
    EXPECT_EQ((*rows)[2].String("name"), "order-1");
    EXPECT_EQ((*rows)[2].Int64("amount"), 15000);
    EXPECT_EQ((*rows)[2].String("payload"), "opt");
    EXPECT_THROW((void)(*rows)[1].String("name"), std::logic_error);
    EXPECT_THROW((void)(*rows)[0].Int64("name"), std::logic_error);
    EXPECT_THROW((void)(*rows)[0].Int64("missing"), std::logic_error);
  }
}

TEST_F(DbConnectionTest, StrictModeRefusesTruncationInsteadOfStoringIt) {
  auto result =
      connection_->Execute("INSERT INTO items (id, name) VALUES (?, ?)", {1, std::string(21, 'x')});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(result.error().code, kGenericError);
  EXPECT_EQ(CountRows(*connection_), 0);
  EXPECT_FALSE(connection_->IsBroken());
}

TEST_F(DbConnectionTest, ExecuteReportsChangedRowsAndToleratesResultSets) {
  ASSERT_TRUE(connection_->Execute("INSERT INTO items (id, amount) VALUES (1, 10), (2, 10)").ok());
  auto changed = connection_->Execute("UPDATE items SET amount = ? WHERE amount = ?", {20, 10});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 2U);
  auto unchanged = connection_->Execute("UPDATE items SET amount = ? WHERE id = ?", {20, 1});
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, 0U);  // matched but not changed
  auto text = connection_->Execute("DELETE FROM items WHERE id = 2");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, 1U);
  EXPECT_TRUE(connection_->Execute("SELECT * FROM items").ok());
  EXPECT_TRUE(connection_->Execute("SELECT * FROM items WHERE id = ?", {1}).ok());
  EXPECT_EQ(CountRows(*connection_), 1);  // the connection is still in sync
}

TEST_F(DbConnectionTest, DuplicateKeyIsPermanentAndLeavesTheTransactionUsable) {
  ASSERT_TRUE(connection_->Execute("INSERT INTO items (id) VALUES (?)", {1}).ok());
  auto duplicate = connection_->Execute("INSERT INTO items (id) VALUES (?)", {1});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(duplicate.error().code, kDuplicateKey);
  EXPECT_TRUE(IsDuplicateKey(duplicate.error()));

  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (?)", {2}).ok());
  auto again = tx->Execute("INSERT INTO items (id) VALUES (?)", {1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, kDuplicateKey);
  EXPECT_TRUE(tx->IsOpen());  // MySQL undid only the statement; the caller decides
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(CountRows(*connection_), 2);
}

TEST_F(DbConnectionTest, LastInsertIdIsTheRowJustInserted) {
  ASSERT_TRUE(connection_
                  ->Execute("CREATE TABLE generated (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                            "v INT) AUTO_INCREMENT = 41")
                  .ok());
  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO generated (v) VALUES (?)", {7}).ok());
  auto id = tx->LastInsertId();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 41);
  ASSERT_TRUE(tx->Commit().ok());
  ASSERT_TRUE(connection_->Execute("INSERT INTO generated (v) VALUES (8)").ok());
  EXPECT_EQ(connection_->LastInsertId().value(), 42);
}

TEST_F(DbConnectionTest, CommitMakesChangesVisibleToOthers) {
  auto other = database_.Connect();
  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (?)", {1}).ok());
  EXPECT_EQ(CountRows(*other), 0);  // not yet committed
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_FALSE(tx->IsOpen());
  EXPECT_FALSE(connection_->InTransaction());
  EXPECT_EQ(CountRows(*other), 1);

  auto after = tx->Execute("INSERT INTO items (id) VALUES (?)", {2});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, kMisuse);
  EXPECT_EQ(tx->Commit().error().code, kMisuse);
}

TEST_F(DbConnectionTest, RollbackDiscardsChanges) {
  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (?)", {1}).ok());
  ASSERT_TRUE(tx->Rollback().ok());
  EXPECT_FALSE(tx->IsOpen());
  EXPECT_EQ(CountRows(*connection_), 0);
}

TEST_F(DbConnectionTest, DestructorRollsBackAnUncommittedTransaction) {
  {
    auto tx = connection_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (?)", {1}).ok());
    ASSERT_TRUE(connection_->InTransaction());
  }
  EXPECT_FALSE(connection_->InTransaction());
  // Autocommit again: this insert is visible to another session without a COMMIT.
  ASSERT_TRUE(connection_->Execute("INSERT INTO items (id) VALUES (?)", {2}).ok());
  auto other = database_.Connect();
  EXPECT_EQ(CountRows(*other, "id = 1"), 0);
  EXPECT_EQ(CountRows(*other, "id = 2"), 1);
}

TEST_F(DbConnectionTest, MovedTransactionIsRolledBackOnceByItsLastOwner) {
  Transaction outer = [&] {
    auto tx = connection_->Begin();
    EXPECT_TRUE(tx.ok());
    EXPECT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (1)").ok());
    return std::move(*tx);
  }();
  EXPECT_TRUE(outer.IsOpen());
  ASSERT_TRUE(outer.Commit().ok());
  EXPECT_EQ(CountRows(*connection_), 1);
}

TEST_F(DbConnectionTest, OneTransactionAtATimeAndNoHiddenTransactionControl) {
  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  auto second = connection_->Begin();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, kMisuse);
  for (const char* sql : {"COMMIT", "commit work", "ROLLBACK", "BEGIN", " start transaction"}) {
    auto result = connection_->Execute(sql);
    ASSERT_FALSE(result.ok()) << sql;
    EXPECT_EQ(result.error().code, kMisuse) << sql;
  }
  ASSERT_TRUE(tx->Execute("SAVEPOINT s1").ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (1)").ok());
  EXPECT_TRUE(tx->Execute("ROLLBACK TO SAVEPOINT s1").ok());
  ASSERT_TRUE(tx->Commit().ok());
  EXPECT_EQ(CountRows(*connection_), 0);
}

TEST_F(DbConnectionTest, TransactionOutlivingItsConnectionIsHarmless) {
  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (1)").ok());
  connection_.reset();
  EXPECT_FALSE(tx->IsOpen());
  EXPECT_EQ(tx->Commit().error().code, kMisuse);
  auto other = database_.Connect();
  EXPECT_EQ(CountRows(*other), 0);  // closing the session rolled it back
}

TEST_F(DbConnectionTest, ReadCommittedSeesOtherCommitsRepeatableReadDoesNot) {
  ASSERT_TRUE(connection_->Execute("INSERT INTO items (id, amount) VALUES (1, 1)").ok());
  auto writer = database_.Connect();
  for (auto isolation : {IsolationLevel::kReadCommitted, IsolationLevel::kRepeatableRead}) {
    auto tx = connection_->Begin(isolation);
    ASSERT_TRUE(tx.ok());
    auto before = tx->Query("SELECT amount FROM items WHERE id = 1");
    ASSERT_TRUE(before.ok());
    ASSERT_TRUE(writer->Execute("UPDATE items SET amount = amount + 1 WHERE id = 1").ok());
    auto after = tx->Query("SELECT amount FROM items WHERE id = 1");
    ASSERT_TRUE(after.ok());
    if (isolation == IsolationLevel::kReadCommitted) {
      EXPECT_EQ(after->front().Int64(0), before->front().Int64(0) + 1);
    } else {
      EXPECT_EQ(after->front().Int64(0), before->front().Int64(0));
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
}

TEST_F(DbConnectionTest, PreparedStatementsAreCachedPerConnection) {
  auto prepares = [&] {
    auto rows = connection_->Query("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'");
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? rows->front().Int64(1) : -1;
  };
  const std::int64_t start = prepares();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(connection_->Execute("INSERT INTO items (id) VALUES (?)", {i}).ok());
  }
  EXPECT_EQ(prepares() - start, 1);
  EXPECT_EQ(CountRows(*connection_), 10);
}

TEST_F(DbConnectionTest, SmallCacheEvictsButStaysCorrect) {
  ConnectOptions options;
  options.prepared_statement_cache_size = 2;
  auto connection = database_.Connect(options);
  for (int round = 0; round < 3; ++round) {
    for (int column = 0; column < 4; ++column) {
      const std::string sql = "SELECT ? + " + std::to_string(column);
      auto rows = connection->Query(sql, {round});
      ASSERT_TRUE(rows.ok()) << rows.error().ToString();
      EXPECT_EQ(rows->front().Int64(0), round + column);
    }
  }
}

TEST_F(DbConnectionTest, PlaceholderCountMismatchIsMisuse) {
  auto result = connection_->Execute("INSERT INTO items (id, amount) VALUES (?, ?)", {1});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, kMisuse);
  EXPECT_FALSE(connection_->IsBroken());
  EXPECT_EQ(CountRows(*connection_), 0);
}

TEST_F(DbConnectionTest, SyntaxErrorIsPermanentWithTheServerMessage) {
  auto result = connection_->Query("SELEKT 1");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(result.error().code, kGenericError);
  EXPECT_NE(result.error().message.find("1064"), std::string::npos);
  EXPECT_TRUE(connection_->Ping().ok());
}

TEST_F(DbConnectionTest, KilledIdleConnectionIsBrokenAndNeverReconnects) {
  auto admin = database_.Connect();
  ASSERT_TRUE(
      admin->Execute("KILL CONNECTION " + std::to_string(connection_->ServerConnectionId())).ok());
  auto result = connection_->Query("SELECT 1");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(result.error().code, kConnectionLost);
  EXPECT_TRUE(connection_->IsBroken());
  // Stays broken: no silent reconnect, every later call fails.
  for (int i = 0; i < 3; ++i) {
    auto again = connection_->Execute("INSERT INTO items (id) VALUES (?)", {i});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, kConnectionLost);
  }
  EXPECT_FALSE(connection_->Ping().ok());
  auto begin = connection_->Begin();
  ASSERT_FALSE(begin.ok());
  EXPECT_EQ(begin.error().code, kConnectionLost);
  EXPECT_EQ(CountRows(*admin), 0);
}

TEST_F(DbConnectionTest, ConnectionLostInsideATransactionMeansNothingWasCommitted) {
  auto admin = database_.Connect();
  auto tx = connection_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO items (id) VALUES (1)").ok());
  ASSERT_TRUE(
      admin->Execute("KILL CONNECTION " + std::to_string(connection_->ServerConnectionId())).ok());
  auto lost = tx->Execute("INSERT INTO items (id) VALUES (2)");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, kConnectionLost);
  EXPECT_FALSE(tx->IsOpen());
  // COMMIT is never sent on a connection known to be dead: the outcome is known.
  auto commit = tx->Commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, kConnectionLost);
  EXPECT_EQ(CountRows(*admin), 0);
}

TEST_F(DbConnectionTest, ReadTimeoutBreaksTheConnection) {
  ConnectOptions options;
  options.read_timeout = std::chrono::seconds(2);
  options.lock_wait_timeout = std::chrono::seconds(1);
  auto connection = database_.Connect(options);
  const auto start = std::chrono::steady_clock::now();
  auto result = connection->Execute("DO SLEEP(5)");
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, kConnectionLost);
  EXPECT_TRUE(connection->IsBroken());
  EXPECT_LT(waited, std::chrono::milliseconds(4500));
}

TEST(DbConnect, UnreachableServerIsTransient) {
  auto url = paypipe::testing::mysql::ServerUrl();
  url.port = 1;  // nothing listens there
  auto connection = Connection::Open(url);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(connection.error().code, kUnreachable);
}

TEST(DbConnect, WrongPasswordIsPermanentAndNotEchoed) {
  auto url = paypipe::testing::mysql::ServerUrl();
  url.password = "not-the-Pa55word-xyz";
  auto connection = Connection::Open(url);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(connection.error().message.find(url.password), std::string::npos);
}

TEST(DbConnect, InconsistentTimeoutsAreRefusedBeforeConnecting) {
  ConnectOptions options;
  options.read_timeout = std::chrono::seconds(5);
  options.lock_wait_timeout = std::chrono::seconds(5);
  auto connection = Connection::Open(paypipe::testing::mysql::ServerUrl(), options);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().code, kMisuse);
}

TEST(DbConnect, ManyThreadsOpenConnectionsConcurrently) {
  const MysqlUrl url = paypipe::testing::mysql::ServerUrl();
  std::vector<std::thread> threads;
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      ThreadScope scope;
      auto connection = Connection::Open(url);
      if (!connection.ok()) return;
      auto rows = (*connection)->Query("SELECT ?", {i});
      if (rows.ok() && rows->front().Int64(0) == i) ++succeeded;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 8);
}

}  // namespace
}  // namespace paypipe::infra::db
