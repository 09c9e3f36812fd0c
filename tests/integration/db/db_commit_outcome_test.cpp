// When the connection dies around COMMIT the client cannot know whether the transaction was
// committed. The adapter must say exactly that (DB_COMMIT_OUTCOME_UNKNOWN, connection broken)
// in every case, including the one where the server did commit.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "paypipe/infra/db/connection.hpp"
#include "paypipe/testing/scoped_database.hpp"
#include "paypipe/testing/tcp_proxy.hpp"

namespace paypipe::infra::db {
namespace {

using paypipe::testing::TcpProxy;
using paypipe::testing::mysql::ScopedDatabase;

class DbCommitOutcomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = database_.Connect();
    ASSERT_TRUE(
        admin_->Execute("CREATE TABLE payments (id BIGINT PRIMARY KEY) ENGINE=InnoDB").ok());
  }

  bool Committed(std::int64_t id) {
    auto rows = admin_->Query("SELECT COUNT(*) FROM payments WHERE id = ?", {id});
    EXPECT_TRUE(rows.ok());
    return rows.ok() && rows->front().Int64(0) == 1;
  }

  static void ExpectOutcomeUnknown(const domain::Status& commit, const Connection& connection) {
    ASSERT_FALSE(commit.ok());
    EXPECT_EQ(commit.error().kind, domain::ErrorKind::kTransient);
    EXPECT_EQ(commit.error().code, kCommitOutcomeUnknown);
    EXPECT_TRUE(connection.IsBroken());
    EXPECT_FALSE(connection.InTransaction());
  }

  ScopedDatabase database_;
  std::unique_ptr<Connection> admin_;
};

TEST_F(DbCommitOutcomeTest, ConnectionKilledBeforeCommitIsOutcomeUnknown) {
  auto connection = database_.Connect();
  auto tx = connection->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO payments VALUES (?)", {1}).ok());
  ASSERT_TRUE(
      admin_->Execute("KILL CONNECTION " + std::to_string(connection->ServerConnectionId())).ok());

  ExpectOutcomeUnknown(tx->Commit(), *connection);
  EXPECT_FALSE(tx->IsOpen());
  // Here the server had rolled back; the client could not have known.
  EXPECT_FALSE(Committed(1));
  auto after = connection->Query("SELECT 1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, kConnectionLost);
}

TEST_F(DbCommitOutcomeTest, CommitRequestLostOnTheWayIsOutcomeUnknown) {
  TcpProxy proxy(database_.url().host, database_.url().port);
  MysqlUrl via_proxy = database_.url();
  via_proxy.host = "127.0.0.1";
  via_proxy.port = proxy.port();
  auto connection = paypipe::testing::mysql::ConnectOrThrow(via_proxy);
  auto tx = connection->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO payments VALUES (?)", {2}).ok());

  proxy.CutOnClientBytes(std::string("\x03"
                                     "COMMIT"),
                         TcpProxy::CutMode::kBeforeForwarding);
  ExpectOutcomeUnknown(tx->Commit(), *connection);
  EXPECT_TRUE(proxy.fired());
  EXPECT_FALSE(Committed(2));
}

TEST_F(DbCommitOutcomeTest, CommitReplyLostAfterTheServerCommittedIsOutcomeUnknown) {
  TcpProxy proxy(database_.url().host, database_.url().port);
  MysqlUrl via_proxy = database_.url();
  via_proxy.host = "127.0.0.1";
  via_proxy.port = proxy.port();
  auto connection = paypipe::testing::mysql::ConnectOrThrow(via_proxy);
  auto tx = connection->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Execute("INSERT INTO payments VALUES (?)", {3}).ok());

  proxy.CutOnClientBytes(std::string("\x03"
                                     "COMMIT"),
                         TcpProxy::CutMode::kAfterServerReply);
  ExpectOutcomeUnknown(tx->Commit(), *connection);
  EXPECT_TRUE(proxy.fired());
  // The same error as above, yet this time the transaction is durable: this is why the caller
  // must not ack, and must rely on redelivery plus the inbox instead of guessing.
  EXPECT_TRUE(Committed(3));
}

}  // namespace
}  // namespace paypipe::infra::db
