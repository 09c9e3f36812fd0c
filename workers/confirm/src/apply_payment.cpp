// Handle: applies what Prepare learned from the PG, inside the unit of work. Every rule is the
// domain's; this file reads rows, asks the rules, writes what they decide.
#include <algorithm>
#include <chrono>
#include <span>
#include <unordered_map>

#include "paypipe/domain/amount_check.hpp"
#include "paypipe/domain/billing_rules.hpp"
#include "paypipe/domain/cancel_history.hpp"
#include "paypipe/domain/ledger.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/messages/alert_slack.hpp"
#include "paypipe/messages/payment_cancel.hpp"
#include "paypipe/pg/pg_mapping.hpp"
#include "sql_time.hpp"
#include "target.hpp"

namespace paypipe::confirm {

namespace {

using domain::Money;
using domain::PaymentStatus;
using infra::db::Transaction;
using nlohmann::json;
using Messages = std::vector<runtime::OutgoingMessage>;

struct OrderRow {
  std::string order_id;
  std::string partner_id;
  Money amount;
  std::string status;
  std::optional<std::int64_t> subscription_id;
};

OrderRow OrderFrom(const infra::db::Row& row) {
  return OrderRow{row.String("order_id"), row.String("partner_id"), Money::Krw(row.Int64("amount")),
                  row.String("status"), row.OptionalInt64("subscription_id")};
}

constexpr const char* kOrderColumns = "order_id, partner_id, amount, status, subscription_id";

domain::Result<std::optional<OrderRow>> LockOrder(Transaction& db, const std::string& order_id) {
  auto rows = db.Query(
      std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id = ? FOR UPDATE",
      {order_id});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<OrderRow>();
  return std::optional<OrderRow>(OrderFrom(rows->front()));
}

domain::Status Check(const domain::Result<std::uint64_t>& done) {
  if (!done.ok()) return done.error();
  return domain::Ok();
}

domain::Status SetOrderStatus(Transaction& db, const std::string& order_id, const char* status,
                              const char* only_from) {
  return Check(db.Execute("UPDATE orders SET status = ? WHERE order_id = ? AND status = ?",
                          {status, order_id, only_from}));
}

// The lines of these postings, with one statement.
domain::Status WritePostings(Transaction& db, std::span<const domain::Posting> postings) {
  infra::db::Params params;
  std::size_t rows = 0;
  for (const domain::Posting& posting : postings) {
    PAYPIPE_RETURN_IF_ERROR(domain::CheckBalanced(posting));
    for (std::size_t i = 0; i < posting.lines.size(); ++i, ++rows) {
      const auto& line = posting.lines[i];
      const infra::db::Params row = {posting.transaction_id,
                                     static_cast<std::int64_t>(i + 1),
                                     domain::ToString(posting.kind),
                                     line.account.code,
                                     domain::ToString(line.account.type),
                                     domain::ToString(line.side()),
                                     line.amount(),
                                     posting.partner_id,
                                     posting.order_id,
                                     posting.payment_id,
                                     posting.payment_cancel_id,
                                     SqlDate(posting.business_date)};
      params.insert(params.end(), row.begin(), row.end());
    }
  }
  if (rows == 0) return domain::Ok();
  return Check(db.Execute(
      "INSERT INTO ledger_entries (transaction_id, line_no, kind, account_code, account_type, "
      "side, amount, partner_id, order_id, payment_id, payment_cancel_id, business_date) VALUES " +
          infra::db::Placeholders(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      params));
}

domain::Status WritePosting(Transaction& db, const domain::Posting& posting) {
  return WritePostings(db, std::span(&posting, 1));
}

// The order's invoice, locked for the rest of the transaction; nullopt when it has none.
struct LockedInvoice {
  std::int64_t id = 0;
  domain::Invoice state;
};

domain::Result<LockedInvoice> InvoiceFrom(const infra::db::Row& row) {
  auto status = domain::ParseInvoiceStatus(row.String("status"));
  if (!status.ok()) return status.error();
  return LockedInvoice{
      row.Int64("id"),
      {*status, Money::Krw(row.Int64("amount")), Money::Krw(row.Int64("refunded_amount"))}};
}

domain::Result<std::optional<LockedInvoice>> LockInvoice(Transaction& db,
                                                         const std::string& order_id) {
  auto rows = db.Query(
      "SELECT id, status, amount, refunded_amount FROM invoices WHERE order_id = ? FOR UPDATE",
      {order_id});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<LockedInvoice>();
  auto invoice = InvoiceFrom(rows->front());
  if (!invoice.ok()) return invoice.error();
  return std::optional<LockedInvoice>(std::move(invoice).value());
}

// Invoice and subscription of a newly approved payment.
domain::Status ApplyApproval(Transaction& db, const OrderRow& order, Money paid,
                             domain::Instant approved_at) {
  auto invoice = LockInvoice(db, order.order_id);
  if (!invoice.ok()) return invoice.error();
  if (invoice->has_value()) {
    auto update = domain::InvoiceOnPaymentApproved((*invoice)->state, paid);
    if (!update.ok()) return update.error();
    if (update->verdict == domain::Verdict::kApply) {
      PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
          "UPDATE invoices SET status = ?, paid_at = ? WHERE id = ?",
          {domain::ToString(update->after.status), SqlDateTime(approved_at), (*invoice)->id})));
    }
  }
  if (!order.subscription_id) return domain::Ok();
  auto subscriptions = db.Query("SELECT status, cycle FROM subscriptions WHERE id = ? FOR UPDATE",
                                {*order.subscription_id});
  if (!subscriptions.ok()) return subscriptions.error();
  if (subscriptions->empty()) return domain::Ok();
  const auto& row = subscriptions->front();
  domain::Subscription subscription;
  auto status = domain::ParseSubscriptionStatus(row.String("status"));
  if (!status.ok()) return status.error();
  auto cycle = domain::ParseBillingCycle(row.String("cycle"));
  if (!cycle.ok()) return cycle.error();
  subscription.status = *status;
  subscription.cycle = *cycle;
  auto update = domain::SubscriptionOnFirstPayment(subscription, approved_at);
  if (!update.ok()) return update.error();
  if (update->verdict != domain::Verdict::kApply) return domain::Ok();
  const auto& after = update->after;
  auto date = [](const std::optional<std::chrono::year_month_day>& d) {
    return d ? std::optional<std::string>(SqlDate(*d)) : std::nullopt;
  };
  return Check(db.Execute(
      "UPDATE subscriptions SET status = ?, current_period_start = ?, current_period_end = ?, "
      "next_billing_date = ?, last_charged_at = ? WHERE id = ?",
      {domain::ToString(after.status), date(after.current_period_start),
       date(after.current_period_end), date(after.next_billing_date), SqlDateTime(approved_at),
       *order.subscription_id}));
}

