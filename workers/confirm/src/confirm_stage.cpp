#include "paypipe/confirm/confirm_stage.hpp"

#include <chrono>

#include "paypipe/domain/amount_check.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/messages/payment_confirm.hpp"
#include "paypipe/messages/payment_verify.hpp"
#include "paypipe/pg/pg_mapping.hpp"
#include "sql_time.hpp"
#include "target.hpp"

namespace paypipe::confirm {

using domain::PgErrorClass;
using nlohmann::json;

ConfirmStage::ConfirmStage(pg::PgSettings settings, infra::metrics::Registry& metrics)
    : settings_(std::move(settings)),
      verify_skipped_(
          metrics
              .AddCounter({.name = std::string(kVerifySkippedMetric),
                           .help = "payment.verify look-ups skipped because the payment already "
                                   "holds, from the PG, the status its webhook claims."})
              .Get()) {}

std::vector<runtime::MessageTypeSpec> ConfirmStage::AcceptedTypes() const {
  return {messages::PaymentConfirmSpec(), messages::PaymentVerifySpec()};
}

domain::Result<Target> TargetOf(const runtime::Envelope& message) {
  Target target;
  if (message.type == messages::kPaymentConfirmType) {
    auto confirm = messages::ParsePaymentConfirm(message.body);
    if (!confirm.ok()) return confirm.error();
    target.provider = confirm->provider;
    target.payment_key = confirm->payment_key.str();
    target.order_id = confirm->order_id.str();
    target.requested_amount = confirm->amount;
    target.confirm = true;
  } else {
    auto verify = messages::ParsePaymentVerify(message.body);
    if (!verify.ok()) return verify.error();
    target.provider = verify->provider;
    target.payment_key = verify->payment_key.str();
    if (verify->order_id) target.order_id = verify->order_id->str();
    if (verify->claimed_status) {
      target.claim = domain::WebhookClaim{*verify->claimed_status, std::nullopt};
      if (verify->event_at) target.claim->event_at = domain::Instant(*verify->event_at);
    }
  }
  return target;
}

namespace {

// One PG call, recorded in payment_attempts whatever happens next (its own statement: it stays
// when the unit of work rolls back).
domain::Status RecordAttempt(infra::db::Connection& db, const runtime::Envelope& message,
                             const Target& target, const pg::PgReply& reply,
                             std::chrono::system_clock::time_point started) {
  std::string outcome = "SUCCEEDED";
  std::optional<std::string> error_code;
  std::optional<std::string> error_message;
  if (!reply.Succeeded()) {
    const auto failure = pg::FailureOf(reply);
    outcome = domain::AttemptOutcome(domain::ClassifyPgFailure(reply.provider, failure));
    error_code = failure.code.empty() ? reply.error_code : failure.code;
    if (error_code->empty()) error_code = domain::ToError(reply.provider, failure).code;
    error_message = failure.message.substr(0, 1024);
  }
  auto inserted = db.Execute(
      "INSERT INTO payment_attempts (provider, kind, order_id, payment_key, idempotency_key, "
      "message_id, attempt, http_method, endpoint, request, http_status, response, outcome, "
      "error_code, error_message, latency_ms, started_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {messages::ToString(target.provider), pg::ToString(reply.request.kind),
       target.order_id.empty() ? std::optional<std::string>() : target.order_id, target.payment_key,
       reply.request.idempotency_key.empty() ? std::optional<std::string>()
                                             : reply.request.idempotency_key,
       message.message_id.str(), message.attempt + 1, reply.request.method,
       reply.request.endpoint.substr(0, 255), reply.request.body,
       reply.http_status ? std::optional<std::int64_t>(*reply.http_status) : std::nullopt,
       reply.response, outcome, error_code, error_message,
       static_cast<std::int64_t>(reply.latency.count()),
       SqlDateTime(domain::Instant(
           std::chrono::duration_cast<std::chrono::microseconds>(started.time_since_epoch())))});
  if (!inserted.ok()) return inserted.error();
  return domain::Ok();
}

// The confirm's outcome is unknown: hold the payment as UNKNOWN until a look-up says more. Only
// a payment that is not past its confirm moves (a late timeout never hides a DONE).
domain::Status MarkUnknown(infra::db::Connection& db, const Target& target) {
  auto marked = db.Execute(
      "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
      "balance_amount) SELECT ?, ?, order_id, partner_id, 'UNKNOWN', amount, amount FROM orders "
      "WHERE order_id = ? ON DUPLICATE KEY UPDATE payments.status = IF(payments.status IN "
      "('READY', "
      "'IN_PROGRESS', 'UNKNOWN'), 'UNKNOWN', payments.status)",
      {messages::ToString(target.provider), target.payment_key, target.order_id});
  if (!marked.ok()) return marked.error();
  return domain::Ok();
}

struct Call {
  pg::PgReply reply;
  std::optional<PgErrorClass> failure;  // nullopt: succeeded
};

}  // namespace

