#include "paypipe/webhook_intake/webhook_intake_stage.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <span>

#include "paypipe/infra/db/connection.hpp"
#include "paypipe/webhook_intake/webhook_parser.hpp"

namespace paypipe::webhook_intake {

using Messages = std::vector<runtime::OutgoingMessage>;

std::vector<runtime::MessageTypeSpec> WebhookIntakeStage::AcceptedTypes() const {
  return {messages::WebhookReceivedSpec()};
}

namespace {

// A Toss deposit callback names only the order: find the payment and check the callback's
// secret against the one the PG returned when it issued the virtual account (kept in
// pg_snapshot). Returns the verification to record.
domain::Result<std::string> CheckDeposit(infra::db::Transaction& db, ParsedWebhook& parsed) {
  auto rows = db.Query(
      "SELECT payment_key, JSON_UNQUOTE(JSON_EXTRACT(pg_snapshot, '$.secret')) AS secret "
      "FROM payments WHERE order_id = ? AND provider = 'toss'",
      {parsed.order_id});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::string("REFETCH");  // not known yet: recorded only
  const auto& row = rows->front();
  parsed.payment_key = row.String("payment_key");
  const auto secret = row.OptionalString("secret");
  if (secret && !secret->empty() && *secret != "null" && *secret != parsed.deposit_secret) {
    return domain::Error::Permanent(std::string(kWebhookSecretMismatch),
                                    "deposit callback secret differs from the payment's");
  }
  messages::PaymentVerify verify;
  verify.provider = messages::Provider::kToss;
  verify.payment_key = domain::PaymentKey(parsed.payment_key);
  verify.order_id = domain::OrderId(parsed.order_id);
  verify.reason = "webhook:DEPOSIT_CALLBACK";
  parsed.verify = std::move(verify);
  return std::string(secret && !secret->empty() && *secret != "null" ? "SECRET" : "REFETCH");
}

}  // namespace

namespace {

constexpr const char* kInsertEvents =
    "INSERT IGNORE INTO webhook_events (provider, event_key, event_type, payment_key, order_id, "
    "message_id, verification, headers, body, content_type, received_at) VALUES ";
constexpr const char* kEventRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// One webhook parsed and ready to store.
struct Event {
  const runtime::Envelope* message = nullptr;
  messages::WebhookReceived webhook;
  ParsedWebhook parsed;
  std::string verification;
};

domain::Result<Event> ParseEvent(const runtime::Envelope& message) {
  auto webhook = messages::ParseWebhookReceived(message.body);
  if (!webhook.ok()) return webhook.error();
  auto parsed = ParseWebhook(*webhook);
  if (!parsed.ok()) return parsed.error();
  Event event{&message, std::move(webhook).value(), std::move(parsed).value(), ""};
  event.verification = event.webhook.verification == messages::WebhookVerification::kSignature
                           ? "SIGNATURE"
                           : "REFETCH";
  return event;
}

void AppendEventRow(infra::db::Params& params, const Event& event) {
  const auto& webhook = event.webhook;
  const auto& parsed = event.parsed;
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : webhook.headers) headers[name] = value;
  const infra::db::Params row = {
      messages::ToString(webhook.format),
      parsed.event_key.substr(0, 512),
      parsed.event_type.substr(0, 128),
      parsed.payment_key.empty() ? std::nullopt : std::optional(parsed.payment_key.substr(0, 200)),
      parsed.order_id.empty() ? std::nullopt : std::optional(parsed.order_id.substr(0, 64)),
      event.message->message_id.str(),
      event.verification,
      headers.dump(),
      infra::db::Bytes{webhook.body},
      webhook.content_type.substr(0, 128),
      messages::FormatWebhookTime(webhook.received_at).substr(0, 23)};
  params.insert(params.end(), row.begin(), row.end());
}

Messages Emitted(const Event& event) {
  if (!event.parsed.verify) return {};  // nothing to verify
  return Messages{messages::ToOutgoing(*event.parsed.verify)};
}

// Which of `events`, all just offered to INSERT IGNORE, are stored under their own message id
// (the others repeat an event stored before, or earlier in the batch).
domain::Result<std::vector<bool>> StoredByThem(infra::db::Transaction& db,
                                               std::span<const Event> events) {
  std::map<std::string, std::vector<std::size_t>> by_provider;
  for (std::size_t k = 0; k < events.size(); ++k) {
    by_provider[messages::ToString(events[k].webhook.format)].push_back(k);
  }
  std::vector<bool> stored(events.size(), false);
  for (const auto& [provider, indexes] : by_provider) {
    infra::db::Params params = {provider};
    for (const std::size_t k : indexes) {
      params.emplace_back(events[k].parsed.event_key.substr(0, 512));
    }
    auto rows =
        db.Query("SELECT message_id FROM webhook_events WHERE provider = ? AND event_key IN (" +
                     infra::db::Placeholders(indexes.size(), "?") + ")",
                 params);
    if (!rows.ok()) return rows.error();
    for (const std::size_t k : indexes) {
      for (const auto& row : *rows) {
        if (row.OptionalString("message_id") == events[k].message->message_id.str()) {
          stored[k] = true;
        }
      }
    }
  }
  return stored;
}

// Stores one event with a statement of its own; a deposit callback is first checked against its
// payment.
domain::Result<Messages> StoreOne(infra::db::Transaction& db, Event& event) {
  if (event.parsed.event_type == "DEPOSIT_CALLBACK") {
    auto checked = CheckDeposit(db, event.parsed);
    if (!checked.ok()) return checked.error();
    event.verification = *checked;
  }
  infra::db::Params params;
  AppendEventRow(params, event);
  auto inserted = db.Execute(std::string(kInsertEvents) + kEventRow, params);
  if (!inserted.ok()) return inserted.error();
  if (*inserted == 0) return Messages{};  // a duplicate
  return Emitted(event);
}

}  // namespace

domain::Result<Messages> WebhookIntakeStage::Handle(const runtime::Envelope& message,
                                                    runtime::UnitOfWork& work) const {
  auto event = ParseEvent(message);
  if (!event.ok()) return event.error();
  return StoreOne(work.Db(), *event);
}

domain::Result<std::vector<Messages>> WebhookIntakeStage::HandleBatch(
    std::span<const runtime::Envelope* const> messages, runtime::UnitOfWork& work) const {
  std::vector<Messages> out(messages.size());
  std::vector<Event> events;
  std::vector<std::size_t> index_of;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto event = ParseEvent(*messages[i]);
    if (!event.ok()) return event.error();
    if (event->parsed.event_type == "DEPOSIT_CALLBACK") {
      // Checked against its payment: stored on its own.
      auto stored = StoreOne(work.Db(), *event);
      if (!stored.ok()) return stored.error();
      out[i] = std::move(stored).value();
      continue;
    }
    events.push_back(std::move(event).value());
    index_of.push_back(i);
  }
  if (events.empty()) return out;
  infra::db::Params params;
  for (const Event& event : events) AppendEventRow(params, event);
  infra::db::Transaction& db = work.Db();
  auto inserted = db.Execute(
      std::string(kInsertEvents) + infra::db::Placeholders(events.size(), kEventRow), params);
  if (!inserted.ok()) return inserted.error();
  std::vector<bool> stored(events.size(), true);
  if (*inserted != events.size()) {
    auto which = StoredByThem(db, events);
    if (!which.ok()) return which.error();
    stored = std::move(which).value();
  }
  for (std::size_t k = 0; k < events.size(); ++k) {
    if (stored[k]) out[index_of[k]] = Emitted(events[k]);
  }
  return out;
}

}  // namespace paypipe::webhook_intake
