// Real lock conflicts between sessions: a deadlock and a lock wait timeout must both come back
// as RetryTransaction with the whole transaction rolled back, never half of it.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace paypipe::infra::db {
namespace {

using paypipe::testing::mysql::ScopedDatabase;

class DbLockConflictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = database_.Connect();
    ASSERT_TRUE(admin_
                    ->Execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT "
                              "NULL) ENGINE=InnoDB")
                    .ok());
    ASSERT_TRUE(admin_->Execute("INSERT INTO accounts VALUES (1, 100), (2, 100)").ok());
  }

  std::int64_t Balance(std::int64_t id) {
    auto rows = admin_->Query("SELECT balance FROM accounts WHERE id = ?", {id});
    EXPECT_TRUE(rows.ok());
    return rows.ok() && !rows->empty() ? rows->front().Int64(0) : -1;
  }

  // Open transactions of a server session, as InnoDB sees them.
  std::int64_t OpenTransactions(std::uint64_t session) {
    auto rows = admin_->Query(
        "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = ?",
        {static_cast<std::int64_t>(session)});
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? rows->front().Int64(0) : -1;
  }

  ScopedDatabase database_;
  std::unique_ptr<Connection> admin_;
};

struct TransferOutcome {
  std::optional<domain::Error> first_error;  // the first failure inside the transaction
  std::optional<domain::Error> commit_error;
  std::optional<domain::Error> after_abort_error;
};

TEST_F(DbLockConflictTest, OppositeLockOrderDeadlockIsRetryTransactionForExactlyOneSide) {
  std::latch both_hold_first_lock(2);
  std::array<TransferOutcome, 2> outcomes;
  const auto transfer = [&](int side, std::int64_t first, std::int64_t second) {
    ThreadScope scope;
    auto connection = database_.Connect();
    TransferOutcome& outcome = outcomes[static_cast<std::size_t>(side)];
    auto tx = connection->Begin();
    if (!tx.ok()) {
      outcome.first_error = tx.error();
      both_hold_first_lock.count_down();
      return;
    }
    auto step = tx->Execute("UPDATE accounts SET balance = balance - 10 WHERE id = ?", {first});
    both_hold_first_lock.arrive_and_wait();
    if (step.ok()) {
      step = tx->Execute("UPDATE accounts SET balance = balance + 10 WHERE id = ?", {second});
    }
    if (!step.ok()) {
      outcome.first_error = step.error();
      auto again = tx->Execute("UPDATE accounts SET balance = 0 WHERE id = ?", {first});
      if (!again.ok()) outcome.after_abort_error = again.error();
    }
    auto committed = tx->Commit();
    if (!committed.ok()) outcome.commit_error = committed.error();
  };
  std::thread a(transfer, 0, 1, 2);
  std::thread b(transfer, 1, 2, 1);
  a.join();
  b.join();

  int deadlocks = 0;
  int committed = 0;
  for (const auto& outcome : outcomes) {
    if (outcome.first_error.has_value()) {
      ++deadlocks;
      EXPECT_EQ(outcome.first_error->kind, domain::ErrorKind::kRetryTransaction);
      EXPECT_EQ(outcome.first_error->code, kDeadlock);
      // The victim cannot continue in autocommit mode, and its commit reports the deadlock.
      ASSERT_TRUE(outcome.after_abort_error.has_value());
      EXPECT_EQ(outcome.after_abort_error->code, kTransactionAborted);
      EXPECT_EQ(outcome.after_abort_error->kind, domain::ErrorKind::kRetryTransaction);
      ASSERT_TRUE(outcome.commit_error.has_value());
      EXPECT_EQ(outcome.commit_error->code, kDeadlock);
    } else if (!outcome.commit_error.has_value()) {
      ++committed;
    }
  }
  EXPECT_EQ(deadlocks, 1);
  EXPECT_EQ(committed, 1);
  // Only the winner's transfer happened; the victim left no trace (no balance = 0).
  const bool a_won = !outcomes[0].first_error.has_value();
  EXPECT_EQ(Balance(1), a_won ? 90 : 110);
  EXPECT_EQ(Balance(2), a_won ? 110 : 90);
}

TEST_F(DbLockConflictTest, LockWaitTimeoutRollsBackTheWholeTransactionAtOnce) {
  auto holder = database_.Connect();
  auto holding = holder->Begin();
  ASSERT_TRUE(holding.ok());
  ASSERT_TRUE(holding->Query("SELECT balance FROM accounts WHERE id = 1 FOR UPDATE").ok());

  ConnectOptions options;
  options.lock_wait_timeout = std::chrono::seconds(1);
  auto waiter = database_.Connect(options);
  auto tx = waiter->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO accounts VALUES (?, ?)", {3, 50}).ok());
  ASSERT_TRUE(tx->Execute("UPDATE accounts SET balance = balance - 50 WHERE id = 2").ok());

  const auto start = std::chrono::steady_clock::now();
  auto blocked = tx->Execute("UPDATE accounts SET balance = balance + 50 WHERE id = 1");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().kind, domain::ErrorKind::kRetryTransaction);
  EXPECT_EQ(blocked.error().code, kLockWaitTimeout);

  // Rolled back already, before the caller ends the transaction: InnoDB holds nothing for the
  // session and the row it inserted is free for others.
  EXPECT_FALSE(tx->IsOpen());
  EXPECT_FALSE(waiter->IsBroken());
  EXPECT_EQ(OpenTransactions(waiter->ServerConnectionId()), 0);
  ASSERT_TRUE(holding->Execute("INSERT INTO accounts VALUES (3, 1)").ok());
  ASSERT_TRUE(holding->Rollback().ok());

  auto more = tx->Execute("UPDATE accounts SET balance = 0 WHERE id = 2");
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().code, kTransactionAborted);
  auto outside = waiter->Execute("UPDATE accounts SET balance = 0 WHERE id = 2");
  ASSERT_FALSE(outside.ok());  // not even through the connection while the tx object lives
  EXPECT_EQ(outside.error().code, kTransactionAborted);
  auto commit = tx->Commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, kLockWaitTimeout);

  EXPECT_EQ(Balance(2), 100);
  EXPECT_EQ(Balance(3), -1);  // absent
  // The connection is usable again once the transaction has ended.
  auto rerun = waiter->Begin();
  ASSERT_TRUE(rerun.ok());
  ASSERT_TRUE(rerun->Execute("UPDATE accounts SET balance = balance - 50 WHERE id = 2").ok());
  ASSERT_TRUE(rerun->Execute("UPDATE accounts SET balance = balance + 50 WHERE id = 1").ok());
  ASSERT_TRUE(rerun->Commit().ok());
  EXPECT_EQ(Balance(1), 150);
  EXPECT_EQ(Balance(2), 50);
}

}  // namespace
}  // namespace paypipe::infra::db
