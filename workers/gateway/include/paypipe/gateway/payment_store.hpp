#pragma once

// The gateway's reads and writes of the payment tables (migrations/V2__payments.sql). Every
// function runs on a database thread with that thread's connection.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/gateway/requests.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/messages/fields.hpp"

namespace paypipe::gateway {

enum class CheckoutOutcome {
  kCreated,          // new order (and customer, invoice, subscription) committed
  kRepeated,         // the same checkout was registered before: nothing written
  kConflict,         // the order id is taken by a checkout with other content
  kUnknownPartner,   // partnerId names no partner
  kPartnerInactive,  // the partner is SUSPENDED or CLOSED
};

// The outcome of a checkout, with the new order's view (as LoadOrderView would read it) when it
// is kCreated; empty otherwise.
struct CheckoutResult {
  CheckoutOutcome outcome = CheckoutOutcome::kCreated;
  nlohmann::json view;
};

// Registers a checkout in one transaction: the customer if new, the order (CREATED), its ISSUED
// invoice, and a PENDING subscription when one is asked for. The inserts come first and return
// what the view shows, so a new checkout is neither looked up before nor read back after.
// Idempotent: a repeat with the same content is kRepeated, including when two identical
// requests race (the loser's duplicate key is read back and compared); a stored checkout is
// compared before its partner's state is looked at. Deadlocks and lock wait timeouts are
// retried a few times; other errors (DB_UNREACHABLE, DB_COMMIT_OUTCOME_UNKNOWN, ...) are
// returned as they are.
[[nodiscard]] domain::Result<CheckoutResult> CreateCheckout(infra::db::Connection& db,
                                                            const CheckoutRequest& request);

// What the confirm endpoint needs to know about an order.
struct OrderForConfirm {
  messages::Provider provider = messages::Provider::kToss;
  std::string stored_provider;  // as stored, in case it is not a known provider name
  domain::Money amount;
  std::string status;  // orders.status
};
[[nodiscard]] domain::Result<std::optional<OrderForConfirm>> FindOrderForConfirm(
    infra::db::Connection& db, const domain::OrderId& order_id);

// What the cancel endpoint needs to know about a payment.
struct PaymentForCancel {
  std::optional<messages::Provider> provider;
  domain::OrderId order_id;
};
[[nodiscard]] domain::Result<std::optional<PaymentForCancel>> FindPaymentForCancel(
    infra::db::Connection& db, const domain::PaymentKey& payment_key);

// GET /v1/orders/{orderId}: the order with its invoice, subscription, payments and PG calls, read
// in one consistent snapshot. nullopt when there is no such order.
[[nodiscard]] domain::Result<std::optional<nlohmann::json>> LoadOrderView(
    infra::db::Connection& db, const domain::OrderId& order_id);

// GET /v1/payments/{paymentKey}: the payment with its cancels and PG calls. nullopt when no
// payment has that key.
[[nodiscard]] domain::Result<std::optional<nlohmann::json>> LoadPaymentView(
    infra::db::Connection& db, const domain::PaymentKey& payment_key);

// "2026-03-01 10:00:00.123456" (DATETIME(6) as the server sends it, UTC) ->
// "2026-03-01T10:00:00.123456Z"; dates and other text are returned unchanged.
[[nodiscard]] std::string IsoTime(const std::string& datetime);

}  // namespace paypipe::gateway