// One PG cancel: completes the open request it fulfils, or adds a row of origin PG; returns the
// row's id.
domain::Result<std::int64_t> RecordCancel(Transaction& db, const OrderRow& order,
                                          std::int64_t payment_id,
                                          const domain::CancelToRecord& record) {
  const domain::NewCancel& cancel = record.cancel;
  const auto key = cancel.transaction_key.empty() ? std::optional<std::string>()
                                                  : std::optional(cancel.transaction_key);
  if (record.request_id) {
    PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
        "UPDATE payment_cancels SET status = 'SUCCEEDED', canceled_amount = ?, "
        "tax_free_amount = ?, pg_transaction_key = ?, canceled_at = ?, business_date = ?, "
        "failure_code = NULL, failure_message = NULL WHERE id = ?",
        {cancel.amount, cancel.tax_free_amount, key, SqlDateTime(cancel.canceled_at),
         SqlDate(cancel.business_date), *record.request_id})));
    return *record.request_id;
  }
  PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
      "INSERT INTO payment_cancels (payment_id, partner_id, origin, reason, canceled_amount, "
      "tax_free_amount, status, pg_transaction_key, canceled_at, business_date) "
      "VALUES (?, ?, 'PG', 'canceled at the PG', ?, ?, 'SUCCEEDED', ?, ?, ?)",
      {payment_id, order.partner_id, cancel.amount, cancel.tax_free_amount, key,
       SqlDateTime(cancel.canceled_at), SqlDate(cancel.business_date)})));
  return db.LastInsertId();
}

