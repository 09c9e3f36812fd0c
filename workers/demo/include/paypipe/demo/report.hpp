#pragma once

// What `paypipe demo` reads back once the storefront is done: waits until the pipeline is idle,
// then reports from the database, the sim's truth ledger, the broker's management API and the
// worker's and gateway's /metrics, and judges the run (every payment as the PG has it, the
// ledger balanced, nothing paid twice).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stop_token>
#include <string>
#include <vector>

#include "paypipe/demo/driver.hpp"
#include "paypipe/infra/db/mysql_url.hpp"

namespace paypipe::infra::db {
class Connection;
}

namespace paypipe::demo {

struct ObserverOptions {
  infra::db::MysqlUrl mysql;
  std::string sim_url;               // http://host:port
  std::string rabbitmq_api_url;      // http://host:port, no credentials
  std::string rabbitmq_credentials;  // "user:password" for the management API
  std::string vhost;                 // as it appears in a management API path (percent-encoded)
  std::string worker_metrics_url;    // http://host:port/metrics of the worker; empty: none
  std::string gateway_metrics_url;   // http://host:port/metrics of the gateway; empty: none
};

struct IdleOutcome {
  bool idle = false;
  std::chrono::milliseconds waited{0};
  std::string still_busy;  // what was still moving when the wait gave up
};

struct Report {
  IdleOutcome idle;
  std::map<std::string, std::int64_t> payments_by_status;
  std::map<std::string, std::int64_t> orders_by_status;
  std::map<std::string, std::int64_t> invoices_by_status;
  // Ledger.
  std::int64_t ledger_transactions = 0;
  std::int64_t ledger_unbalanced = 0;
  std::int64_t ledger_debits = 0;
  std::int64_t ledger_credits = 0;
  std::int64_t income_total = 0;            // finance_transactions INCOME
  std::int64_t done_payments_total = 0;     // sum of DONE payments' amounts
  std::int64_t orders_captured_twice = 0;   // orders with more than one capture posting
  std::int64_t invoices_paid_not_done = 0;  // PAID invoices without a DONE payment
  // Messaging.
  std::map<std::string, std::int64_t> queue_depths;  // every queue with messages, and the DLQs
  std::map<std::string, double> stage_messages;      // "confirm retried" -> n (worker /metrics)
  std::int64_t dead_letters = 0;  // dead-lettered by the stages, or lying in a DLQ
  double webhooks_accepted = 0;   // gateway /metrics
  std::int64_t webhook_events_stored = 0;
  std::int64_t payment_attempts = 0;
  std::map<std::string, std::int64_t> attempts_by_outcome;
  // The sim.
  std::int64_t sim_payments = 0;
  std::int64_t sim_confirms = 0;
  std::int64_t sim_confirmed_twice = 0;  // payment keys the PG confirmed more than once
  std::map<std::string, std::int64_t> sim_faults;
  std::int64_t sim_webhooks = 0;
  std::int64_t sim_webhook_duplicates = 0;
  std::int64_t sim_webhook_out_of_order = 0;
  std::int64_t sim_webhooks_delivered = 0;
  std::int64_t sim_idempotent_replays = 0;
  // Truth.
  std::int64_t truth_agree = 0;
  std::int64_t truth_never_confirmed = 0;     // sim IN_PROGRESS and no payment row: never approved
  std::vector<std::string> truth_mismatches;  // "<paymentKey>: paypipe X, PG Y"
  // Timing: confirm request sent by the storefront -> payment row committed in its final state.
  std::vector<std::int64_t> latencies_us;
  std::int64_t first_confirm_us = 0;
  std::int64_t last_commit_us = 0;

  [[nodiscard]] bool Passed() const;
};

// Reads the pipeline's state. Not thread safe: one thread uses it.
class Observer {
 public:
  // Throws std::runtime_error when the database cannot be reached.
  explicit Observer(ObserverOptions options);
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // Polls until nothing moves any more for a while (every confirm the gateway accepted decided,
  // no message in the stage queues or their retry tiers, no payment IN_PROGRESS/UNKNOWN, outbox
  // published, no webhook pending at the sim), or `timeout` passes, or `stop` is requested.
  [[nodiscard]] IdleOutcome WaitIdle(const DriveResult& drive, std::chrono::seconds timeout,
                                     std::stop_token stop);

  // Throws std::runtime_error when a source cannot be read.
  [[nodiscard]] Report Collect(const DriveResult& drive, IdleOutcome idle);

 private:
  [[nodiscard]] std::optional<std::string> Busy(std::int64_t accepted_confirms);

  ObserverOptions options_;
  std::unique_ptr<infra::db::Connection> db_;
};

// The human-readable report.
void PrintReport(std::ostream& out, const DriveOptions& options, const DriveResult& drive,
                 const Report& report);

}  // namespace paypipe::demo
