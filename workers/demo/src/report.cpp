#include "paypipe/demo/report.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <thread>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/metrics/text_reader.hpp"

namespace paypipe::demo {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Idle must hold this long: the management API refreshes queue statistics every 5 s.
constexpr auto kQuietPeriod = 6s;
constexpr auto kPollInterval = 500ms;

std::string Get(const std::string& url, const std::string& basic_credentials = {}) {
  infra::http_client::Client client;
  infra::http_client::ClientRequest request;
  request.url = url;
  request.total_timeout = 30s;
  request.max_response_bytes = std::size_t{512} << 20;
  if (!basic_credentials.empty()) {
    request.headers.Set("Authorization", "Basic " + infra::crypto::Base64Encode(basic_credentials));
  }
  auto response = client.Send(request);
  if (!response.ok()) throw std::runtime_error("GET " + url + ": " + response.error().ToString());
  if (response->status != 200) {
    throw std::runtime_error("GET " + url + ": HTTP " + std::to_string(response->status));
  }
  return std::move(response->body);
}

json GetJson(const std::string& url, const std::string& basic_credentials = {}) {
  json parsed = json::parse(Get(url, basic_credentials), nullptr, false);
  if (parsed.is_discarded()) throw std::runtime_error("GET " + url + ": not JSON");
  return parsed;
}

infra::db::Rows Query(infra::db::Connection& db, const std::string& sql) {
  auto rows = db.Query(sql);
  if (!rows.ok()) throw std::runtime_error(rows.error().ToString() + " in: " + sql);
  return std::move(rows).value();
}

std::int64_t Scalar(infra::db::Connection& db, const std::string& sql) {
  return Query(db, sql).front().OptionalInt64(0).value_or(0);
}

std::map<std::string, std::int64_t> CountBy(infra::db::Connection& db, const std::string& sql) {
  std::map<std::string, std::int64_t> out;
  for (const auto& row : Query(db, sql)) out[row.String(0)] = row.Int64(1);
  return out;
}

// Queues of the stages this demo runs, with their retry tiers (the DLQs are reported apart).
bool IsPipelineQueue(const std::string& name) {
  const bool stage =
      name.starts_with("paypipe.confirm") || name.starts_with("paypipe.webhook-intake");
  return stage && !name.ends_with(".dlq");
}

std::string Amount(std::int64_t krw) {
  std::string digits = std::to_string(krw < 0 ? -krw : krw);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return (krw < 0 ? "-" : "") + out;
}

std::string Join(const std::map<std::string, std::int64_t>& counts) {
  std::string out;
  for (const auto& [key, count] : counts) {
    out += (out.empty() ? "" : ", ") + key + " " + std::to_string(count);
  }
  return out.empty() ? "none" : out;
}

std::string Millis(std::int64_t micros) {
  char text[32];
  if (micros >= 10'000'000) {
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(micros) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.0f ms", static_cast<double>(micros) / 1e3);
  }
  return text;
}

std::int64_t Percentile(std::vector<std::int64_t> sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

}  // namespace

bool Report::Passed() const {
  return idle.idle && dead_letters == 0 && truth_mismatches.empty() && ledger_unbalanced == 0 &&
         ledger_debits == ledger_credits && orders_captured_twice == 0 &&
         invoices_paid_not_done == 0 && sim_confirmed_twice == 0 &&
         income_total == done_payments_total;
}

Observer::Observer(ObserverOptions options) : options_(std::move(options)) {
  auto db = infra::db::Connection::Open(options_.mysql);
  if (!db.ok()) throw std::runtime_error(db.error().ToString());
  db_ = std::move(db).value();
}

Observer::~Observer() = default;

std::optional<std::string> Observer::Busy(std::int64_t accepted_confirms) {
  const std::int64_t decided = Scalar(*db_,
                                      "SELECT COUNT(DISTINCT order_id) FROM payments "
                                      "WHERE status NOT IN ('READY', 'IN_PROGRESS', 'UNKNOWN')");
  if (decided < accepted_confirms) {
    return std::to_string(decided) + " of " + std::to_string(accepted_confirms) +
           " accepted confirms decided";
  }
  const json queues = GetJson(
      options_.rabbitmq_api_url + "/api/queues/" + options_.vhost + "?columns=name,messages",
      options_.rabbitmq_credentials);
  for (const auto& queue : queues) {
    const std::string name = queue.value("name", "");
    const std::int64_t messages = queue.value("messages", std::int64_t{0});
    if (IsPipelineQueue(name) && messages > 0) {
      return name + " holds " + std::to_string(messages) + " messages";
    }
  }
  const std::int64_t open = Scalar(
      *db_, "SELECT COUNT(*) FROM payments WHERE status IN ('READY', 'IN_PROGRESS', 'UNKNOWN')");
  if (open > 0) return std::to_string(open) + " payments IN_PROGRESS/UNKNOWN";
  const std::int64_t unpublished =
      Scalar(*db_, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL");
  if (unpublished > 0) return std::to_string(unpublished) + " outbox rows unpublished";
  const json sim = GetJson(options_.sim_url + "/_sim/ledger/summary");
  const std::int64_t pending = sim.value("webhooks_pending", std::int64_t{0});
  if (pending > 0) return std::to_string(pending) + " webhooks pending at the sim";
  return std::nullopt;
}

IdleOutcome Observer::WaitIdle(const DriveResult& drive, std::chrono::seconds timeout,
                               std::stop_token stop) {
  std::int64_t accepted = 0;
  for (const OrderTrace& order : drive.orders) accepted += order.confirm_status == 202 ? 1 : 0;
  const auto started = std::chrono::steady_clock::now();
  const auto until = started + timeout;
  std::optional<std::chrono::steady_clock::time_point> quiet_since;
  IdleOutcome outcome;
  while (!stop.stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    const auto busy = Busy(accepted);
    if (busy) {
      quiet_since.reset();
      outcome.still_busy = *busy;
    } else {
      if (!quiet_since) quiet_since = now;
      if (now - *quiet_since >= kQuietPeriod) {
        outcome.idle = true;
        outcome.still_busy.clear();
        // Idle since the quiet period began.
        outcome.waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(*quiet_since - started);
        return outcome;
      }
    }
    if (now >= until) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  outcome.waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return outcome;
}

Report Observer::Collect(const DriveResult& drive, IdleOutcome idle) {
  Report r;
  r.idle = std::move(idle);
  auto& db = *db_;
  r.payments_by_status = CountBy(db, "SELECT status, COUNT(*) FROM payments GROUP BY status");
  r.orders_by_status = CountBy(db, "SELECT status, COUNT(*) FROM orders GROUP BY status");
  r.invoices_by_status = CountBy(db, "SELECT status, COUNT(*) FROM invoices GROUP BY status");

  r.ledger_transactions = Scalar(db, "SELECT COUNT(DISTINCT transaction_id) FROM ledger_entries");
  r.ledger_unbalanced = Scalar(db, "SELECT COUNT(*) FROM ledger_unbalanced_transactions");
  r.ledger_debits = Scalar(
      db,
      "SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM ledger_entries WHERE side = 'DEBIT'");
  r.ledger_credits = Scalar(db,
                            "SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM ledger_entries "
                            "WHERE side = 'CREDIT'");
  r.income_total = Scalar(db,
                          "SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM "
                          "finance_transactions WHERE type = 'INCOME'");
  r.done_payments_total = Scalar(
      db,
      "SELECT CAST(COALESCE(SUM(total_amount), 0) AS SIGNED) FROM payments WHERE status = 'DONE'");
  r.orders_captured_twice = Scalar(db,
                                   "SELECT COUNT(*) FROM (SELECT order_id FROM ledger_entries "
                                   "WHERE kind = 'PAYMENT_CAPTURE' GROUP BY order_id "
                                   "HAVING COUNT(DISTINCT transaction_id) > 1) twice");
  r.invoices_paid_not_done = Scalar(db,
                                    "SELECT COUNT(*) FROM invoices i WHERE i.status = 'PAID' AND "
                                    "NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = "
                                    "i.order_id AND p.status = 'DONE')");
  r.webhook_events_stored = Scalar(db, "SELECT COUNT(*) FROM webhook_events");
  r.attempts_by_outcome = CountBy(
      db,
      "SELECT CONCAT(kind, ' ', outcome), COUNT(*) FROM payment_attempts GROUP BY kind, outcome");
  for (const auto& [key, count] : r.attempts_by_outcome) r.payment_attempts += count;

  // Queues: anything left anywhere, and every dead-letter queue.
  const json queues = GetJson(
      options_.rabbitmq_api_url + "/api/queues/" + options_.vhost + "?columns=name,messages",
      options_.rabbitmq_credentials);
  for (const auto& queue : queues) {
    const std::string name = queue.value("name", "");
    const std::int64_t messages = queue.value("messages", std::int64_t{0});
    if (messages > 0 || name.ends_with(".dlq")) r.queue_depths[name] = messages;
    if (name.ends_with(".dlq")) r.dead_letters += messages;
  }
  if (!options_.worker_metrics_url.empty()) {
    std::int64_t stage_dead_letters = 0;
    const std::string metrics = Get(options_.worker_metrics_url);
    for (const char* stage : {"webhook-intake", "confirm"}) {
      for (const char* outcome : {"received", "retried", "dead_lettered", "duplicate"}) {
        r.stage_messages[std::string(stage) + " " + outcome] = infra::metrics::SeriesValue(
            metrics, std::string("paypipe_stage_messages_total{stage=\"") + stage +
                         "\",outcome=\"" + outcome + "\"}");
      }
      stage_dead_letters +=
          static_cast<std::int64_t>(r.stage_messages[std::string(stage) + " dead_lettered"]);
    }
    // The management API's queue counts lag by up to 5 s; the worker's own count does not.
    r.dead_letters = std::max(r.dead_letters, stage_dead_letters);
  }
  if (!options_.gateway_metrics_url.empty()) {
    r.webhooks_accepted =
        infra::metrics::SeriesValue(Get(options_.gateway_metrics_url),
                                    "paypipe_gateway_webhooks_accepted_total{format=\"toss\"}");
  }

  // The PG's truth.
  const json truth = GetJson(options_.sim_url + "/_sim/ledger");
  std::map<std::string, std::string> pg_status;
  for (const auto& payment : truth["toss"]["payments"]) {
    pg_status[payment.value("paymentKey", "")] = payment.value("status", "");
  }
  r.sim_payments = static_cast<std::int64_t>(pg_status.size());
  std::map<std::string, int> confirms_per_key;
  for (const auto& confirm : truth["confirms"]) {
    ++confirms_per_key[confirm.value("payment_key", "")];
    ++r.sim_confirms;
  }
  for (const auto& [key, n] : confirms_per_key) r.sim_confirmed_twice += n > 1 ? 1 : 0;
  for (const auto& fault : truth["faults"]) {
    const std::string code = fault.value("code", "");
    ++r.sim_faults[fault.value("kind", "") + (code.empty() ? "" : " " + code)];
  }
  for (const auto& webhook : truth["webhooks"]) {
    ++r.sim_webhooks;
    r.sim_webhook_duplicates += webhook.value("duplicate", false) ? 1 : 0;
    r.sim_webhook_out_of_order += webhook.value("out_of_order", false) ? 1 : 0;
    r.sim_webhooks_delivered += webhook.value("state", "") == "delivered" ? 1 : 0;
  }
  for (const auto& [key, replays] : truth["idempotent_replays"].items()) {
    r.sim_idempotent_replays += static_cast<std::int64_t>(replays.is_array() ? replays.size() : 1);
  }

  std::map<std::string, std::string> ours;
  std::map<std::string, std::int64_t> committed_us;
  for (const auto& row : Query(db,
                               "SELECT payment_key, order_id, status, CAST(ROUND(UNIX_TIMESTAMP("
                               "updated_at) * 1000000) AS SIGNED) FROM payments "
                               "WHERE provider = 'toss'")) {
    ours[row.String(0)] = row.String(2);
    committed_us[row.String(1)] = row.Int64(3);
  }
  for (const auto& [key, status] : pg_status) {
    const auto it = ours.find(key);
    if (it == ours.end()) {
      if (status == "IN_PROGRESS") {
        ++r.truth_never_confirmed;
      } else {
        r.truth_mismatches.push_back(key + ": paypipe has no payment, PG " + status);
      }
    } else if (it->second == status) {
      ++r.truth_agree;
    } else {
      r.truth_mismatches.push_back(key + ": paypipe " + it->second + ", PG " + status);
    }
  }
  for (const auto& [key, status] : ours) {
    if (!pg_status.contains(key)) r.truth_mismatches.push_back(key + ": unknown to the PG");
  }

  for (const OrderTrace& order : drive.orders) {
    if (order.confirm_sent_unix_us == 0) continue;
    if (r.first_confirm_us == 0 || order.confirm_sent_unix_us < r.first_confirm_us) {
      r.first_confirm_us = order.confirm_sent_unix_us;
    }
    const auto it = committed_us.find(order.order_id);
    if (it == committed_us.end()) continue;
    r.latencies_us.push_back(std::max<std::int64_t>(it->second - order.confirm_sent_unix_us, 0));
    r.last_commit_us = std::max(r.last_commit_us, it->second);
  }
  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  return r;
}

void PrintReport(std::ostream& out, const DriveOptions& options, const DriveResult& drive,
                 const Report& r) {
  std::int64_t wrong = 0;
  std::int64_t twice = 0;
  for (const OrderTrace& order : drive.orders) {
    wrong += order.wrong_amount ? 1 : 0;
    twice += order.confirmed_twice ? 1 : 0;
  }
  auto yes = [](bool b) { return b ? "yes" : "NO"; };
  const double drive_s = static_cast<double>(drive.elapsed.count()) / 1e3;
  char line[256];

  out << "\n== paypipe demo report ==\n";
  std::snprintf(line, sizeof line,
                "storefront     %zu checkouts + confirms in %.1f s (%.0f orders/s, %d in flight); "
                "%lld with a wrong amount, %lld confirmed twice\n",
                drive.orders.size(), drive_s,
                drive_s > 0 ? static_cast<double>(drive.orders.size()) / drive_s : 0.0,
                options.concurrency, static_cast<long long>(wrong), static_cast<long long>(twice));
  out << line;
  out << "  answers      " << Join(drive.answers) << "\n";
  if (drive.transport_errors > 0 || drive.retried_requests > 0) {
    out << "  resent       " << drive.retried_requests << " (transport errors "
        << drive.transport_errors << ")\n";
  }
  std::snprintf(line, sizeof line, "pipeline idle  %s after %.1f s%s%s\n", yes(r.idle.idle),
                static_cast<double>(r.idle.waited.count()) / 1e3,
                r.idle.idle ? "" : "; still busy: ", r.idle.still_busy.c_str());
  out << line;
  out << "payments       " << Join(r.payments_by_status) << "\n";
  out << "orders         " << Join(r.orders_by_status) << "\n";
  out << "invoices       " << Join(r.invoices_by_status) << "\n";
  out << "ledger         balanced "
      << yes(r.ledger_unbalanced == 0 && r.ledger_debits == r.ledger_credits) << ": "
      << r.ledger_transactions << " transactions, " << r.ledger_unbalanced << " unbalanced; debits "
      << Amount(r.ledger_debits) << " = credits " << Amount(r.ledger_credits) << " KRW\n";
  out << "  income       " << Amount(r.income_total) << " KRW (DONE payments "
      << Amount(r.done_payments_total) << " KRW); orders captured twice " << r.orders_captured_twice
      << "; invoices PAID without a DONE payment " << r.invoices_paid_not_done << "\n";
  out << "PG calls       " << r.payment_attempts << " (" << Join(r.attempts_by_outcome) << ")\n";
  out << "sim            " << r.sim_payments << " payments, " << r.sim_confirms
      << " confirms applied (" << r.sim_confirmed_twice << " payments confirmed twice), "
      << r.sim_idempotent_replays << " idempotent replays\n";
  out << "  faults       " << Join(r.sim_faults) << "\n";
  out << "  webhooks     " << r.sim_webhooks << " sent (" << r.sim_webhook_duplicates
      << " duplicates, " << r.sim_webhook_out_of_order << " out of order), "
      << r.sim_webhooks_delivered << " delivered; gateway accepted "
      << static_cast<std::int64_t>(r.webhooks_accepted) << ", webhook_events stored "
      << r.webhook_events_stored << " distinct\n";
  if (!r.stage_messages.empty()) {
    std::map<std::string, std::int64_t> stage;
    for (const auto& [key, value] : r.stage_messages) {
      stage[key] = static_cast<std::int64_t>(value);
    }
    out << "stages         " << Join(stage) << "\n";
  }
  std::map<std::string, std::int64_t> dlq;
  std::map<std::string, std::int64_t> left;
  for (const auto& [queue, n] : r.queue_depths) (queue.ends_with(".dlq") ? dlq : left)[queue] = n;
  out << "dead letters   " << r.dead_letters << " (" << Join(dlq) << ")\n";
  out << "queued         " << Join(left)
      << " (notify-slack and cancel-retry have no consumer in this demo)\n";
  const double span_s = r.latencies_us.empty()
                            ? 0.0
                            : static_cast<double>(r.last_commit_us - r.first_confirm_us) / 1e6;
  std::snprintf(line, sizeof line,
                "throughput     %zu payments committed in %.1f s from the first confirm (%.0f/s)\n",
                r.latencies_us.size(), span_s,
                span_s > 0 ? static_cast<double>(r.latencies_us.size()) / span_s : 0.0);
  out << line;
  out << "latency        confirm sent -> payment committed in its final state: p50 "
      << Millis(Percentile(r.latencies_us, 0.50)) << ", p99 "
      << Millis(Percentile(r.latencies_us, 0.99)) << ", max "
      << Millis(r.latencies_us.empty() ? 0 : r.latencies_us.back())
      << " (n=" << r.latencies_us.size() << ")\n";
  out << "               "
      << (options.rate_per_second > 0
              ? "(paced at " + std::to_string(options.rate_per_second) + " orders/s; "
              : std::string("(unpaced: includes the backlog the storefront built up; "))
      << "confirms that met a PG fault wait for the 5 s retry tier)\n";
  out << "truth          " << yes(r.truth_mismatches.empty()) << ": " << r.truth_agree
      << " payments as the PG has them, " << r.truth_never_confirmed
      << " never confirmed (wrong amount refused; PG still IN_PROGRESS), "
      << r.truth_mismatches.size() << " differ\n";
  for (std::size_t i = 0; i < r.truth_mismatches.size() && i < 20; ++i) {
    out << "  differs      " << r.truth_mismatches[i] << "\n";
  }
  out << "result         " << (r.Passed() ? "PASS" : "FAIL") << "\n";
}

}  // namespace paypipe::demo