// The cancels the PG reports that we had not recorded (domain::NewCancels): a row and a reversing
// posting each, dated by its own cancel; then the invoice's refunded total and the order's status.
domain::Status ApplyRefund(Transaction& db, const OrderRow& order, std::int64_t payment_id,
                           const pg::PgPayment& pg_payment,
                           const domain::PaymentTransition& transition) {
  const auto& observed = pg_payment.observed;
  auto held = db.Query(
      "SELECT id, origin, status, requested_amount, pg_transaction_key FROM payment_cancels "
      "WHERE payment_id = ? ORDER BY id FOR UPDATE",
      {payment_id});
  if (!held.ok()) return held.error();
  std::vector<std::string> held_keys;
  std::vector<domain::OpenCancelRequest> open_requests;
  for (const auto& row : *held) {
    if (auto key = row.OptionalString("pg_transaction_key")) {
      held_keys.push_back(std::move(*key));
    } else if (row.String("origin") != messages::ToString(messages::CancelOrigin::kPg) &&
               row.String("status") != "SUCCEEDED") {
      const auto requested = row.OptionalInt64("requested_amount");
      open_requests.push_back(
          {row.Int64("id"), requested ? std::optional(Money::Krw(*requested)) : std::nullopt});
    }
  }
  auto cancels = domain::NewCancels(observed, transition, held_keys);
  if (!cancels.ok()) return cancels.error();
  std::optional<domain::Instant> refunded_at;
  for (const auto& record : domain::MatchOpenRequests(*cancels, open_requests)) {
    auto cancel_id = RecordCancel(db, order, payment_id, record);
    if (!cancel_id.ok()) return cancel_id.error();
    auto posting = domain::CancelPosting(
        {payment_id, *cancel_id, domain::PartnerId(order.partner_id),
         domain::OrderId(order.order_id), record.cancel.amount, record.cancel.business_date});
    if (!posting.ok()) return posting.error();
    PAYPIPE_RETURN_IF_ERROR(WritePosting(db, *posting));
    refunded_at =
        std::max(refunded_at.value_or(record.cancel.canceled_at), record.cancel.canceled_at);
  }

  auto refunded_total = observed.total.Minus(transition.balance_after);
  if (!refunded_total.ok()) return refunded_total.error();
  auto invoice = LockInvoice(db, order.order_id);
  if (!invoice.ok()) return invoice.error();
  if (invoice->has_value()) {
    auto update = domain::InvoiceOnRefundedTotal((*invoice)->state, *refunded_total);
    if (!update.ok()) return update.error();
    if (update->verdict == domain::Verdict::kApply) {
      PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
          "UPDATE invoices SET status = ?, refunded_amount = ?, refunded_at = ? WHERE id = ?",
          {domain::ToString(update->after.status), update->after.refunded, SqlDateTime(refunded_at),
           (*invoice)->id})));
    }
  }
  const char* order_status = transition.balance_after.IsZero() ? "CANCELED" : "PARTIAL_CANCELED";
  return Check(db.Execute(
      "UPDATE orders SET status = ? WHERE order_id = ? AND status IN ('CREATED', 'PAID', "
      "'PARTIAL_CANCELED')",
      {order_status, order.order_id}));
}

Messages MismatchMessages(const runtime::Envelope& message, const Target& target,
                          const OrderRow& order, const domain::AmountCheck& check) {
  const domain::Error error = domain::AmountMismatchError(check);
  messages::SlackAlert alert;
  alert.severity = messages::AlertSeverity::kCritical;
  alert.title = "Payment amount differs from its order";
  alert.text = error.message;
  alert.dedupe_key = "amount-mismatch:" + target.payment_key;
  alert.fields = {{"orderId", order.order_id},
                  {"paymentKey", target.payment_key},
                  {"provider", messages::ToString(target.provider)},
                  {"expected", check.expected.krw()},
                  {"actual", check.actual.krw()},
                  {"messageId", message.message_id.str()}};
  Messages out;
  if (check.action == domain::AmountAction::kCancelAndAlert) {
    messages::PaymentCancel cancel;
    cancel.provider = target.provider;
    cancel.payment_key = domain::PaymentKey(target.payment_key);
    cancel.cancel_reason = "amount differs from the order";
    cancel.idempotency_key =
        domain::IdempotencyKey(pg::AutoCancelIdempotencyKey(target.provider, target.payment_key));
    cancel.origin = messages::CancelOrigin::kAuto;
    out.push_back(messages::ToOutgoing(cancel, order.order_id));
    alert.text += "; the payment is being canceled in full";
  }
  out.push_back(messages::ToOutgoing(alert));
  return out;
}

