// Job leases in scheduler_leases against the real MariaDB: one holder at a time, renewal,
// expiry, release, and transactions that commit only as the holder.
#include <gtest/gtest.h>

#include "paypipe/scheduler/lease.hpp"
#include "paypipe/testing/runtime_fixture.hpp"

namespace paypipe::scheduler {
namespace {

using namespace std::chrono_literals;
using runtime::test::Eventually;

constexpr std::string_view kJob = "test-job";
constexpr std::string_view kFirst = "host-a/1/aaaaaaaa";
constexpr std::string_view kSecond = "host-b/2/bbbbbbbb";

class LeaseTest : public ::testing::Test {
 protected:
  LeaseTest() : first_(database_.Connect()), second_(database_.Connect()) {
    runtime::test::ApplySchema(*first_);
  }

  LeaseState Acquire(infra::db::Connection& db, std::string_view holder,
                     std::chrono::milliseconds duration = 30s) {
    auto lease = AcquireLease(db, kJob, holder, duration);
    if (!lease.ok()) throw std::runtime_error(lease.error().ToString());
    return *lease;
  }

  testing::mysql::ScopedDatabase database_;
  std::unique_ptr<infra::db::Connection> first_;
  std::unique_ptr<infra::db::Connection> second_;
};

TEST_F(LeaseTest, OneHolderAtATimeAndRenewalKeepsIt) {
  const LeaseState taken = Acquire(*first_, kFirst, 30s);
  EXPECT_TRUE(taken.held);
  EXPECT_EQ(taken.holder, kFirst);
  EXPECT_GT(taken.remaining, 29s);
  EXPECT_LE(taken.remaining, 30s);

  const LeaseState refused = Acquire(*second_, kSecond);
  EXPECT_FALSE(refused.held);
  EXPECT_EQ(refused.holder, kFirst) << "the other replica learns who holds it";

  const LeaseState renewed = Acquire(*first_, kFirst, 60s);
  EXPECT_TRUE(renewed.held);
  EXPECT_GT(renewed.remaining, 59s);
  auto rows = first_->Query("SELECT COUNT(*) FROM scheduler_leases");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().Int64(0), 1);
}

TEST_F(LeaseTest, AnExpiredLeasePassesToTheNextReplica) {
  ASSERT_TRUE(Acquire(*first_, kFirst, 1s).held);
  EXPECT_FALSE(Acquire(*second_, kSecond).held);
  // The first replica died: it renews no more, and the lease expires after a second.
  ASSERT_TRUE(Eventually([&] { return Acquire(*second_, kSecond).held; }, 5s));
  const LeaseState lost = Acquire(*first_, kFirst);
  EXPECT_FALSE(lost.held) << "a replica that comes back does not take it back";
  EXPECT_EQ(lost.holder, kSecond);
}

TEST_F(LeaseTest, ReleaseLetsTheNextReplicaTakeItAtOnce) {
  ASSERT_TRUE(Acquire(*first_, kFirst, 10min).held);
  // Releasing a lease one does not hold changes nothing.
  ASSERT_TRUE(ReleaseLease(*second_, kJob, kSecond).ok());
  EXPECT_FALSE(Acquire(*second_, kSecond).held);
  ASSERT_TRUE(ReleaseLease(*first_, kJob, kFirst).ok());
  EXPECT_TRUE(Acquire(*second_, kSecond).held);
}

TEST_F(LeaseTest, OnlyTheHolderCommitsAndItsTransactionLocksTheLease) {
  ASSERT_TRUE(Acquire(*first_, kFirst, 1s).held);

  auto intruder = second_->Begin();
  ASSERT_TRUE(intruder.ok());
  const auto refused = HoldLease(*intruder, kJob, kSecond, 30s);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, kLeaseLost);
  EXPECT_EQ(refused.error().kind, domain::ErrorKind::kTransient);
  ASSERT_TRUE(intruder->Rollback().ok());

  auto holder = first_->Begin();
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(HoldLease(*holder, kJob, kFirst, 30s).ok());
  // Renewed inside the transaction: it outlives the 1 s it was taken for.
  auto remaining = holder->Query(
      "SELECT TIMESTAMPDIFF(SECOND, NOW(6), expires_at) FROM scheduler_leases WHERE job = ?",
      {kJob});
  ASSERT_TRUE(remaining.ok());
  EXPECT_GE(remaining->front().Int64(0), 29);
  // While the holder's transaction runs, no other replica can even look at taking the lease.
  infra::db::ConnectOptions impatient;
  impatient.lock_wait_timeout = 1s;
  const auto third = database_.Connect(impatient);
  const auto blocked = AcquireLease(*third, kJob, kSecond, 30s);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, infra::db::kLockWaitTimeout);
  ASSERT_TRUE(holder->Commit().ok());
  EXPECT_FALSE(Acquire(*second_, kSecond).held);
}

TEST_F(LeaseTest, AHolderWhoseLeaseExpiredCannotCommitAsTheHolder) {
  ASSERT_TRUE(Acquire(*first_, kFirst, 1s).held);
  ASSERT_TRUE(Eventually([&] { return Acquire(*second_, kSecond).held; }, 5s));
  auto late = first_->Begin();
  ASSERT_TRUE(late.ok());
  const auto status = HoldLease(*late, kJob, kFirst, 30s);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, kLeaseLost);
}

}  // namespace
}  // namespace paypipe::scheduler
