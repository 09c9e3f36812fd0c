// KILL of a session while its COMMIT is executing on the server. To hold the COMMIT in flight
// the test takes the server's global read lock (FLUSH TABLES WITH READ LOCK), which briefly
// blocks every commit on the shared server: hence a disruptive test, run alone.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace paypipe::infra::db {
namespace {

using paypipe::testing::mysql::ScopedDatabase;

// Waits until the server shows `session` executing COMMIT and blocked.
bool WaitUntilCommitIsBlocked(Connection& admin, std::uint64_t session) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto rows = admin.Query(
        "SELECT COUNT(*) FROM information_schema.processlist WHERE id = ? AND info = 'COMMIT' "
        "AND state LIKE 'Waiting%'",
        {static_cast<std::int64_t>(session)});
    if (rows.ok() && rows->front().Int64(0) == 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Waits until `session` has left the server (a killed session ends when its wait is aborted).
bool WaitUntilSessionIsGone(Connection& admin, std::uint64_t session) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto rows = admin.Query("SELECT COUNT(*) FROM information_schema.processlist WHERE id = ?",
                            {static_cast<std::int64_t>(session)});
    if (rows.ok() && rows->front().Int64(0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(DbCommitKill, ConnectionKilledWhileCommitRunsIsOutcomeUnknown) {
  ScopedDatabase database;
  auto admin = database.Connect();
  ASSERT_TRUE(admin->Execute("CREATE TABLE payments (id BIGINT PRIMARY KEY) ENGINE=InnoDB").ok());

  auto victim = database.Connect();
  const std::uint64_t session = victim->ServerConnectionId();
  auto tx = victim->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO payments VALUES (?)", {1}).ok());

  auto locker = database.Connect();
  // Give up rather than hang if someone else's long statement holds the lock.
  ASSERT_TRUE(locker->Execute("SET SESSION lock_wait_timeout = 10").ok());
  ASSERT_TRUE(locker->Execute("FLUSH TABLES WITH READ LOCK").ok());

  // The COMMIT blocks on the global read lock until the session is killed.
  auto commit = std::async(std::launch::async, [&] {
    ThreadScope scope;
    return tx->Commit();
  });
  const bool blocked = WaitUntilCommitIsBlocked(*admin, session);
  auto killed = admin->Execute("KILL CONNECTION " + std::to_string(session));
  // Release the lock only once the session is gone, so that its COMMIT cannot slip through.
  const bool gone = killed.ok() && WaitUntilSessionIsGone(*admin, session);
  ASSERT_TRUE(locker->Execute("UNLOCK TABLES").ok());
  ASSERT_TRUE(gone) << "the killed session stayed on the server";
  ASSERT_TRUE(blocked) << "COMMIT never blocked on the global read lock";
  ASSERT_TRUE(killed.ok()) << killed.error().ToString();

  const domain::Status result = commit.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(result.error().code, kCommitOutcomeUnknown);
  EXPECT_TRUE(victim->IsBroken());
  auto after = victim->Execute("INSERT INTO payments VALUES (?)", {2});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, kConnectionLost);

  auto rows = admin->Query("SELECT COUNT(*) FROM payments");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().Int64(0), 0);  // killed before the commit could complete
}

}  // namespace
}  // namespace paypipe::infra::db