struct StoredRow {
  std::int64_t id = 0;
  domain::StoredPayment payment;
};

domain::Result<StoredRow> StoredFrom(const infra::db::Row& row) {
  auto status = domain::ParsePaymentStatus(row.String("status"));
  if (!status.ok()) return status.error();
  const auto approved = row.OptionalString("approved_at");
  return StoredRow{
      row.Int64("id"),
      {*status, Money::Krw(row.Int64("total_amount")), Money::Krw(row.Int64("balance_amount")),
       approved ? ParseSqlDateTime(*approved) : std::nullopt}};
}

domain::Result<std::optional<StoredRow>> LockPayment(Transaction& db, const Target& target) {
  auto rows = db.Query(
      "SELECT id, status, total_amount, balance_amount, approved_at FROM payments "
      "WHERE payment_key = ? AND provider = ? FOR UPDATE",
      {target.payment_key, messages::ToString(target.provider)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<StoredRow>();
  auto stored = StoredFrom(rows->front());
  if (!stored.ok()) return stored.error();
  return std::optional<StoredRow>(std::move(stored).value());
}

constexpr const char* kPaymentUpsert =
    "INSERT INTO payments (provider, payment_key, order_id, partner_id, payment_type, method, "
    "status, total_amount, balance_amount, last_transaction_key, approved_at, canceled_at, "
    "business_date, failure_code, failure_message, pg_snapshot, last_verified_at) VALUES ";
constexpr const char* kPaymentRow =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP(6))";
constexpr const char* kPaymentOnDuplicate =
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), payment_type = VALUES(payment_type), "
    "method = VALUES(method), status = VALUES(status), total_amount = VALUES(total_amount), "
    "balance_amount = VALUES(balance_amount), "
    "last_transaction_key = VALUES(last_transaction_key), approved_at = VALUES(approved_at), "
    "canceled_at = VALUES(canceled_at), business_date = VALUES(business_date), "
    "failure_code = VALUES(failure_code), failure_message = VALUES(failure_message), "
    "pg_snapshot = VALUES(pg_snapshot), last_verified_at = VALUES(last_verified_at)";

// The parameters of one kPaymentRow: the payment in the state `change.to`.
void AppendPaymentRow(infra::db::Params& params, const Target& target, const OrderRow& order,
                      const pg::PgPayment& pg_payment, const domain::PaymentTransition& change,
                      const std::optional<std::string>& failure_code,
                      const std::optional<std::string>& failure_message) {
  const auto& observed = pg_payment.observed;
  const auto business_date = change.approved_at
                                 ? std::optional(SqlDate(domain::KstDate(*change.approved_at)))
                                 : std::nullopt;
  auto text = [](const std::string& s, std::size_t max) {
    return s.empty() ? std::optional<std::string>() : std::optional(s.substr(0, max));
  };
  const infra::db::Params row = {messages::ToString(target.provider),
                                 target.payment_key,
                                 order.order_id,
                                 order.partner_id,
                                 text(pg_payment.payment_type, 16),
                                 text(pg_payment.method, 64),
                                 domain::ToString(change.to),
                                 observed.total,
                                 change.balance_after,
                                 text(pg_payment.last_transaction_key, 64),
                                 SqlDateTime(change.approved_at),
                                 SqlDateTime(change.canceled_at),
                                 business_date,
                                 failure_code,
                                 failure_message,
                                 pg::ToJson(pg_payment).dump()};
  params.insert(params.end(), row.begin(), row.end());
}

// Writes the payment row in the state `to` (insert or update); returns its id.
domain::Result<std::int64_t> WritePayment(Transaction& db, const Target& target,
                                          const OrderRow& order, const pg::PgPayment& pg_payment,
                                          const domain::PaymentTransition& change,
                                          const std::optional<std::string>& failure_code,
                                          const std::optional<std::string>& failure_message) {
  infra::db::Params params;
  AppendPaymentRow(params, target, order, pg_payment, change, failure_code, failure_message);
  auto written =
      db.Execute(std::string(kPaymentUpsert) + kPaymentRow + kPaymentOnDuplicate, params);
  if (!written.ok()) return written.error();
  return db.LastInsertId();
}