domain::Result<json> ConfirmStage::Prepare(const runtime::Envelope& message,
                                           runtime::PrepareContext& context) const {
  auto parsed = TargetOf(message);
  if (!parsed.ok()) return parsed.error();
  Target target = std::move(parsed).value();
  infra::db::Connection& db = context.Db();

  std::optional<std::string> stored_status;
  std::optional<domain::HeldPayment> held;
  auto payment = db.Query(
      "SELECT status, order_id, last_verified_at FROM payments WHERE payment_key = ? AND "
      "provider = ?",
      {target.payment_key, messages::ToString(target.provider)});
  if (!payment.ok()) return payment.error();
  if (!payment->empty()) {
    const auto& row = payment->front();
    stored_status = row.String("status");
    if (target.order_id.empty()) target.order_id = row.String("order_id");
    // A status or time that does not read back leaves `held` empty: look up.
    const auto status = domain::ParsePaymentStatus(*stored_status);
    const auto verified = row.OptionalString("last_verified_at");
    const auto verified_at = verified ? ParseSqlDateTime(*verified) : std::nullopt;
    if (status.ok() && verified.has_value() == verified_at.has_value()) {
      held = domain::HeldPayment{*status, verified_at};
    }
  }
  if (!target.confirm &&
      domain::DecideWebhookVerify(held, target.claim) == domain::VerifyAction::kSkip) {
    verify_skipped_.Increment();
    return json{{"op", kUnchanged}, {"orderId", target.order_id}};
  }
  if (target.confirm) {
    auto order = db.Query("SELECT amount FROM orders WHERE order_id = ?", {target.order_id});
    if (!order.ok()) return order.error();
    if (order->empty()) {
      return domain::Error::Permanent(std::string(kOrderNotFound),
                                      "no order " + target.order_id + " for the confirm");
    }
    const auto check = domain::CheckConfirmRequest(
        domain::Money::Krw(order->front().Int64("amount")), *target.requested_amount);
    if (check.action != domain::AmountAction::kProceed) {
      const auto error = domain::AmountMismatchError(check);
      return json{{"op", kRefused},
                  {"orderId", target.order_id},
                  {"failure_code", error.code},
                  {"failure_message", error.message}};
    }
  }

  pg::PgClient client(settings_);
  const domain::PgProvider provider = pg::PgProviderOf(target.provider);
  const std::string idempotency_key =
      pg::ConfirmIdempotencyKey(target.provider, target.payment_key);
  auto call = [&](bool confirm) -> domain::Result<Call> {
    const auto started = std::chrono::system_clock::now();
    pg::PgReply reply;
    if (confirm) {
      reply = client.TossConfirm(target.payment_key, target.order_id, *target.requested_amount,
                                 idempotency_key);
    } else if (provider == domain::PgProvider::kToss) {
      reply = client.TossLookup(target.payment_key);
    } else if (provider == domain::PgProvider::kPortOneV2) {
      reply = client.PortOneV2Lookup(target.payment_key);
    } else {
      reply = client.PortOneV1Lookup(target.payment_key);
    }
    if (reply.error_code == kPgNotConfigured) {
      return domain::Error::Permanent(std::string(kPgNotConfigured), reply.error_message);
    }
    PAYPIPE_RETURN_IF_ERROR(RecordAttempt(db, message, target, reply, started));
    Call result{std::move(reply), std::nullopt};
    if (!result.reply.Succeeded()) {
      result.failure = domain::ClassifyPgFailure(provider, pg::FailureOf(result.reply));
    }
    return result;
  };

  // Only a Toss payment.confirm approves; everything else is read from the PG. A confirm that
  // may have been tried before (a redelivery, a payment held UNKNOWN) looks up first and sends
  // the confirm again (same Idempotency-Key) only when the PG still waits for it.
  const bool approve = target.confirm && provider == domain::PgProvider::kToss;
  const bool tried_before = message.attempt > 0 || stored_status == std::string("UNKNOWN");
  auto outcome = call(approve && !tried_before);
  if (!outcome.ok()) return outcome.error();
  if (approve && tried_before && !outcome->failure) {
    auto seen = pg::ParsePgPayment(provider, outcome->reply.response);
    if (seen.ok() && seen->observed.status == domain::PaymentStatus::kInProgress) {
      outcome = call(true);
      if (!outcome.ok()) return outcome.error();
    }
  }
  if (outcome->failure == PgErrorClass::kAlreadyProcessed) {
    outcome = call(false);
    if (!outcome.ok()) return outcome.error();
  }
  if (outcome->failure) {
    const auto failure = pg::FailureOf(outcome->reply);
    const domain::Error error = domain::ToError(provider, failure);
    switch (*outcome->failure) {
      case PgErrorClass::kDeclined:
        if (outcome->reply.request.kind != pg::CallKind::kConfirm) return error;
        return json{{"op", kDeclined},
                    {"orderId", target.order_id},
                    {"failure_code", error.code},
                    {"failure_message", failure.message.substr(0, 512)}};
      case PgErrorClass::kUnknownOutcome:
        if (outcome->reply.request.kind == pg::CallKind::kConfirm) {
          PAYPIPE_RETURN_IF_ERROR(MarkUnknown(db, target));
        }
        return domain::Error::Transient(error.code, error.message);
      case PgErrorClass::kAlreadyProcessed:
      case PgErrorClass::kTransient:
        return domain::Error::Transient(error.code, error.message);
    }
  }
  auto observed = pg::ParsePgPayment(provider, outcome->reply.response);
  if (!observed.ok()) return observed.error();
  if (target.order_id.empty()) target.order_id = observed->order_id;
  return json{{"op", kObserved}, {"orderId", target.order_id}, {"payment", pg::ToJson(*observed)}};
}

domain::Result<std::vector<runtime::OutgoingMessage>> ConfirmStage::Handle(
    const runtime::Envelope& message, runtime::UnitOfWork& work) const {
  auto target = TargetOf(message);
  if (!target.ok()) return target.error();
  if (!message.prepared.is_object()) {
    return domain::Error::Permanent(std::string(kPreparedMissing), "Prepare did not run");
  }
  // A look-up Prepare skipped: we already hold what the webhook says; nothing to write.
  if (message.prepared.value("op", "") == kUnchanged) {
    return std::vector<runtime::OutgoingMessage>{};
  }
  return ApplyPrepared(message, *target, work);
}

}  // namespace paypipe::confirm
