#include "paypipe/gateway/payment_store.hpp"

namespace paypipe::gateway {
namespace {

using domain::Error;
using domain::Result;
using infra::db::Connection;
using infra::db::Row;
using nlohmann::json;

// Deadlocks and lock wait timeouts between racing checkouts resolve on a rerun.
constexpr int kCheckoutAttempts = 3;
// PG calls listed in a view; the full history stays in payment_attempts.
constexpr int kAttemptsShown = 100;

json Text(const Row& row, infra::db::Column column) {
  auto value = row.OptionalString(column);
  return value ? json(*value) : json(nullptr);
}

json Time(const Row& row, infra::db::Column column) {
  auto value = row.OptionalString(column);
  return value ? json(IsoTime(*value)) : json(nullptr);
}

json Number(const Row& row, infra::db::Column column) {
  auto value = row.OptionalInt64(column);
  return value ? json(*value) : json(nullptr);
}

json Failure(const Row& row) {
  if (row.IsNull("failure_code")) return nullptr;
  return {{"code", row.String("failure_code")}, {"message", Text(row, "failure_message")}};
}

struct StoredCheckout {
  std::string order_name;
  std::int64_t amount = 0;
  std::string partner_id;
  std::string customer_id;
  std::string provider;
  std::optional<std::string> plan;
  std::optional<std::string> cycle;
};

Result<std::optional<StoredCheckout>> FindCheckout(Connection& db,
                                                   const domain::OrderId& order_id) {
  auto rows = db.Query(
      "SELECT o.order_name, o.amount, o.partner_id, o.customer_id, o.provider, s.plan, s.cycle "
      "FROM orders o LEFT JOIN subscriptions s ON s.id = o.subscription_id "
      "WHERE o.order_id = ?",
      {order_id});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<StoredCheckout>();
  const Row& row = rows->front();
  return std::optional<StoredCheckout>(
      StoredCheckout{row.String("order_name"), row.Int64("amount"), row.String("partner_id"),
                     row.String("customer_id"), row.String("provider"), row.OptionalString("plan"),
                     row.OptionalString("cycle")});
}

bool SameCheckout(const StoredCheckout& stored, const CheckoutRequest& request) {
  const bool same_subscription = request.subscription
                                     ? (stored.plan == request.subscription->plan &&
                                        stored.cycle == request.subscription->cycle)
                                     : !stored.plan.has_value();
  return same_subscription && stored.order_name == request.order_name &&
         stored.amount == request.amount.krw() && stored.partner_id == request.partner_id.str() &&
         stored.customer_id == request.customer_id.str() &&
         stored.provider == messages::ToString(request.provider);
}

// The columns of the order view, read by LoadOrderView and returned by the checkout's inserts,
// so that a new order is answered exactly as it would read back.
constexpr std::string_view kOrderColumns =
    "order_id, order_name, partner_id, customer_id, provider, amount, status, subscription_id, "
    "paid_at, created_at, updated_at";
constexpr std::string_view kInvoiceColumns =
    "id, status, amount, refunded_amount, period_start, period_end, issued_at, paid_at, "
    "refunded_at, voided_at";
constexpr std::string_view kSubscriptionColumns =
    "id, plan, cycle, status, amount, current_period_start, current_period_end, "
    "next_billing_date, dunning_attempts, canceled_at";

std::string Sql(std::string_view head, std::string_view columns, std::string_view tail = {}) {
  std::string sql;
  sql.reserve(head.size() + columns.size() + tail.size());
  sql.append(head).append(columns).append(tail);
  return sql;
}

// The order's own fields; "invoice" and "subscription" null until set.
json OrderJson(const Row& o) {
  return {{"orderId", o.String("order_id")},
          {"orderName", o.String("order_name")},
          {"partnerId", o.String("partner_id")},
          {"customerId", o.String("customer_id")},
          {"provider", o.String("provider")},
          {"amount", o.Int64("amount")},
          {"status", o.String("status")},
          {"paidAt", Time(o, "paid_at")},
          {"createdAt", Time(o, "created_at")},
          {"updatedAt", Time(o, "updated_at")},
          {"invoice", nullptr},
          {"subscription", nullptr}};
}

json InvoiceJson(const Row& i) {
  return {{"invoiceId", i.Int64("id")},
          {"status", i.String("status")},
          {"amount", i.Int64("amount")},
          {"refundedAmount", i.Int64("refunded_amount")},
          {"periodStart", Text(i, "period_start")},
          {"periodEnd", Text(i, "period_end")},
          {"issuedAt", Time(i, "issued_at")},
          {"paidAt", Time(i, "paid_at")},
          {"refundedAt", Time(i, "refunded_at")},
          {"voidedAt", Time(i, "voided_at")}};
}

// One PG call of payment_attempts, as both views show it.
json AttemptJson(const Row& a) {
  return {{"kind", a.String("kind")},
          {"outcome", a.String("outcome")},
          {"attempt", a.Int64("attempt")},
          {"httpStatus", Number(a, "http_status")},
          {"errorCode", Text(a, "error_code")},
          {"errorMessage", Text(a, "error_message")},
          {"latencyMs", a.Int64("latency_ms")},
          {"startedAt", Time(a, "started_at")}};
}

json SubscriptionJson(const Row& s) {
  return {{"subscriptionId", s.Int64("id")},
          {"plan", s.String("plan")},
          {"cycle", s.String("cycle")},
          {"status", s.String("status")},
          {"amount", s.Int64("amount")},
          {"currentPeriodStart", Text(s, "current_period_start")},
          {"currentPeriodEnd", Text(s, "current_period_end")},
          {"nextBillingDate", Text(s, "next_billing_date")},
          {"dunningAttempts", s.Int64("dunning_attempts")},
          {"canceledAt", Time(s, "canceled_at")}};
}

// What the insert transaction learned.
enum class Written {
  kCommitted,    // the view of the new order is filled in
  kDuplicate,    // the order id (or its subscription) exists: nothing written
  kNotAccepted,  // the partner is unknown or not ACTIVE: nothing written
};

// One transaction: customer, subscription, order and invoice, then the columns the view shows,
// read back inside it (no RETURNING: MySQL 8 has none). The subscription and the order are
// inserted only while their partner is ACTIVE (the partner row is read by the insert itself), so
// an accepted checkout costs no look-up before it.
Result<Written> InsertCheckout(Connection& db, const CheckoutRequest& request, json& view) {
  auto tx = db.Begin();
  if (!tx.ok()) return tx.error();
  const std::string provider = messages::ToString(request.provider);
  auto customer = tx->Execute(
      "INSERT INTO customers (customer_id) VALUES (?) "
      "ON DUPLICATE KEY UPDATE customer_id = customer_id",
      {request.customer_id});
  if (!customer.ok()) return customer.error();

  std::optional<std::int64_t> subscription_id;
  if (request.subscription) {
    auto inserted = tx->Execute(
        "INSERT INTO subscriptions (customer_id, partner_id, provider, plan, cycle, amount, "
        "status, origin_order_id) SELECT ?, partner_id, ?, ?, ?, ?, 'PENDING', ? "
        "FROM partners WHERE partner_id = ? AND status = 'ACTIVE'",
        {request.customer_id, provider, request.subscription->plan, request.subscription->cycle,
         request.amount, request.order_id, request.partner_id});
    if (!inserted.ok()) {
      if (infra::db::IsDuplicateKey(inserted.error())) return Written::kDuplicate;
      return inserted.error();
    }
    if (*inserted == 0) return Written::kNotAccepted;
    auto id = tx->LastInsertId();
    if (!id.ok()) return id.error();
    subscription_id = *id;
  }

  auto order = tx->Execute(
      "INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount, "
      "status, subscription_id) SELECT ?, ?, partner_id, ?, ?, ?, 'CREATED', ? "
      "FROM partners WHERE partner_id = ? AND status = 'ACTIVE'",
      {request.order_id, request.order_name, request.customer_id, provider, request.amount,
       subscription_id, request.partner_id});
  if (!order.ok()) {
    if (infra::db::IsDuplicateKey(order.error())) return Written::kDuplicate;
    return order.error();
  }
  if (*order == 0) return Written::kNotAccepted;
  auto invoice = tx->Execute(
      "INSERT INTO invoices (order_id, subscription_id, partner_id, customer_id, amount, "
      "status) VALUES (?, ?, ?, ?, ?, 'ISSUED')",
      {request.order_id, subscription_id, request.partner_id, request.customer_id, request.amount});
  if (!invoice.ok()) return invoice.error();

  auto orders =
      tx->Query(Sql("SELECT ", kOrderColumns, " FROM orders WHERE order_id = ?"), {request.order_id});
  if (!orders.ok()) return orders.error();
  auto invoices = tx->Query(Sql("SELECT ", kInvoiceColumns, " FROM invoices WHERE order_id = ?"),
                            {request.order_id});
  if (!invoices.ok()) return invoices.error();
  json subscription = nullptr;
  if (subscription_id) {
    auto subscriptions = tx->Query(
        Sql("SELECT ", kSubscriptionColumns, " FROM subscriptions WHERE id = ?"), {*subscription_id});
    if (!subscriptions.ok()) return subscriptions.error();
    if (subscriptions->empty()) {
      return Error::Permanent("CHECKOUT_READ_BACK", "the subscription just written is missing");
    }
    subscription = SubscriptionJson(subscriptions->front());
  }
  if (orders->empty() || invoices->empty()) {
    return Error::Permanent("CHECKOUT_READ_BACK", "the order just written is missing");
  }
  PAYPIPE_RETURN_IF_ERROR(tx->Commit());

  view = OrderJson(orders->front());
  view["invoice"] = InvoiceJson(invoices->front());
  view["subscription"] = std::move(subscription);
  // Just created: no PG call can have been recorded for it yet.
  view["payments"] = json::array();
  view["attempts"] = json::array();
  return Written::kCommitted;
}

// Why a checkout was not inserted: the stored checkout with this order id (compared with the
// request, whatever its partner's state is now), else the partner. nullopt when neither
// explains it (a racing checkout rolled back, or the partner became ACTIVE): insert again.
Result<std::optional<CheckoutOutcome>> ExplainNotInserted(Connection& db,
                                                          const CheckoutRequest& request) {
  auto existing = FindCheckout(db, request.order_id);
  if (!existing.ok()) return existing.error();
  if (existing->has_value()) {
    return std::optional<CheckoutOutcome>(SameCheckout(**existing, request)
                                              ? CheckoutOutcome::kRepeated
                                              : CheckoutOutcome::kConflict);
  }
  auto partner = db.Query("SELECT status FROM partners WHERE partner_id = ?", {request.partner_id});
  if (!partner.ok()) return partner.error();
  if (partner->empty()) return std::optional<CheckoutOutcome>(CheckoutOutcome::kUnknownPartner);
  if (partner->front().String("status") != "ACTIVE") {
    return std::optional<CheckoutOutcome>(CheckoutOutcome::kPartnerInactive);
  }
  return std::optional<CheckoutOutcome>();
}

}  // namespace

std::string IsoTime(const std::string& datetime) {
  // "YYYY-MM-DD HH:MM:SS[.ffffff]"
  if (datetime.size() < 19 || datetime[10] != ' ') return datetime;
  std::string iso = datetime;
  iso[10] = 'T';
  iso += 'Z';
  return iso;
}

Result<CheckoutResult> CreateCheckout(Connection& db, const CheckoutRequest& request) {
  std::optional<Error> last_error;
  for (int attempt = 0; attempt < kCheckoutAttempts; ++attempt) {
    CheckoutResult result;
    auto written = InsertCheckout(db, request, result.view);
    if (written.ok()) {
      if (*written == Written::kCommitted) return result;
      auto explained = ExplainNotInserted(db, request);
      if (!explained.ok()) return explained.error();
      if (!explained->has_value()) continue;
      result.outcome = **explained;
      return result;
    }
    if (written.error().kind != domain::ErrorKind::kRetryTransaction) return written.error();
    last_error = written.error();
  }
  return last_error.value_or(
      Error::RetryTransaction("CHECKOUT_CONTENTION", "the checkout kept colliding with another"));
}

Result<std::optional<OrderForConfirm>> FindOrderForConfirm(Connection& db,
                                                           const domain::OrderId& order_id) {
  auto rows =
      db.Query("SELECT provider, amount, status FROM orders WHERE order_id = ?", {order_id});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<OrderForConfirm>();
  const Row& row = rows->front();
  OrderForConfirm order;
  order.stored_provider = row.String("provider");
  order.provider = messages::ProviderFromString(order.stored_provider).value_or(order.provider);
  order.amount = domain::Money::Krw(row.Int64("amount"));
  order.status = row.String("status");
  return std::optional<OrderForConfirm>(std::move(order));
}

Result<std::optional<PaymentForCancel>> FindPaymentForCancel(
    Connection& db, const domain::PaymentKey& payment_key) {
  auto rows =
      db.Query("SELECT provider, order_id FROM payments WHERE payment_key = ? ORDER BY id LIMIT 1",
               {payment_key});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<PaymentForCancel>();
  const Row& row = rows->front();
  return std::optional<PaymentForCancel>(
      PaymentForCancel{messages::ProviderFromString(row.String("provider")),
                       domain::OrderId(row.String("order_id"))});
}

Result<std::optional<json>> LoadOrderView(Connection& db, const domain::OrderId& order_id) {
  // One snapshot (REPEATABLE READ): the order, its invoice and its payments agree.
  auto tx = db.Begin();
  if (!tx.ok()) return tx.error();
  auto orders =
      tx->Query(Sql("SELECT ", kOrderColumns, " FROM orders WHERE order_id = ?"), {order_id});
  if (!orders.ok()) return orders.error();
  if (orders->empty()) return std::optional<json>();
  const Row& o = orders->front();
  json view = OrderJson(o);

  auto invoices =
      tx->Query(Sql("SELECT ", kInvoiceColumns, " FROM invoices WHERE order_id = ?"), {order_id});
  if (!invoices.ok()) return invoices.error();
  if (!invoices->empty()) view["invoice"] = InvoiceJson(invoices->front());

  if (auto subscription_id = o.OptionalInt64("subscription_id")) {
    auto subscriptions =
        tx->Query(Sql("SELECT ", kSubscriptionColumns, " FROM subscriptions WHERE id = ?"),
                  {*subscription_id});
    if (!subscriptions.ok()) return subscriptions.error();
    if (!subscriptions->empty()) view["subscription"] = SubscriptionJson(subscriptions->front());
  }

  auto payments = tx->Query(
      "SELECT payment_key, provider, status, method, total_amount, balance_amount, approved_at, "
      "canceled_at FROM payments WHERE order_id = ? ORDER BY id",
      {order_id});
  if (!payments.ok()) return payments.error();
  view["payments"] = json::array();
  for (const Row& p : *payments) {
    view["payments"].push_back({{"paymentKey", p.String("payment_key")},
                                {"provider", p.String("provider")},
                                {"status", p.String("status")},
                                {"method", Text(p, "method")},
                                {"totalAmount", p.Int64("total_amount")},
                                {"balanceAmount", p.Int64("balance_amount")},
                                {"approvedAt", Time(p, "approved_at")},
                                {"canceledAt", Time(p, "canceled_at")}});
  }

  // Failed confirms leave no payment row, only attempts: they are how a storefront learns why.
  auto attempts = tx->Query(
      "SELECT kind, payment_key, outcome, attempt, http_status, error_code, error_message, "
      "latency_ms, started_at FROM payment_attempts WHERE order_id = ? ORDER BY id LIMIT " +
          std::to_string(kAttemptsShown),
      {order_id});
  if (!attempts.ok()) return attempts.error();
  view["attempts"] = json::array();
  for (const Row& a : *attempts) {
    json attempt = AttemptJson(a);
    attempt["paymentKey"] = Text(a, "payment_key");
    view["attempts"].push_back(std::move(attempt));
  }
  return std::optional<json>(std::move(view));
}

Result<std::optional<json>> LoadPaymentView(Connection& db, const domain::PaymentKey& payment_key) {
  auto tx = db.Begin();
  if (!tx.ok()) return tx.error();
  auto payments = tx->Query(
      "SELECT id, payment_key, provider, order_id, status, payment_type, method, total_amount, "
      "balance_amount, vat_amount, tax_free_amount, requested_at, approved_at, canceled_at, "
      "failure_code, failure_message, created_at, updated_at "
      "FROM payments WHERE payment_key = ? ORDER BY id LIMIT 1",
      {payment_key});
  if (!payments.ok()) return payments.error();
  if (payments->empty()) return std::optional<json>();
  const Row& p = payments->front();
  json view = {
      {"paymentKey", p.String("payment_key")},  {"provider", p.String("provider")},
      {"orderId", p.String("order_id")},        {"status", p.String("status")},
      {"type", Text(p, "payment_type")},        {"method", Text(p, "method")},
      {"totalAmount", p.Int64("total_amount")}, {"balanceAmount", p.Int64("balance_amount")},
      {"vatAmount", Number(p, "vat_amount")},   {"taxFreeAmount", p.Int64("tax_free_amount")},
      {"requestedAt", Time(p, "requested_at")}, {"approvedAt", Time(p, "approved_at")},
      {"canceledAt", Time(p, "canceled_at")},   {"failure", Failure(p)},
      {"createdAt", Time(p, "created_at")},     {"updatedAt", Time(p, "updated_at")}};

  auto cancels = tx->Query(
      "SELECT id, origin, request_key, reason, requested_amount, canceled_amount, status, "
      "attempts, failure_code, failure_message, requested_at, canceled_at "
      "FROM payment_cancels WHERE payment_id = ? ORDER BY id",
      {p.Int64("id")});
  if (!cancels.ok()) return cancels.error();
  view["cancels"] = json::array();
  for (const Row& c : *cancels) {
    view["cancels"].push_back({{"cancelId", c.Int64("id")},
                               {"origin", c.String("origin")},
                               {"idempotencyKey", Text(c, "request_key")},
                               {"reason", c.String("reason")},
                               {"requestedAmount", Number(c, "requested_amount")},
                               {"canceledAmount", Number(c, "canceled_amount")},
                               {"status", c.String("status")},
                               {"attempts", c.Int64("attempts")},
                               {"failure", Failure(c)},
                               {"requestedAt", Time(c, "requested_at")},
                               {"canceledAt", Time(c, "canceled_at")}});
  }

  auto attempts = tx->Query(
      "SELECT kind, outcome, attempt, http_status, error_code, error_message, latency_ms, "
      "started_at FROM payment_attempts WHERE payment_key = ? ORDER BY id LIMIT " +
          std::to_string(kAttemptsShown),
      {payment_key});
  if (!attempts.ok()) return attempts.error();
  view["attempts"] = json::array();
  for (const Row& a : *attempts) view["attempts"].push_back(AttemptJson(a));
  return std::optional<json>(std::move(view));
}

}  // namespace paypipe::gateway