domain::Result<Messages> ApplyObserved(Transaction& db, const runtime::Envelope& message,
                                       const Target& target, const OrderRow& order,
                                       const pg::PgPayment& pg_payment) {
  auto stored = LockPayment(db, target);
  if (!stored.ok()) return stored.error();
  domain::PaymentTransition change;
  if (!stored->has_value()) {
    auto first = domain::FirstPaymentObservation(pg_payment.observed);
    if (!first.ok()) return first.error();
    change = *first;
  } else {
    auto decision = domain::DecidePaymentUpdate((*stored)->payment, pg_payment.observed);
    if (!decision.ok()) return decision.error();
    if (decision->verdict != domain::Verdict::kApply) return Messages{};
    change = decision->transition;
  }

  // Money on a payment whose amount is not the order's: record what the PG holds, no approval
  // effects, cancel it and alert.
  const auto check = domain::CheckPgPayment(order.amount, pg_payment.observed);
  if (check.action != domain::AmountAction::kProceed) {
    const auto error = domain::AmountMismatchError(check);
    auto id = WritePayment(db, target, order, pg_payment, change, error.code,
                           error.message.substr(0, 512));
    if (!id.ok()) return id.error();
    return MismatchMessages(message, target, order, check);
  }

  auto payment_id = WritePayment(db, target, order, pg_payment, change, pg_payment.failure_code,
                                 pg_payment.failure_message);
  if (!payment_id.ok()) return payment_id.error();
  if (change.captured > Money::Zero()) {
    const domain::Instant approved_at = change.approved_at.value_or(domain::Instant{});
    auto posting = domain::CapturePosting({*payment_id, domain::PartnerId(order.partner_id),
                                           domain::OrderId(order.order_id), change.captured,
                                           domain::KstDate(approved_at)});
    if (!posting.ok()) return posting.error();
    PAYPIPE_RETURN_IF_ERROR(WritePosting(db, *posting));
    PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
        "UPDATE orders SET status = 'PAID', paid_at = ? WHERE order_id = ? AND status = 'CREATED'",
        {SqlDateTime(approved_at), order.order_id})));
    PAYPIPE_RETURN_IF_ERROR(ApplyApproval(db, order, change.captured, approved_at));
  }
  if (change.refunded > Money::Zero()) {
    PAYPIPE_RETURN_IF_ERROR(ApplyRefund(db, order, *payment_id, pg_payment, change));
  }
  switch (change.to) {
    case PaymentStatus::kAborted:
    case PaymentStatus::kFailed:
      PAYPIPE_RETURN_IF_ERROR(SetOrderStatus(db, order.order_id, "FAILED", "CREATED"));
      break;
    case PaymentStatus::kExpired:
      PAYPIPE_RETURN_IF_ERROR(SetOrderStatus(db, order.order_id, "EXPIRED", "CREATED"));
      break;
    default:
      break;
  }
  return Messages{};
}

// A final refusal of our confirm: the payment failed, nothing was captured.
domain::Result<Messages> ApplyDeclined(Transaction& db, const Target& target, const OrderRow& order,
                                       const json& prepared) {
  const char* status = target.provider == messages::Provider::kToss ? "ABORTED" : "FAILED";
  PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
      "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
      "balance_amount, failure_code, failure_message) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) "
      "ON DUPLICATE KEY UPDATE failure_code = VALUES(failure_code), "
      "failure_message = VALUES(failure_message), "
      "status = IF(status IN ('READY', 'IN_PROGRESS', 'UNKNOWN'), VALUES(status), status)",
      {messages::ToString(target.provider), target.payment_key, order.order_id, order.partner_id,
       status, order.amount, prepared.value("failure_code", ""),
       prepared.value("failure_message", "")})));
  PAYPIPE_RETURN_IF_ERROR(SetOrderStatus(db, order.order_id, "FAILED", "CREATED"));
  return Messages{};
}

}  // namespace

