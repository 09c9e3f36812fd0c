#include "paypipe/webhook_intake/webhook_intake_stage.hpp"

#include <nlohmann/json.hpp>

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

domain::Result<Messages> WebhookIntakeStage::Handle(const runtime::Envelope& message,
                                                    runtime::UnitOfWork& work) const {
  auto webhook = messages::ParseWebhookReceived(message.body);
  if (!webhook.ok()) return webhook.error();
  auto parsed = ParseWebhook(*webhook);
  if (!parsed.ok()) return parsed.error();
  infra::db::Transaction& db = work.Db();

  std::string verification =
      webhook->verification == messages::WebhookVerification::kSignature ? "SIGNATURE" : "REFETCH";
  if (parsed->event_type == "DEPOSIT_CALLBACK") {
    auto checked = CheckDeposit(db, *parsed);
    if (!checked.ok()) return checked.error();
    verification = *checked;
  }
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : webhook->headers) headers[name] = value;
  auto inserted = db.Execute(
      "INSERT IGNORE INTO webhook_events (provider, event_key, event_type, payment_key, order_id, "
      "message_id, verification, headers, body, content_type, received_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {messages::ToString(webhook->format), parsed->event_key.substr(0, 512),
       parsed->event_type.substr(0, 128),
       parsed->payment_key.empty() ? std::nullopt
                                   : std::optional(parsed->payment_key.substr(0, 200)),
       parsed->order_id.empty() ? std::nullopt : std::optional(parsed->order_id.substr(0, 64)),
       message.message_id.str(), verification, headers.dump(), infra::db::Bytes{webhook->body},
       webhook->content_type.substr(0, 128),
       messages::FormatWebhookTime(webhook->received_at).substr(0, 23)});
  if (!inserted.ok()) return inserted.error();
  if (*inserted == 0 || !parsed->verify) return Messages{};  // a duplicate, or nothing to verify
  return Messages{messages::ToOutgoing(*parsed->verify)};
}

}  // namespace paypipe::webhook_intake
