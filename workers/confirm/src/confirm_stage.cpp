#include "paypipe/confirm/confirm_stage.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <unordered_map>

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
    : clients_(std::move(settings)),
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

constexpr std::string_view kAttemptColumns =
    "INSERT INTO payment_attempts (provider, kind, order_id, payment_key, idempotency_key, "
    "message_id, attempt, http_method, endpoint, request, http_status, response, outcome, "
    "error_code, error_message, latency_ms, started_at) VALUES ";

// One PG call as made, for payment_attempts.
struct MadeCall {
  pg::PgReply reply;
  std::chrono::system_clock::time_point started;
};

struct Call {
  pg::PgReply reply;
  std::optional<PgErrorClass> failure;  // nullopt: succeeded
};

// One message on its way through PrepareBatch.
struct Preparation {
  const runtime::Envelope* message = nullptr;
  Target target;
  std::optional<std::string> stored_status;
  std::optional<domain::Result<json>> result;  // set once the message is decided
  std::vector<MadeCall> calls;                 // the PG calls made, in order
  std::optional<Call> outcome;                 // the last call's answer
  std::optional<domain::Error> call_error;     // the calls could not be made
};

void AppendAttempt(infra::db::Params& params, const Preparation& p, const MadeCall& made) {
  const pg::PgReply& reply = made.reply;
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
  const Target& target = p.target;
  const infra::db::Params row = {
      messages::ToString(target.provider),
      pg::ToString(reply.request.kind),
      target.order_id.empty() ? std::optional<std::string>() : target.order_id,
      target.payment_key,
      reply.request.idempotency_key.empty() ? std::optional<std::string>()
                                            : reply.request.idempotency_key,
      p.message->message_id.str(),
      p.message->attempt + 1,
      reply.request.method,
      reply.request.endpoint.substr(0, 255),
      reply.request.body,
      reply.http_status ? std::optional<std::int64_t>(*reply.http_status) : std::nullopt,
      reply.response,
      outcome,
      error_code,
      error_message,
      static_cast<std::int64_t>(reply.latency.count()),
      SqlDateTime(domain::Instant(
          std::chrono::duration_cast<std::chrono::microseconds>(made.started.time_since_epoch())))};
  params.insert(params.end(), row.begin(), row.end());
}

