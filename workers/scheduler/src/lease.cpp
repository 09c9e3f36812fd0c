#include "paypipe/scheduler/lease.hpp"

#include <cstdint>

namespace paypipe::scheduler {

namespace {

std::int64_t Micros(std::chrono::milliseconds duration) {
  return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

}  // namespace

domain::Result<LeaseState> AcquireLease(infra::db::Connection& db, std::string_view job,
                                        std::string_view holder,
                                        std::chrono::milliseconds duration) {
  // Each assignment reads only values no earlier assignment changed in a way that matters, so
  // the statement means the same whether the server applies the assignments one after the other
  // (MySQL, MariaDB by default) or simultaneously (MariaDB's SIMULTANEOUS_ASSIGNMENT):
  // `holder` becomes ours only when it was ours or had expired, and `expires_at` moves exactly
  // then.
  auto taken = db.Execute(
      "INSERT INTO scheduler_leases (job, holder, acquired_at, expires_at) "
      "VALUES (?, ?, NOW(6), NOW(6) + INTERVAL ? MICROSECOND) "
      "ON DUPLICATE KEY UPDATE "
      "acquired_at = IF(holder <> VALUES(holder) AND expires_at <= NOW(6), NOW(6), acquired_at), "
      "holder = IF(holder = VALUES(holder) OR expires_at <= NOW(6), VALUES(holder), holder), "
      "expires_at = IF(holder = VALUES(holder) OR expires_at <= NOW(6), VALUES(expires_at), "
      "expires_at)",
      {job, holder, Micros(duration)});
  if (!taken.ok()) return taken.error();
  auto rows = db.Query(
      "SELECT holder, TIMESTAMPDIFF(MICROSECOND, NOW(6), expires_at) AS remaining_us "
      "FROM scheduler_leases WHERE job = ?",
      {job});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) {
    return domain::Error::Transient(std::string(kLeaseLost), "the lease row vanished");
  }
  LeaseState state;
  state.holder = rows->front().String("holder");
  state.remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::microseconds(rows->front().Int64("remaining_us")));
  state.held = state.holder == holder && state.remaining > std::chrono::milliseconds::zero();
  return state;
}

domain::Status ReleaseLease(infra::db::Connection& db, std::string_view job,
                            std::string_view holder) {
  auto released = db.Execute(
      "UPDATE scheduler_leases SET expires_at = NOW(6) "
      "WHERE job = ? AND holder = ? AND expires_at > NOW(6)",
      {job, holder});
  if (!released.ok()) return released.error();
  return domain::Ok();
}

domain::Status HoldLease(infra::db::Transaction& tx, std::string_view job, std::string_view holder,
                         std::chrono::milliseconds duration) {
  auto held = tx.Query(
      "SELECT holder FROM scheduler_leases "
      "WHERE job = ? AND holder = ? AND expires_at > NOW(6) FOR UPDATE",
      {job, holder});
  if (!held.ok()) return held.error();
  if (held->empty()) {
    return domain::Error::Transient(
        std::string(kLeaseLost), "this replica no longer holds the lease of " + std::string(job));
  }
  auto renewed = tx.Execute(
      "UPDATE scheduler_leases SET expires_at = NOW(6) + INTERVAL ? MICROSECOND "
      "WHERE job = ? AND holder = ?",
      {Micros(duration), job, holder});
  if (!renewed.ok()) return renewed.error();
  return domain::Ok();
}

}  // namespace paypipe::scheduler
