#include "paypipe/scheduler/reconcile_job.hpp"

#include <optional>
#include <string>
#include <vector>

#include "paypipe/domain/payment_state.hpp"
#include "paypipe/messages/alert_slack.hpp"
#include "paypipe/messages/origin.hpp"
#include "paypipe/messages/payment_verify.hpp"

namespace paypipe::scheduler {

namespace {

namespace log = infra::log;
using std::chrono::milliseconds;
using Messages = std::vector<runtime::OutboundMessage>;

const char* const kInProgress = domain::ToString(domain::PaymentStatus::kInProgress);
const char* const kUnknown = domain::ToString(domain::PaymentStatus::kUnknown);

std::int64_t Micros(milliseconds duration) {
  return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

// A payment_reconciliations row that is due, with what the scheduler needs of its payment.
struct DueRow {
  std::int64_t payment_id = 0;
  ReconcileProgress progress;
  milliseconds elapsed{0};  // since the payment became stuck
  std::string stuck_since;  // DATETIME(6), UTC
  std::string status;
  std::string provider;
  std::string payment_key;
  std::string order_id;
  std::int64_t amount = 0;
};

enum class Outcome { kLookUp, kAlert, kWait, kResolved };

// What happened to one payment, logged and counted once its batch committed.
struct Event {
  Outcome outcome = Outcome::kWait;
  const DueRow* row = nullptr;
  std::string message_id;
  std::int64_t look_ups = 0;  // payment.verify messages emitted for it so far
};

// One batch: what it found and did. Reset by every attempt of the unit.
struct Batch {
  std::uint64_t discovered = 0;
  std::vector<DueRow> due;
  std::vector<Event> events;
};

bool IsStuck(const std::string& status) { return status == kInProgress || status == kUnknown; }

domain::Result<std::vector<DueRow>> LockDueRows(infra::db::Transaction& tx, std::size_t limit) {
  auto rows = tx.Query(
      "SELECT r.payment_id, r.step, r.attempts, "
      "TIMESTAMPDIFF(MICROSECOND, r.stuck_since, NOW(6)) AS elapsed_us, r.stuck_since, "
      "p.status, p.provider, p.payment_key, p.order_id, p.total_amount "
      "FROM payment_reconciliations r JOIN payments p ON p.id = r.payment_id "
      "WHERE r.next_due_at <= NOW(6) ORDER BY r.next_due_at LIMIT ? FOR UPDATE SKIP LOCKED",
      {static_cast<std::int64_t>(limit)});
  if (!rows.ok()) return rows.error();
  std::vector<DueRow> due;
  due.reserve(rows->size());
  for (const auto& row : *rows) {
    DueRow r;
    r.payment_id = row.Int64("payment_id");
    r.progress = {row.Int64("step"), row.Int64("attempts")};
    r.elapsed = std::chrono::duration_cast<milliseconds>(
        std::chrono::microseconds(row.Int64("elapsed_us")));
    r.stuck_since = row.String("stuck_since");
    r.status = row.String("status");
    r.provider = row.String("provider");
    r.payment_key = row.String("payment_key");
    r.order_id = row.String("order_id");
    r.amount = row.Int64("total_amount");
    due.push_back(std::move(r));
  }
  return due;
}

// "2026-03-01 10:00:00 UTC" from a DATETIME(6).
std::string ShownTime(const std::string& datetime) { return datetime.substr(0, 19) + " UTC"; }

runtime::OutboundMessage LookUpMessage(const DueRow& row, messages::Provider provider,
                                       std::int64_t attempt, std::int64_t now_seconds) {
  messages::PaymentVerify verify;
  verify.provider = provider;
  verify.payment_key = domain::PaymentKey(row.payment_key);
  if (messages::CheckText("orderId", row.order_id, messages::kOrderIdRule).ok()) {
    verify.order_id = domain::OrderId(row.order_id);
  }
  verify.reason = "reconcile:" + row.status;
  return messages::BuildPaymentVerify(
      verify, messages::ReconcileVerifyMessageId(row.payment_id, attempt), now_seconds);
}

runtime::OutboundMessage ExhaustedAlert(const DueRow& row, std::int64_t now_seconds) {
  messages::SlackAlert alert;
  alert.severity = messages::AlertSeverity::kCritical;
  alert.title = "Payment still " + row.status + " after every reconciliation look-up";
  alert.text = "Payment " + row.payment_key + " of order " + row.order_id + " (" + row.provider +
               ", " + std::to_string(row.amount) + " KRW) is still " + row.status + " after " +
               std::to_string(row.progress.attempts) + " look-ups at the PG since " +
               ShownTime(row.stuck_since) +
               "; paypipe will not look it up again.\n"
               "What to do: open the payment in the " +
               row.provider +
               " merchant console. If the PG has it approved or canceled, have paypipe look it "
               "up once more (the PG's next webhook does, or a payment.verify to the confirm "
               "queue) so that the order, the invoice and the ledger follow. If the PG still "
               "waits for it or does not know it, cancel it there and tell the customer that the "
               "payment did not go through.";
  alert.dedupe_key = "reconcile-exhausted:" + std::to_string(row.payment_id);
  alert.fields = {{"paymentKey", row.payment_key},
                  {"orderId", row.order_id},
                  {"provider", row.provider},
                  {"status", row.status},
                  {"amount", row.amount},
                  {"lookUps", row.progress.attempts},
                  {"stuckSince", ShownTime(row.stuck_since)},
                  {"paymentId", row.payment_id}};
  return messages::BuildSlackAlert(
      alert, messages::OriginMessageId(messages::kAlertSlackType, alert.dedupe_key), row.order_id,
      now_seconds);
}

domain::Status Check(const domain::Result<std::uint64_t>& done) {
  if (!done.ok()) return done.error();
  return domain::Ok();
}

// Writes what was decided for one payment.
domain::Status Record(infra::db::Transaction& tx, const DueRow& row, Outcome outcome,
                      const ReconcileDecision& decision, const std::string& message_id) {
  switch (outcome) {
    case Outcome::kResolved:
      return Check(
          tx.Execute("UPDATE payment_reconciliations SET next_due_at = NULL, resolved_at = NOW(6), "
                     "last_status = ? WHERE payment_id = ?",
                     {row.status, row.payment_id}));
    case Outcome::kAlert:
      return Check(
          tx.Execute("UPDATE payment_reconciliations SET next_due_at = NULL, alerted_at = NOW(6), "
                     "last_status = ?, last_message_id = ? WHERE payment_id = ?",
                     {row.status, message_id, row.payment_id}));
    case Outcome::kLookUp:
      return Check(
          tx.Execute("UPDATE payment_reconciliations SET step = ?, attempts = ?, "
                     "next_due_at = stuck_since + INTERVAL ? MICROSECOND, last_status = ?, "
                     "last_message_id = ?, last_attempt_at = NOW(6) WHERE payment_id = ?",
                     {decision.after.step, decision.after.attempts, Micros(*decision.next_due),
                      row.status, message_id, row.payment_id}));
    case Outcome::kWait:
      return Check(tx.Execute(
          "UPDATE payment_reconciliations SET next_due_at = stuck_since + INTERVAL ? MICROSECOND, "
          "last_status = ? WHERE payment_id = ?",
          {Micros(*decision.next_due), row.status, row.payment_id}));
  }
  return domain::Ok();
}

}  // namespace

ReconcilePaymentsJob::ReconcilePaymentsJob(ReconcileOptions options, SchedulerMetrics& metrics)
    : options_(std::move(options)),
      looked_up_(metrics.reconciled.WithLabels({"look_up"})),
      alerted_(metrics.reconciled.WithLabels({"alert"})),
      resolved_(metrics.reconciled.WithLabels({"resolved"})) {}

domain::Status ReconcilePaymentsJob::Run(JobContext& context) {
  const ReconcileSchedule& schedule = options_.schedule;
  const auto limit = static_cast<std::int64_t>(options_.batch_size);
  while (!context.stop_requested()) {
    Batch batch;
    const auto work = [&](infra::db::Transaction& tx) -> domain::Result<Messages> {
      batch = Batch{};
      // Payments that became stuck since the last run enter the schedule, due at its first step.
      auto discovered = tx.Execute(
          "INSERT INTO payment_reconciliations (payment_id, stuck_since, next_due_at, "
          "last_status) "
          "SELECT p.id, p.updated_at + INTERVAL ? MICROSECOND, "
          "p.updated_at + INTERVAL ? MICROSECOND, p.status FROM payments p "
          "WHERE p.status IN (?, ?) AND p.updated_at <= NOW(6) - INTERVAL ? MICROSECOND "
          "AND NOT EXISTS (SELECT 1 FROM payment_reconciliations r WHERE r.payment_id = p.id) "
          "ORDER BY p.updated_at LIMIT ?",
          {Micros(schedule.stuck_after()), Micros(schedule.stuck_after() + schedule.first_due()),
           kInProgress, kUnknown, Micros(schedule.stuck_after()), limit});
      if (!discovered.ok()) return discovered.error();
      batch.discovered = *discovered;
      auto due = LockDueRows(tx, options_.batch_size);
      if (!due.ok()) return due.error();
      batch.due = std::move(*due);

      Messages out;
      const std::int64_t now = context.NowSeconds();
      for (const DueRow& row : batch.due) {
        Event event{Outcome::kResolved, &row, {}, row.progress.attempts};
        ReconcileDecision decision;
        const auto provider = messages::ProviderFromString(row.provider);
        if (IsStuck(row.status)) {
          decision = DecideReconcileStep(schedule, row.progress, row.elapsed);
          // A provider no look-up can be sent to goes straight to the people.
          if (!provider) decision = {ReconcileAction::kAlert, row.progress, std::nullopt};
          switch (decision.action) {
            case ReconcileAction::kLookUp:
              event.outcome = Outcome::kLookUp;
              event.look_ups = decision.after.attempts;
              out.push_back(LookUpMessage(row, *provider, event.look_ups, now));
              event.message_id = out.back().message.message_id;
              break;
            case ReconcileAction::kAlert:
              event.outcome = Outcome::kAlert;
              out.push_back(ExhaustedAlert(row, now));
              event.message_id = out.back().message.message_id;
              break;
            case ReconcileAction::kWait:
              event.outcome = Outcome::kWait;
              break;
          }
        }
        PAYPIPE_RETURN_IF_ERROR(Record(tx, row, event.outcome, decision, event.message_id));
        batch.events.push_back(std::move(event));
      }
      return out;
    };
    auto committed = context.Transact(work);
    if (!committed.ok()) return committed.error();

    for (const Event& event : batch.events) {
      const DueRow& row = *event.row;
      const log::Fields fields = {
          {"payment_id", row.payment_id}, {"payment_key", row.payment_key},
          {"order_id", row.order_id},     {"provider", row.provider},
          {"status", row.status},         {log::key::kMessageId, event.message_id},
          {"look_ups", event.look_ups}};
      switch (event.outcome) {
        case Outcome::kLookUp:
          looked_up_.Increment();
          context.logger().Info("stuck payment looked up again", fields);
          break;
        case Outcome::kAlert:
          alerted_.Increment();
          context.logger().Warn("stuck payment: schedule exhausted, alert raised", fields);
          break;
        case Outcome::kResolved:
          resolved_.Increment();
          context.logger().Info("payment no longer stuck; dropped from the schedule", fields);
          break;
        case Outcome::kWait:
          break;
      }
    }
    if (batch.discovered > 0) {
      context.logger().Info("payments became stuck", {{"count", batch.discovered}});
    }
    const auto full = static_cast<std::uint64_t>(limit);
    if (batch.discovered < full && batch.due.size() < full) break;
  }
  return domain::Ok();
}

}  // namespace paypipe::scheduler