// The PG calls of these messages, recorded in payment_attempts with one statement of their own
// (the rows stay when the unit of work rolls back).
domain::Status InsertAttempts(infra::db::Connection& db, std::span<Preparation* const> called) {
  infra::db::Params params;
  std::size_t rows = 0;
  for (const Preparation* p : called) {
    for (const MadeCall& made : p->calls) {
      AppendAttempt(params, *p, made);
      ++rows;
    }
  }
  if (rows == 0) return domain::Ok();
  auto inserted = db.Execute(
      std::string(kAttemptColumns) +
          infra::db::Placeholders(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      params);
  if (!inserted.ok()) return inserted.error();
  return domain::Ok();
}

// One statement for the whole batch; a row the database refuses fails only its own message.
void RecordAttempts(infra::db::Connection& db, std::span<Preparation> batch) {
  std::vector<Preparation*> called;
  for (Preparation& p : batch) {
    if (!p.result && !p.calls.empty()) called.push_back(&p);
  }
  auto recorded = InsertAttempts(db, called);
  if (recorded.ok()) return;
  if (recorded.error().kind != domain::ErrorKind::kPermanent || called.size() == 1) {
    for (Preparation* p : called) p->result.emplace(recorded.error());
    return;
  }
  for (Preparation* p : called) {
    Preparation* one[] = {p};
    if (auto alone = InsertAttempts(db, one); !alone.ok()) p->result.emplace(alone.error());
  }
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

// The PG dialogue of one message; no database access (it runs on any thread). Only a Toss
// payment.confirm approves; everything else is read from the PG. A confirm that may have been
// tried before (a redelivery, a payment held UNKNOWN) looks up first and sends the confirm again
// (same Idempotency-Key) only when the PG still waits for it.
void TalkToPg(pg::PgClient& client, Preparation& p) {
  const Target& target = p.target;
  const domain::PgProvider provider = pg::PgProviderOf(target.provider);
  const std::string idempotency_key =
      pg::ConfirmIdempotencyKey(target.provider, target.payment_key);
  auto call = [&](bool confirm) {
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
      p.call_error = domain::Error::Permanent(std::string(kPgNotConfigured), reply.error_message);
      return false;
    }
    p.calls.push_back({reply, started});
    Call result{std::move(reply), std::nullopt};
    if (!result.reply.Succeeded()) {
      result.failure = domain::ClassifyPgFailure(provider, pg::FailureOf(result.reply));
    }
    p.outcome = std::move(result);
    return true;
  };
  const bool approve = target.confirm && provider == domain::PgProvider::kToss;
  const bool tried_before = p.message->attempt > 0 || p.stored_status == std::string("UNKNOWN");
  if (!call(approve && !tried_before)) return;
  if (approve && tried_before && !p.outcome->failure) {
    auto seen = pg::ParsePgPayment(provider, p.outcome->reply.response);
    if (seen.ok() && seen->observed.status == domain::PaymentStatus::kInProgress) {
      if (!call(true)) return;
    }
  }
  if (p.outcome->failure == PgErrorClass::kAlreadyProcessed) (void)call(false);
}

// What Handle is to apply, from the dialogue's last answer.
domain::Result<json> Conclude(infra::db::Connection& db, Preparation& p) {
  if (p.call_error) return *p.call_error;
  Target& target = p.target;
  const domain::PgProvider provider = pg::PgProviderOf(target.provider);
  const Call& outcome = *p.outcome;
  if (outcome.failure) {
    const auto failure = pg::FailureOf(outcome.reply);
    const domain::Error error = domain::ToError(provider, failure);
    switch (*outcome.failure) {
      case PgErrorClass::kDeclined:
        if (outcome.reply.request.kind != pg::CallKind::kConfirm) return error;
        return json{{"op", kDeclined},
                    {"orderId", target.order_id},
                    {"failure_code", error.code},
                    {"failure_message", failure.message.substr(0, 512)}};
      case PgErrorClass::kUnknownOutcome:
        if (outcome.reply.request.kind == pg::CallKind::kConfirm) {
          PAYPIPE_RETURN_IF_ERROR(MarkUnknown(db, target));
        }
        return domain::Error::Transient(error.code, error.message);
      case PgErrorClass::kAlreadyProcessed:
      case PgErrorClass::kTransient:
        return domain::Error::Transient(error.code, error.message);
    }
  }
  auto observed = pg::ParsePgPayment(provider, outcome.reply.response);
  if (!observed.ok()) return observed.error();
  if (target.order_id.empty()) target.order_id = observed->order_id;
  return json{{"op", kObserved}, {"orderId", target.order_id}, {"payment", pg::ToJson(*observed)}};
}

// Fails every message not decided yet with `error`.
void FailUndecided(std::span<Preparation> batch, const domain::Error& error) {
  for (Preparation& p : batch) {
    if (!p.result) p.result.emplace(error);
  }
}

// What we hold of each payment; a payment.verify whose webhook repeats it is decided here.
domain::Status ReadHeld(infra::db::Connection& db, std::span<Preparation> batch,
                        infra::metrics::Counter& verify_skipped) {
  infra::db::Params keys;
  for (const Preparation& p : batch) {
    if (!p.result) keys.emplace_back(p.target.payment_key);
  }
  if (keys.empty()) return domain::Ok();
  auto rows = db.Query(
      "SELECT provider, payment_key, status, order_id, last_verified_at FROM payments WHERE "
      "payment_key IN (" +
          infra::db::Placeholders(keys.size(), "?") + ")",
      keys);
  if (!rows.ok()) return rows.error();
  for (Preparation& p : batch) {
    if (p.result) continue;
    const infra::db::Row* found = nullptr;
    for (const auto& row : *rows) {
      if (row.String("payment_key") == p.target.payment_key &&
          row.String("provider") == messages::ToString(p.target.provider)) {
        found = &row;
        break;
      }
    }
    std::optional<domain::HeldPayment> held;
    if (found != nullptr) {
      p.stored_status = found->String("status");
      if (p.target.order_id.empty()) p.target.order_id = found->String("order_id");
      // A status or time that does not read back leaves `held` empty: look up.
      const auto status = domain::ParsePaymentStatus(*p.stored_status);
      const auto verified = found->OptionalString("last_verified_at");
      const auto verified_at = verified ? ParseSqlDateTime(*verified) : std::nullopt;
      if (status.ok() && verified.has_value() == verified_at.has_value()) {
        held = domain::HeldPayment{*status, verified_at};
      }
    }
    if (!p.target.confirm &&
        domain::DecideWebhookVerify(held, p.target.claim) == domain::VerifyAction::kSkip) {
      verify_skipped.Increment();
      p.result.emplace(json{{"op", kUnchanged}, {"orderId", p.target.order_id}});
    }
  }
  return domain::Ok();
}

// A confirm's amount against its order's: refused without calling the PG when they differ.
domain::Status CheckConfirms(infra::db::Connection& db, std::span<Preparation> batch) {
  infra::db::Params order_ids;
  for (const Preparation& p : batch) {
    if (!p.result && p.target.confirm) order_ids.emplace_back(p.target.order_id);
  }
  if (order_ids.empty()) return domain::Ok();
  auto rows = db.Query("SELECT order_id, amount FROM orders WHERE order_id IN (" +
                           infra::db::Placeholders(order_ids.size(), "?") + ")",
                       order_ids);
  if (!rows.ok()) return rows.error();
  for (Preparation& p : batch) {
    if (p.result || !p.target.confirm) continue;
    const infra::db::Row* order = nullptr;
    for (const auto& row : *rows) {
      if (row.String("order_id") == p.target.order_id) order = &row;
    }
    if (order == nullptr) {
      p.result.emplace(domain::Error::Permanent(
          std::string(kOrderNotFound), "no order " + p.target.order_id + " for the confirm"));
      continue;
    }
    const auto check = domain::CheckConfirmRequest(domain::Money::Krw(order->Int64("amount")),
                                                   *p.target.requested_amount);
    if (check.action != domain::AmountAction::kProceed) {
      const auto error = domain::AmountMismatchError(check);
      p.result.emplace(json{{"op", kRefused},
                            {"orderId", p.target.order_id},
                            {"failure_code", error.code},
                            {"failure_message", error.message}});
    }
  }
  return domain::Ok();
}

// The PG dialogues of the messages not decided yet, up to kMaxConcurrentPgCalls at a time.
void TalkToPgConcurrently(pg::PgClientPool& clients, std::span<Preparation> batch) {
  // Messages about one payment keep their order on one thread; payments go in parallel.
  std::vector<std::vector<Preparation*>> groups;
  std::unordered_map<std::string, std::size_t> group_of;
  for (Preparation& p : batch) {
    if (p.result) continue;
    const std::string key =
        std::string(messages::ToString(p.target.provider)) + '\n' + p.target.payment_key;
    auto [it, added] = group_of.try_emplace(key, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(&p);
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    auto client = clients.Acquire();
    for (std::size_t g = next++; g < groups.size(); g = next++) {
      for (Preparation* p : groups[g]) {
        try {
          TalkToPg(*client, *p);
        } catch (const std::exception& e) {
          p->call_error = domain::Error::Permanent(std::string(runtime::kStageException), e.what());
        }
      }
    }
  };
  const std::size_t threads = std::min(groups.size(), kMaxConcurrentPgCalls);
  std::vector<std::jthread> helpers;
  for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
}

}  // namespace

std::vector<domain::Result<json>> ConfirmStage::PrepareBatch(
    std::span<const runtime::Envelope* const> messages, runtime::PrepareContext& context) const {
  std::vector<Preparation> batch(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    batch[i].message = messages[i];
    auto target = TargetOf(*messages[i]);
    if (target.ok()) {
      batch[i].target = std::move(target).value();
    } else {
      batch[i].result.emplace(target.error());
    }
  }
  infra::db::Connection& db = context.Db();
  auto finish = [&] {
    std::vector<domain::Result<json>> out;
    out.reserve(batch.size());
    for (Preparation& p : batch) out.push_back(std::move(*p.result));
    return out;
  };
  if (auto read = ReadHeld(db, batch, verify_skipped_); !read.ok()) {
    FailUndecided(batch, read.error());
  }
  if (auto checked = CheckConfirms(db, batch); !checked.ok()) {
    FailUndecided(batch, checked.error());
  }
  TalkToPgConcurrently(clients_, batch);
  RecordAttempts(db, batch);
  for (Preparation& p : batch) {
    if (!p.result) p.result.emplace(Conclude(db, p));
  }
  return finish();
}

domain::Result<json> ConfirmStage::Prepare(const runtime::Envelope& message,
                                           runtime::PrepareContext& context) const {
  const runtime::Envelope* one[] = {&message};
  return std::move(PrepareBatch(one, context).front());
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

domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> ConfirmStage::HandleBatch(
    std::span<const runtime::Envelope* const> messages, runtime::UnitOfWork& work) const {
  std::vector<Target> targets;
  targets.reserve(messages.size());
  for (const runtime::Envelope* message : messages) {
    auto target = TargetOf(*message);
    if (!target.ok()) return target.error();
    if (!message->prepared.is_object()) {
      return domain::Error::Permanent(std::string(kPreparedMissing), "Prepare did not run");
    }
    targets.push_back(std::move(target).value());
  }
  return ApplyPreparedBatch(messages, targets, work);
}

}  // namespace paypipe::confirm
