#pragma once

// Leases on scheduler jobs, one row per job in scheduler_leases (migrations/V4__scheduler.sql).
// Every time is the database's (NOW(6)), so replicas whose clocks disagree still agree on who
// holds a lease.

#include <chrono>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/db/connection.hpp"

namespace paypipe::scheduler {

// The replica does not hold the job's lease (any more): Transient, the run ends and the runner
// tries to take the lease again.
inline constexpr std::string_view kLeaseLost = "SCHEDULER_LEASE_LOST";

struct LeaseState {
  bool held = false;                       // by the replica that asked
  std::string holder;                      // who holds it now (may be expired)
  std::chrono::milliseconds remaining{0};  // until it expires; <= 0 when it has
};

// Takes the lease of `job` for `holder` for `duration`, or renews it when `holder` already has it,
// in one atomic statement: a lease another replica holds is left alone until it has expired.
// Then reads who holds it. Outside a transaction.
[[nodiscard]] domain::Result<LeaseState> AcquireLease(infra::db::Connection& db,
                                                      std::string_view job, std::string_view holder,
                                                      std::chrono::milliseconds duration);

// Gives the lease up at once (on shutdown), so that another replica need not wait for it to
// expire. Does nothing when `holder` does not hold it.
[[nodiscard]] domain::Status ReleaseLease(infra::db::Connection& db, std::string_view job,
                                          std::string_view holder);

// First statement of every transaction of a job: checks that `holder` holds the lease, renews it
// for `duration` and keeps its row locked until the transaction ends, so that no other replica
// can take the job over while this transaction runs: what it commits, it commits as the lease
// holder. Transient kLeaseLost when `holder` does not hold it (roll back).
[[nodiscard]] domain::Status HoldLease(infra::db::Transaction& tx, std::string_view job,
                                       std::string_view holder, std::chrono::milliseconds duration);

}  // namespace paypipe::scheduler