domain::Result<Messages> ApplyPrepared(const runtime::Envelope& message, const Target& target,
                                       runtime::UnitOfWork& work) {
  Transaction& db = work.Db();
  const json& prepared = message.prepared;
  const std::string op = prepared.value("op", "");
  const std::string order_id = prepared.value("orderId", target.order_id);
  auto order = LockOrder(db, order_id);
  if (!order.ok()) return order.error();
  if (!order->has_value()) {
    return domain::Error::Permanent(std::string("ORDER_NOT_FOUND"),
                                    "no order " + order_id + " for payment " + target.payment_key);
  }
  if (op == kRefused) {
    const auto check = domain::CheckConfirmRequest((*order)->amount,
                                                   target.requested_amount.value_or(Money::Zero()));
    return MismatchMessages(message, target, **order, check);
  }
  if (op == kDeclined) return ApplyDeclined(db, target, **order, prepared);
  auto pg_payment = pg::PgPaymentFromJson(prepared.value("payment", json()));
  if (!pg_payment.ok()) return pg_payment.error();
  return ApplyObserved(db, message, target, **order, *pg_payment);
}

namespace {

std::string PaymentId(messages::Provider provider, const std::string& payment_key) {
  return std::string(messages::ToString(provider)) + '\n' + payment_key;
}

// The batch's orders, payments and invoices, each kind locked with one statement (rows in index
// order, as every unit locks them).
struct LockedRows {
  std::unordered_map<std::string, OrderRow> orders;         // by order id
  std::unordered_map<std::string, StoredRow> payments;      // by PaymentId
  std::unordered_map<std::string, LockedInvoice> invoices;  // by order id
};

domain::Result<LockedRows> LockRows(Transaction& db, const infra::db::Params& order_ids,
                                    const infra::db::Params& payment_keys) {
  LockedRows locked;
  auto orders = db.Query(
      std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id IN (" +
          infra::db::Placeholders(order_ids.size(), "?") + ") ORDER BY order_id FOR UPDATE",
      order_ids);
  if (!orders.ok()) return orders.error();
  for (const auto& row : *orders) locked.orders.emplace(row.String("order_id"), OrderFrom(row));
  auto payments = db.Query(
      "SELECT id, provider, payment_key, status, total_amount, balance_amount, approved_at FROM "
      "payments WHERE payment_key IN (" +
          infra::db::Placeholders(payment_keys.size(), "?") +
          ") ORDER BY payment_key, provider FOR UPDATE",
      payment_keys);
  if (!payments.ok()) return payments.error();
  for (const auto& row : *payments) {
    // A row that does not read back is left to its message's own path, which reports it.
    if (auto stored = StoredFrom(row); stored.ok()) {
      locked.payments.emplace(row.String("provider") + '\n' + row.String("payment_key"),
                              std::move(stored).value());
    }
  }
  auto invoices = db.Query(
      "SELECT id, order_id, status, amount, refunded_amount FROM invoices WHERE order_id IN (" +
          infra::db::Placeholders(order_ids.size(), "?") + ") ORDER BY id FOR UPDATE",
      order_ids);
  if (!invoices.ok()) return invoices.error();
  for (const auto& row : *invoices) {
    if (auto invoice = InvoiceFrom(row); invoice.ok()) {
      locked.invoices.emplace(row.String("order_id"), std::move(invoice).value());
    }
  }
  return locked;
}

// A message the batch applies with its mates: a PG observation of a payment no other message of
// the batch touches, whose amount is its order's, that changes nothing but the payment, or
// approves it (capture, order PAID, invoice PAID) without a subscription to start, refunds or a
// failed order. Everything else takes ApplyPrepared.
struct Common {
  std::size_t index = 0;
  const OrderRow* order = nullptr;
  pg::PgPayment pg_payment;
  domain::PaymentTransition change;
  std::optional<std::int64_t> payment_id;  // known when the row exists
  const LockedInvoice* invoice = nullptr;
};

std::optional<Common> AsCommon(const json& prepared, const Target& target, const LockedRows& locked,
                               const std::string& order_id) {
  if (prepared.value("op", "") != kObserved) return std::nullopt;
  const auto order = locked.orders.find(order_id);
  if (order == locked.orders.end() || order->second.subscription_id) return std::nullopt;
  auto pg_payment = pg::PgPaymentFromJson(prepared.value("payment", json()));
  if (!pg_payment.ok()) return std::nullopt;
  Common common;
  common.order = &order->second;
  const auto stored = locked.payments.find(PaymentId(target.provider, target.payment_key));
  if (stored == locked.payments.end()) {
    auto first = domain::FirstPaymentObservation(pg_payment->observed);
    if (!first.ok()) return std::nullopt;
    common.change = *first;
  } else {
    auto decision = domain::DecidePaymentUpdate(stored->second.payment, pg_payment->observed);
    if (!decision.ok() || decision->verdict != domain::Verdict::kApply) return std::nullopt;
    common.change = decision->transition;
    common.payment_id = stored->second.id;
  }
  if (domain::CheckPgPayment(order->second.amount, pg_payment->observed).action !=
      domain::AmountAction::kProceed) {
    return std::nullopt;
  }
  const auto to = common.change.to;
  if (common.change.refunded > Money::Zero() || to == PaymentStatus::kAborted ||
      to == PaymentStatus::kFailed || to == PaymentStatus::kExpired) {
    return std::nullopt;
  }
  if (const auto invoice = locked.invoices.find(order_id); invoice != locked.invoices.end()) {
    common.invoice = &invoice->second;
  }
  common.pg_payment = std::move(pg_payment).value();
  return common;
}

// Writes the common messages' effects: payment rows, capture postings, orders and invoices, each
// with one statement.
domain::Status WriteCommon(Transaction& db, std::span<Common> batch,
                           std::span<const Target> targets) {
  if (batch.empty()) return domain::Ok();
  infra::db::Params rows;
  for (const Common& c : batch) {
    AppendPaymentRow(rows, targets[c.index], *c.order, c.pg_payment, c.change,
                     c.pg_payment.failure_code, c.pg_payment.failure_message);
  }
  PAYPIPE_RETURN_IF_ERROR(
      Check(db.Execute(std::string(kPaymentUpsert) +
                           infra::db::Placeholders(batch.size(), kPaymentRow) + kPaymentOnDuplicate,
                       rows)));

  // The ids of the rows just inserted.
  infra::db::Params new_keys;
  for (const Common& c : batch) {
    if (!c.payment_id) new_keys.emplace_back(targets[c.index].payment_key);
  }
  if (!new_keys.empty()) {
    auto ids = db.Query("SELECT id, provider, payment_key FROM payments WHERE payment_key IN (" +
                            infra::db::Placeholders(new_keys.size(), "?") + ")",
                        new_keys);
    if (!ids.ok()) return ids.error();
    std::unordered_map<std::string, std::int64_t> by_key;
    for (const auto& row : *ids) {
      by_key.emplace(row.String("provider") + '\n' + row.String("payment_key"), row.Int64("id"));
    }
    for (Common& c : batch) {
      if (c.payment_id) continue;
      const Target& target = targets[c.index];
      const auto id = by_key.find(PaymentId(target.provider, target.payment_key));
      if (id == by_key.end()) {
        return domain::Error::Permanent("PAYMENT_ROW_MISSING",
                                        "payment " + target.payment_key + " was not written");
      }
      c.payment_id = id->second;
    }
  }

  std::vector<domain::Posting> postings;
  infra::db::Params paid_orders;
  infra::db::Params order_ids;
  infra::db::Params invoice_statuses;  // (id, status) per invoice, for its CASE
  infra::db::Params invoice_paid_at;   // (id, paid_at) per invoice, for its CASE
  infra::db::Params invoice_ids;
  for (const Common& c : batch) {
    if (!(c.change.captured > Money::Zero())) continue;
    const domain::Instant approved_at = c.change.approved_at.value_or(domain::Instant{});
    auto posting = domain::CapturePosting({*c.payment_id, domain::PartnerId(c.order->partner_id),
                                           domain::OrderId(c.order->order_id), c.change.captured,
                                           domain::KstDate(approved_at)});
    if (!posting.ok()) return posting.error();
    postings.push_back(std::move(posting).value());
    paid_orders.emplace_back(c.order->order_id);
    paid_orders.emplace_back(SqlDateTime(approved_at));
    order_ids.emplace_back(c.order->order_id);
    if (c.invoice == nullptr) continue;
    auto update = domain::InvoiceOnPaymentApproved(c.invoice->state, c.change.captured);
    if (!update.ok()) return update.error();
    if (update->verdict != domain::Verdict::kApply) continue;
    invoice_statuses.emplace_back(c.invoice->id);
    invoice_statuses.emplace_back(domain::ToString(update->after.status));
    invoice_paid_at.emplace_back(c.invoice->id);
    invoice_paid_at.emplace_back(SqlDateTime(approved_at));
    invoice_ids.emplace_back(c.invoice->id);
  }
  PAYPIPE_RETURN_IF_ERROR(WritePostings(db, postings));
  if (!order_ids.empty()) {
    infra::db::Params params = paid_orders;
    params.insert(params.end(), order_ids.begin(), order_ids.end());
    PAYPIPE_RETURN_IF_ERROR(
        Check(db.Execute("UPDATE orders SET status = 'PAID', paid_at = CASE order_id " +
                             infra::db::Placeholders(order_ids.size(), "WHEN ? THEN ?", " ") +
                             " END WHERE status = 'CREATED' AND order_id IN (" +
                             infra::db::Placeholders(order_ids.size(), "?") + ")",
                         params)));
  }
  if (!invoice_ids.empty()) {
    infra::db::Params params = invoice_statuses;
    params.insert(params.end(), invoice_paid_at.begin(), invoice_paid_at.end());
    params.insert(params.end(), invoice_ids.begin(), invoice_ids.end());
    const std::string cases = infra::db::Placeholders(invoice_ids.size(), "WHEN ? THEN ?", " ");
    PAYPIPE_RETURN_IF_ERROR(Check(db.Execute(
        "UPDATE invoices SET status = CASE id " + cases + " END, paid_at = CASE id " + cases +
            " END WHERE id IN (" + infra::db::Placeholders(invoice_ids.size(), "?") + ")",
        params)));
  }
  return domain::Ok();
}

}  // namespace

domain::Result<std::vector<Messages>> ApplyPreparedBatch(
    std::span<const runtime::Envelope* const> messages, std::span<const Target> targets,
    runtime::UnitOfWork& work) {
  Transaction& db = work.Db();
  std::vector<Messages> out(messages.size());
  // The messages that write, and how many of them touch each order and payment.
  std::vector<std::size_t> writing;
  std::vector<std::string> order_of(messages.size());
  std::unordered_map<std::string, int> order_uses;
  std::unordered_map<std::string, int> payment_uses;
  infra::db::Params order_ids;
  infra::db::Params payment_keys;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const json& prepared = messages[i]->prepared;
    if (prepared.value("op", "") == kUnchanged) continue;
    writing.push_back(i);
    order_of[i] = prepared.value("orderId", targets[i].order_id);
    if (order_uses[order_of[i]]++ == 0) order_ids.emplace_back(order_of[i]);
    if (payment_uses[PaymentId(targets[i].provider, targets[i].payment_key)]++ == 0) {
      payment_keys.emplace_back(targets[i].payment_key);
    }
  }
  if (writing.empty()) return out;

  auto locked = LockRows(db, order_ids, payment_keys);
  if (!locked.ok()) return locked.error();
  std::vector<Common> common;
  std::vector<std::size_t> own_path;
  for (const std::size_t i : writing) {
    const Target& target = targets[i];
    std::optional<Common> c;
    if (order_uses[order_of[i]] == 1 &&
        payment_uses[PaymentId(target.provider, target.payment_key)] == 1) {
      c = AsCommon(messages[i]->prepared, target, *locked, order_of[i]);
    }
    if (c) {
      c->index = i;
      common.push_back(std::move(*c));
    } else {
      own_path.push_back(i);
    }
  }
  PAYPIPE_RETURN_IF_ERROR(WriteCommon(db, common, targets));
  // The others touch rows no common message touches: their order among themselves is kept.
  for (const std::size_t i : own_path) {
    auto applied = ApplyPrepared(*messages[i], targets[i], work);
    if (!applied.ok()) return applied.error();
    out[i] = std::move(applied).value();
  }
  return out;
}

}  // namespace paypipe::confirm
