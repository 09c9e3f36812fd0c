// The webhook-intake stage on the runtime worker, consuming `webhook.received` from the real
// broker (production topology) and writing to a migrated MariaDB: every documented body shape
// ends as its audit row and its `payment.verify` (or none), a webhook delivered twice changes
// nothing the second time, and garbled bodies, forged deposit callbacks and unknown schema
// versions are parked with their reasons while the worker goes on with the next messages.
// Verify messages are read as JSON off the wire, as the confirm stage would receive them.
#include "paypipe/webhook_intake/webhook_intake_stage.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/messages/webhook_received.hpp"
#include "paypipe/runtime/amqp_ports.hpp"
#include "paypipe/runtime/envelope.hpp"
#include "paypipe/testing/runtime_fixture.hpp"
#include "paypipe/webhook_intake/webhook_parser.hpp"

namespace paypipe::webhook_intake::test {
namespace {

using namespace std::chrono_literals;
using messages::WebhookFormat;
using messages::WebhookReceived;
using nlohmann::json;
using runtime::test::Eventually;

const std::string kConfirmQueue = "paypipe.confirm";
const std::string kDeadLetterQueue = "paypipe.webhook-intake.dlq";
constexpr std::string_view kStage = "webhook-intake";

// 2026-03-01T01:00:00.123Z, when the gateway received every webhook of these tests.
const messages::WebhookTime kReceivedAt =
    messages::WebhookTime(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1)) + 1h + 123ms;

WebhookReceived Webhook(WebhookFormat format, std::string body,
                        std::string content_type = "application/json") {
  WebhookReceived webhook;
  webhook.format = format;
  webhook.received_at = kReceivedAt;
  webhook.remote_address = "203.0.113.7:50123";
  webhook.content_type = content_type;
  webhook.headers = {{"content-type", std::move(content_type)}, {"user-agent", "pg-sender/1.0"}};
  webhook.body = std::move(body);
  return webhook;
}

WebhookReceived Toss(const json& body, const std::string& transmission_id = "tx-0") {
  WebhookReceived webhook = Webhook(WebhookFormat::kToss, body.dump());
  webhook.headers["tosspayments-webhook-transmission-id"] = transmission_id;
  webhook.headers["tosspayments-webhook-transmission-retried-count"] = "0";
  return webhook;
}

json TossPaymentEvent(const std::string& key, const std::string& order, const std::string& status,
                      const std::string& transaction,
                      const std::string& created = "2026-03-01T10:00:00.123456") {
  return {{"eventType", "PAYMENT_STATUS_CHANGED"},
          {"createdAt", created},
          {"data",
           {{"paymentKey", key},
            {"orderId", order},
            {"status", status},
            {"lastTransactionKey", transaction},
            {"totalAmount", 15000}}}};
}

json DepositCallback(const std::string& order, const std::string& secret) {
  return {{"createdAt", "2026-03-01T10:00:00.000"},
          {"secret", secret},
          {"status", "DONE"},
          {"transactionKey", "txva_" + order},
          {"orderId", order}};
}

// A PortOne V2 webhook whose Standard Webhooks signature the gateway verified.
WebhookReceived PortOneV2(const std::string& type, const std::string& payment_id,
                          const std::string& webhook_id, std::int64_t timestamp = 1'772'326'800) {
  json data = {{"storeId", "store-1"}, {"paymentId", payment_id}, {"transactionId", "tx-" + type}};
  if (type.find("ancel") != std::string::npos) data["cancellationId"] = "cn-" + payment_id;
  WebhookReceived webhook =
      Webhook(WebhookFormat::kPortOneV2,
              json{{"type", type}, {"timestamp", "2026-03-01T01:00:00Z"}, {"data", data}}.dump());
  webhook.headers["webhook-id"] = webhook_id;
  webhook.headers["webhook-timestamp"] = std::to_string(timestamp);
  webhook.headers["webhook-signature"] = "v1,c2lnbmF0dXJl";
  webhook.verification = messages::WebhookVerification::kSignature;
  webhook.webhook_id = webhook_id;
  webhook.webhook_timestamp = timestamp;
  return webhook;
}

// The payment.verify the stage must emit: its wire body.
json Verify(const std::string& provider, const std::string& key,
            const std::optional<std::string>& order, const std::string& reason) {
  json body = {{"schema_version", 1}, {"provider", provider}, {"paymentKey", key}};
  if (order) body["orderId"] = *order;
  body["reason"] = reason;
  return body;
}

// A verify carrying what its webhook claims: the status in payments.status names and the event's
// time (UTC, milliseconds) when the body has one.
json Claiming(json verify, const std::string& status, const std::optional<std::string>& at) {
  verify["claimedStatus"] = status;
  if (at) verify["eventAt"] = *at;
  return verify;
}

// What one webhook must become.
struct Expected {
  std::string event_type;
  std::string event_key;
  std::optional<std::string> payment_key;  // the audit row's (NULL when nullopt)
  std::optional<std::string> order_id;
  std::string verification;  // REFETCH, SECRET, SIGNATURE
  std::optional<json> verify;
};

struct Case {
  std::string name;
  WebhookReceived webhook;
  std::string correlation_id;  // as the gateway sets it: the order or payment the body names
  Expected expected;
};

class WebhookIntakeStageTest : public runtime::test::WorkerTest {
 protected:
  WebhookIntakeStageTest() : WorkerTest(runtime::topology::TopologySpec::Default()) {
    // A virtual-account payment whose issue answer carried the deposit secret.
    for (const char* sql :
         {"INSERT INTO partners (partner_id, name, fee_rate_bps) VALUES ('partner-1', 'P', 250)",
          "INSERT INTO customers (customer_id) VALUES ('customer-1')",
          "INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount) "
          "VALUES ('order-va-0001', 'Order', 'partner-1', 'customer-1', 'toss', 30000)",
          "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, "
          "total_amount, balance_amount, pg_snapshot) VALUES ('toss', 'tvirt_0001', "
          "'order-va-0001', 'partner-1', 'WAITING_FOR_DEPOSIT', 30000, 30000, "
          "'{\"secret\": \"ps_right_secret\"}')"}) {
      runtime::test::ExecuteOrThrow(*db_, sql);
    }
    StartStage(stage_, runtime::topology::TopologySpec::Default(), Options());
  }

  ~WebhookIntakeStageTest() override { StopWorker(); }

  // Publishes each webhook as the gateway does; returns the message ids in order.
  std::vector<std::string> Deliver(const std::vector<std::pair<WebhookReceived, std::string>>& in) {
    std::vector<runtime::OutboundMessage> out;
    std::vector<std::string> ids;
    for (const auto& [webhook, correlation] : in) {
      out.push_back(messages::BuildWebhookReceived(webhook, correlation));
      ids.push_back(out.back().message.message_id);
    }
    Publish(out);
    return ids;
  }

  const runtime::StageStats& Stats() const { return *worker_->Stats(kStage); }

  // Every delivery settled (committed, recognised as a duplicate or parked) and its follow-ups
  // published.
  void AwaitHandled(std::uint64_t deliveries) {
    ASSERT_TRUE(Eventually([&] {
      return Stats().acked.load() >= deliveries && UnpublishedOutbox() == 0;
    })) << "acked "
        << Stats().acked.load() << " of " << deliveries;
  }

  // The payment.verify messages on the confirm queue by paymentKey, after checking that there
  // are exactly `count` of them and that each is a well-formed derived message.
  std::map<std::string, runtime::WireMessage> Verifies(std::size_t count) {
    std::map<std::string, runtime::WireMessage> out;
    const auto deliveries = Drain(kConfirmQueue, count + 1, 1s);
    EXPECT_EQ(deliveries.size(), count) << "payment.verify messages";
    for (const auto& delivery : deliveries) {
      runtime::WireMessage message = runtime::FromAmqp(delivery).message;
      EXPECT_EQ(message.type, "payment.verify");
      EXPECT_EQ(runtime::AttemptOf(message), 0);
      const json body = json::parse(message.body, nullptr, false);
      EXPECT_TRUE(body.is_object()) << message.body;
      const std::string key = body.is_object() ? body.value("paymentKey", "") : "";
      EXPECT_FALSE(out.contains(key)) << "two verifies for " << key;
      out[key] = std::move(message);
    }
    return out;
  }

  // The audit row the webhook carried by `message_id` left, as JSON (null when there is none).
  json Row(const std::string& message_id) {
    auto rows = db_->Query(
        "SELECT provider, event_key, event_type, payment_key, order_id, verification, headers, "
        "body, content_type, DATE_FORMAT(received_at, '%Y-%m-%dT%H:%i:%s.%f') AS received "
        "FROM webhook_events WHERE message_id = ?",
        {message_id});
    if (!rows.ok()) throw std::runtime_error(rows.error().ToString());
    if (rows->empty()) return nullptr;
    const auto& row = rows->front();
    const auto optional = [](const std::optional<std::string>& value) {
      return value ? json(*value) : json(nullptr);
    };
    return {{"provider", row.String("provider")},
            {"event_key", row.String("event_key")},
            {"event_type", row.String("event_type")},
            {"payment_key", optional(row.OptionalString("payment_key"))},
            {"order_id", optional(row.OptionalString("order_id"))},
            {"verification", row.String("verification")},
            {"headers", json::parse(row.String("headers"))},
            {"body", row.String("body")},
            {"content_type", row.String("content_type")},
            {"received_at", row.String("received")}};
  }

  std::int64_t EventRows() { return Scalar("SELECT COUNT(*) FROM webhook_events"); }

  WebhookIntakeStage stage_;
};

std::vector<Case> DocumentedShapes() {
  std::vector<Case> cases;
  const auto toss = [](const std::string& key, const std::optional<std::string>& order,
                       const std::string& reason) { return Verify("toss", key, order, reason); };

  cases.push_back(
      {"toss PAYMENT_STATUS_CHANGED",
       Toss(TossPaymentEvent("tgen_20260301aaaa", "order-ps-0001", "DONE", "txrd_a01")),
       "order-ps-0001",
       {"PAYMENT_STATUS_CHANGED", "PAYMENT_STATUS_CHANGED:tgen_20260301aaaa:DONE:txrd_a01",
        "tgen_20260301aaaa", "order-ps-0001", "REFETCH",
        // createdAt 10:00:00.123456 KST, rounded up.
        Claiming(toss("tgen_20260301aaaa", "order-ps-0001", "webhook:PAYMENT_STATUS_CHANGED"),
                 "DONE", "2026-03-01T01:00:00.124Z")}});
  // A deposit callback names only the order: the stage finds the payment, when it knows it.
  const auto deposit = [&](const std::string& what, const std::string& order,
                           const std::string& secret, const std::optional<std::string>& key) {
    cases.push_back(
        {"toss DEPOSIT_CALLBACK " + what,
         Toss(DepositCallback(order, secret)),
         order,
         {"DEPOSIT_CALLBACK",
          "DEPOSIT_CALLBACK:" + order + ":DONE:txva_" + order + ":2026-03-01T10:00:00.000", key,
          order, key ? "SECRET" : "REFETCH",
          key ? std::optional(toss(*key, order, "webhook:DEPOSIT_CALLBACK")) : std::nullopt}});
  };
  deposit("with the payment's secret", "order-va-0001", "ps_right_secret", "tvirt_0001");
  deposit("of a payment not known yet", "order-va-0404", "ps_any", std::nullopt);
  cases.push_back({"toss CANCEL_STATUS_CHANGED",
                   Toss({{"eventType", "CANCEL_STATUS_CHANGED"},
                         {"createdAt", "2026-03-01T10:05:00"},
                         {"data",
                          {{"paymentKey", "tgen_cancel_0001"},
                           {"orderId", "order-cs-0001"},
                           {"transactionKey", "txc_0001"},
                           {"cancelStatus", "DONE"}}}}),
                   "order-cs-0001",
                   {"CANCEL_STATUS_CHANGED", "CANCEL_STATUS_CHANGED:tgen_cancel_0001:DONE:txc_0001",
                    "tgen_cancel_0001", "order-cs-0001", "REFETCH",
                    toss("tgen_cancel_0001", "order-cs-0001", "webhook:CANCEL_STATUS_CHANGED")}});
  cases.push_back({"toss BILLING_DELETED",
                   Toss({{"eventType", "BILLING_DELETED"},
                         {"createdAt", "2026-03-01T10:06:00"},
                         {"data", {{"billingKey", "bk_0001"}, {"customerKey", "cust_0001"}}}}),
                   "",
                   {"BILLING_DELETED", "BILLING_DELETED:bk_0001:cust_0001", std::nullopt,
                    std::nullopt, "REFETCH", std::nullopt}});

  WebhookReceived v1_json = Webhook(
      WebhookFormat::kPortOneV1,
      json{{"imp_uid", "imp_10001"}, {"merchant_uid", "order-v1-0001"}, {"status", "paid"}}.dump());
  cases.push_back({"portone V1 JSON",
                   v1_json,
                   "order-v1-0001",
                   {"paid", "imp_10001:paid:", "imp_10001", "order-v1-0001", "REFETCH",
                    Claiming(Verify("portone_v1", "imp_10001", "order-v1-0001", "webhook:paid"),
                             "DONE", std::nullopt)}});
  cases.push_back(
      {"portone V1 form",
       Webhook(WebhookFormat::kPortOneV1,
               "imp_uid=imp_10002&merchant_uid=order-v1-0002&status=cancelled&cancellation_id=cn_1",
               "application/x-www-form-urlencoded"),
       "order-v1-0002",
       {"cancelled", "imp_10002:cancelled:cn_1", "imp_10002", "order-v1-0002", "REFETCH",
        Verify("portone_v1", "imp_10002", "order-v1-0002", "webhook:cancelled")}});

  int n = 0;
  // Each type, with the status it claims ("": none).
  for (const auto& [type, claimed] : std::vector<std::pair<std::string, std::string>>{
           {"Transaction.Ready", ""},
           {"Transaction.Paid", "DONE"},
           {"Transaction.VirtualAccountIssued", ""},
           {"Transaction.PartialCancelled", "PARTIAL_CANCELED"},
           {"Transaction.Cancelled", "CANCELED"},
           {"Transaction.Failed", "FAILED"},
           {"Transaction.PayPending", ""},
           {"Transaction.CancelPending", ""}}) {
    const std::string payment = "pay-v2-000" + std::to_string(++n);
    const std::string id = "msg_v2_" + std::to_string(n);
    json verify = Verify("portone", payment, std::nullopt, "webhook:" + type);
    if (!claimed.empty()) verify = Claiming(verify, claimed, "2026-03-01T01:00:00.000Z");
    cases.push_back({"portone V2 " + type,
                     PortOneV2(type, payment, id),
                     payment,
                     {type, "webhook-id:" + id, payment, std::nullopt, "SIGNATURE", verify}});
  }
  cases.push_back({"portone V2 BillingKey.Issued",
                   PortOneV2("BillingKey.Issued", "", "msg_v2_billing"),
                   "",
                   {"BillingKey.Issued", "webhook-id:msg_v2_billing", std::nullopt, std::nullopt,
                    "SIGNATURE", std::nullopt}});

  const json unknown = {{"eventType", "PAYOUT_SCHEDULE_CHANGED_2027"},
                        {"createdAt", "2026-03-01T10:07:00"},
                        {"data", {{"payoutKey", "po_1"}}}};
  cases.push_back({"toss unknown event type",
                   Toss(unknown),
                   "",
                   {"PAYOUT_SCHEDULE_CHANGED_2027",
                    "PAYOUT_SCHEDULE_CHANGED_2027:" + infra::crypto::Sha256Hex(unknown.dump()),
                    std::nullopt, std::nullopt, "REFETCH", std::nullopt}});
  return cases;
}

TEST_F(WebhookIntakeStageTest, EveryDocumentedShapeEndsAsItsAuditRowAndItsVerify) {
  const std::vector<Case> cases = DocumentedShapes();
  std::vector<std::pair<WebhookReceived, std::string>> in;
  for (const Case& c : cases) in.emplace_back(c.webhook, c.correlation_id);
  const std::vector<std::string> ids = Deliver(in);
  ASSERT_NO_FATAL_FAILURE(AwaitHandled(cases.size()));

  std::size_t verifies = 0;
  for (const Case& c : cases) verifies += c.expected.verify ? 1 : 0;
  auto emitted = Verifies(verifies);
  EXPECT_EQ(EventRows(), static_cast<std::int64_t>(cases.size()));
  EXPECT_EQ(Stats().dead_lettered.load(), 0u);
  EXPECT_EQ(Ready(kDeadLetterQueue), 0u);

  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    const json row = Row(ids[i]);
    ASSERT_TRUE(row.is_object()) << "no webhook_events row";
    EXPECT_EQ(row["provider"], messages::ToString(c.webhook.format));
    EXPECT_EQ(row["event_type"], c.expected.event_type);
    EXPECT_EQ(row["event_key"], c.expected.event_key);
    EXPECT_EQ(row["payment_key"], c.expected.payment_key ? json(*c.expected.payment_key) : json());
    EXPECT_EQ(row["order_id"], c.expected.order_id ? json(*c.expected.order_id) : json());
    EXPECT_EQ(row["verification"], c.expected.verification);
    EXPECT_EQ(row["body"], c.webhook.body) << "the raw body, byte for byte";
    EXPECT_EQ(row["headers"], json(c.webhook.headers));
    EXPECT_EQ(row["content_type"], c.webhook.content_type);
    EXPECT_EQ(row["received_at"], "2026-03-01T01:00:00.123000");

    if (!c.expected.verify) continue;
    const std::string key = (*c.expected.verify)["paymentKey"];
    ASSERT_TRUE(emitted.contains(key)) << "no payment.verify for " << key;
    const runtime::WireMessage& verify = emitted[key];
    EXPECT_EQ(json::parse(verify.body), *c.expected.verify);
    EXPECT_EQ(verify.message_id, runtime::DerivedMessageId(ids[i], kStage, 0));
    EXPECT_EQ(verify.correlation_id, c.expected.order_id.value_or(c.correlation_id));
  }
}

TEST_F(WebhookIntakeStageTest, AWebhookDeliveredTwiceIsOneRowAndOneVerify) {
  const WebhookReceived done =
      Toss(TossPaymentEvent("tgen_twice_0001", "order-tw-0001", "DONE", "txrd_tw1"), "tx-1");
  // The same event notified again: a new createdAt and transmission id, so a new message id.
  const WebhookReceived renotified =
      Toss(TossPaymentEvent("tgen_twice_0001", "order-tw-0001", "DONE", "txrd_tw1",
                            "2026-03-01T10:01:04.5"),
           "tx-2");
  // PortOne retries keep the webhook-id with a new timestamp: the same message id.
  const WebhookReceived paid = PortOneV2("Transaction.Paid", "pay-twice-0001", "msg_twice");
  const WebhookReceived paid_retry =
      PortOneV2("Transaction.Paid", "pay-twice-0001", "msg_twice", 1'772'326'860);

  const auto first = Deliver({{done, "order-tw-0001"}, {paid, "pay-twice-0001"}});
  ASSERT_NO_FATAL_FAILURE(AwaitHandled(2));
  const auto again = Deliver(
      {{done, "order-tw-0001"}, {renotified, "order-tw-0001"}, {paid_retry, "pay-twice-0001"}});
  ASSERT_NO_FATAL_FAILURE(AwaitHandled(5));
  EXPECT_EQ(again[0], first[0]);
  EXPECT_NE(again[1], first[0]);
  EXPECT_EQ(again[2], first[1]);

  const auto emitted = Verifies(2);
  EXPECT_TRUE(emitted.contains("tgen_twice_0001"));
  EXPECT_TRUE(emitted.contains("pay-twice-0001"));
  EXPECT_EQ(EventRows(), 2);
  EXPECT_TRUE(Row(again[1]).is_null()) << "the renotified event has no row of its own";
  EXPECT_EQ(Stats().inbox_duplicates.load(), 2u);
  EXPECT_EQ(Stats().dead_lettered.load(), 0u);
}

TEST_F(WebhookIntakeStageTest, GarbledAndUnknownVersionsAreParkedAndTheWorkerGoesOn) {
  struct Parked {
    runtime::OutboundMessage message;
    std::string code;
  };
  const auto built = [](const WebhookReceived& webhook) {
    return messages::BuildWebhookReceived(webhook, "order-gb-0001");
  };
  const auto with_body = [](runtime::OutboundMessage message, std::string body) {
    message.message.body = std::move(body);
    return message;
  };
  json version_2 = messages::ToJson(Toss({{"eventType", "PAYMENT_STATUS_CHANGED"}, {"v", 2}}));
  version_2["schema_version"] = 2;
  runtime::OutboundMessage unknown_type = built(Toss({{"eventType", "X"}, {"v", 9}}));
  unknown_type.message.type = "webhook.received.v9";

  const std::vector<Parked> parked = {
      {built(Webhook(WebhookFormat::kToss, "{not json")), "WEBHOOK_MALFORMED"},
      {built(Toss({{"eventType", "PAYMENT_STATUS_CHANGED"}, {"data", json::object()}})),
       "WEBHOOK_MALFORMED"},
      {built(Toss(DepositCallback("order-va-0001", "ps_forged"))), "WEBHOOK_SECRET_MISMATCH"},
      {with_body(built(Toss({{"eventType", "X"}, {"v", 1}})), "not an envelope at all"),
       "MALFORMED_BODY"},
      {with_body(built(Toss({{"eventType", "X"}, {"v", 2}})), version_2.dump()),
       "UNSUPPORTED_SCHEMA_VERSION"},
      {unknown_type, "UNKNOWN_MESSAGE_TYPE"},
  };
  std::vector<runtime::OutboundMessage> out;
  for (const Parked& p : parked) out.push_back(p.message);
  const WebhookReceived next =
      Toss(TossPaymentEvent("tgen_after_0001", "order-af-0001", "DONE", "txrd_af1"));
  out.push_back(messages::BuildWebhookReceived(next, "order-af-0001"));
  ASSERT_NO_FATAL_FAILURE(Publish(out));
  ASSERT_NO_FATAL_FAILURE(AwaitHandled(out.size()));

  // The next message was served: its row and its verify.
  EXPECT_TRUE(Row(out.back().message.message_id).is_object());
  const auto emitted = Verifies(1);
  EXPECT_TRUE(emitted.contains("tgen_after_0001"));
  EXPECT_EQ(EventRows(), 1);
  EXPECT_EQ(Stats().dead_lettered.load(), parked.size());

  std::map<std::string, runtime::WireMessage> dead;
  for (auto& delivery : Drain(kDeadLetterQueue, parked.size() + 1, 1s)) {
    runtime::WireMessage message = runtime::FromAmqp(std::move(delivery)).message;
    dead[message.message_id] = std::move(message);
  }
  EXPECT_EQ(dead.size(), parked.size());
  for (const Parked& p : parked) {
    SCOPED_TRACE(p.code);
    const std::string& id = p.message.message.message_id;
    ASSERT_TRUE(dead.contains(id)) << "not parked";
    const runtime::WireMessage& m = dead[id];
    EXPECT_EQ(m.body, p.message.message.body) << "parked as received";
    EXPECT_EQ(m.type, p.message.message.type);
    const auto header = [&](std::string_view name) -> runtime::HeaderValue {
      const auto found = m.headers.find(name);
      return found == m.headers.end() ? runtime::HeaderValue(std::string("<absent>"))
                                      : found->second;
    };
    EXPECT_EQ(header(runtime::kDeadLetterStageHeader), runtime::HeaderValue(std::string(kStage)));
    EXPECT_EQ(header(runtime::kDeadLetterKindHeader),
              runtime::HeaderValue(std::string("permanent")));
    EXPECT_EQ(header(runtime::kDeadLetterCodeHeader), runtime::HeaderValue(p.code));
    EXPECT_EQ(header(runtime::kDeadLetterAttemptsHeader), runtime::HeaderValue(std::int64_t{1}));
    const auto* reason =
        std::get_if<std::string>(&m.headers.at(std::string(runtime::kDeadLetterMessageHeader)));
    EXPECT_TRUE(reason != nullptr && !reason->empty());
  }
}

// HandleBatch called directly, as the runtime calls it for a batch of new messages: in one
// transaction, committed when the batch succeeds, rolled back when it fails. Handle, run on the
// same messages in a transaction that is rolled back, tells what each message must do.
class WebhookIntakeBatchTest : public WebhookIntakeStageTest {
 protected:
  using Emitted = std::vector<runtime::OutgoingMessage>;

  class Work final : public runtime::UnitOfWork {
   public:
    explicit Work(infra::db::Transaction& tx) : tx_(tx) {}
    infra::db::Transaction& Db() override { return tx_; }

   private:
    infra::db::Transaction& tx_;
  };

  // The envelope the runtime makes of the message the gateway publishes for `webhook`.
  runtime::Envelope Envelope(const WebhookReceived& webhook, const std::string& correlation) {
    const runtime::OutboundMessage built = messages::BuildWebhookReceived(webhook, correlation);
    auto envelope = runtime::ParseEnvelope(built.message, stage_.AcceptedTypes());
    if (!envelope.ok()) throw std::runtime_error(envelope.error().ToString());
    return std::move(envelope).value();
  }

  static std::vector<const runtime::Envelope*> Pointers(
      const std::vector<runtime::Envelope>& messages) {
    std::vector<const runtime::Envelope*> out;
    for (const auto& message : messages) out.push_back(&message);
    return out;
  }

  domain::Result<std::vector<Emitted>> RunBatch(const std::vector<runtime::Envelope>& messages) {
    const auto batch = Pointers(messages);
    auto tx = db_->Begin();
    if (!tx.ok()) return tx.error();
    Work work(*tx);
    auto out = stage_.HandleBatch(batch, work);
    if (!out.ok()) return out.error();
    EXPECT_EQ(out->size(), messages.size());
    auto committed = tx->Commit();
    if (!committed.ok()) return committed.error();
    return out;
  }

  domain::Result<Emitted> Run(const runtime::Envelope& message) {
    auto tx = db_->Begin();
    if (!tx.ok()) return tx.error();
    Work work(*tx);
    auto out = stage_.Handle(message, work);
    if (!out.ok()) return out.error();
    auto committed = tx->Commit();
    if (!committed.ok()) return committed.error();
    return out;
  }

  // What Handle does with each of `messages` in turn, in one transaction that is then rolled
  // back: what each emits and the audit row it leaves (null: none).
  struct OneByOne {
    std::vector<Emitted> emitted;
    std::vector<json> rows;
  };
  OneByOne HandleEachAndRollBack(const std::vector<runtime::Envelope>& messages) {
    OneByOne out;
    auto tx = db_->Begin();
    if (!tx.ok()) throw std::runtime_error(tx.error().ToString());
    Work work(*tx);
    for (const auto& message : messages) {
      auto emitted = stage_.Handle(message, work);
      if (!emitted.ok()) throw std::runtime_error(emitted.error().ToString());
      out.emitted.push_back(std::move(emitted).value());
    }
    for (const auto& message : messages) out.rows.push_back(Row(message.message_id.str()));
    auto rolled_back = tx->Rollback();
    if (!rolled_back.ok()) throw std::runtime_error(rolled_back.error().ToString());
    return out;
  }

  // An emitted message as comparable text.
  static std::vector<std::string> Describe(const Emitted& emitted) {
    std::vector<std::string> out;
    for (const auto& m : emitted) {
      out.push_back(m.type + " " + m.exchange + "/" + m.routing_key + " [" + m.correlation_id +
                    "] " + m.body.dump());
    }
    return out;
  }

  // The paymentKeys of the payment.verify messages of `emitted`.
  static std::vector<std::string> VerifiedKeys(const Emitted& emitted) {
    std::vector<std::string> out;
    for (const auto& m : emitted) {
      EXPECT_EQ(m.type, "payment.verify");
      out.push_back(m.body.value("paymentKey", ""));
    }
    return out;
  }

  using Keys = std::vector<std::string>;

  // The same Toss event notified twice (new createdAt and transmission id: a new message id),
  // and two events of other payments.
  const WebhookReceived done_ =
      Toss(TossPaymentEvent("tgen_batch_0001", "order-bt-0001", "DONE", "txrd_bt1"), "tx-1");
  const WebhookReceived renotified_ =
      Toss(TossPaymentEvent("tgen_batch_0001", "order-bt-0001", "DONE", "txrd_bt1",
                            "2026-03-01T10:01:04.5"),
           "tx-2");
  const WebhookReceived paid_ = PortOneV2("Transaction.Paid", "pay-batch-0001", "msg_batch_1");
  const WebhookReceived other_ =
      Toss(TossPaymentEvent("tgen_batch_0002", "order-bt-0002", "DONE", "txrd_bt2"), "tx-3");
};

TEST_F(WebhookIntakeBatchTest, ABatchOfDistinctWebhooksDoesWhatHandleDoesForEach) {
  const std::vector<Case> cases = DocumentedShapes();
  std::vector<runtime::Envelope> batch;
  for (const Case& c : cases) batch.push_back(Envelope(c.webhook, c.correlation_id));
  const OneByOne handled = HandleEachAndRollBack(batch);
  ASSERT_EQ(EventRows(), 0) << "Handle's run was rolled back";

  auto out = RunBatch(batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), cases.size());
  EXPECT_EQ(EventRows(), static_cast<std::int64_t>(cases.size()));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Describe((*out)[i]), Describe(handled.emitted[i])) << "as Handle emits";
    const Keys expected =
        c.expected.verify ? Keys{(*c.expected.verify)["paymentKey"].get<std::string>()} : Keys{};
    EXPECT_EQ(VerifiedKeys((*out)[i]), expected);
    const json row = Row(batch[i].message_id.str());
    ASSERT_TRUE(row.is_object()) << "no webhook_events row under its own message id";
    EXPECT_EQ(row, handled.rows[i]) << "as Handle stores it";
    EXPECT_EQ(row["event_key"], c.expected.event_key);
    EXPECT_EQ(row["verification"], c.expected.verification);
  }
}

TEST_F(WebhookIntakeBatchTest, AnEventTwiceInABatchIsStoredOnceAndOnlyItsFirstMessageEmits) {
  const std::vector<runtime::Envelope> batch = {
      Envelope(done_, "order-bt-0001"), Envelope(paid_, "pay-batch-0001"),
      Envelope(renotified_, "order-bt-0001"), Envelope(other_, "order-bt-0002")};
  ASSERT_NE(batch[0].message_id.str(), batch[2].message_id.str());

  auto out = RunBatch(batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ(VerifiedKeys((*out)[0]), Keys{"tgen_batch_0001"});
  EXPECT_EQ(VerifiedKeys((*out)[1]), Keys{"pay-batch-0001"});
  EXPECT_EQ(VerifiedKeys((*out)[2]), Keys{}) << "the event's second message";
  EXPECT_EQ(VerifiedKeys((*out)[3]), Keys{"tgen_batch_0002"});
  EXPECT_EQ(EventRows(), 3);
  EXPECT_TRUE(Row(batch[0].message_id.str()).is_object());
  EXPECT_TRUE(Row(batch[2].message_id.str()).is_null()) << "stored under the first message";
  EXPECT_TRUE(Row(batch[1].message_id.str()).is_object());
  EXPECT_TRUE(Row(batch[3].message_id.str()).is_object());
}

TEST_F(WebhookIntakeBatchTest, AnEventStoredBeforeEmitsNothingWhileItsMatesEmit) {
  const runtime::Envelope first = Envelope(done_, "order-bt-0001");
  auto stored = Run(first);
  ASSERT_TRUE(stored.ok()) << stored.error().ToString();
  ASSERT_EQ(VerifiedKeys(*stored), Keys{"tgen_batch_0001"});

  const std::vector<runtime::Envelope> batch = {Envelope(paid_, "pay-batch-0001"),
                                                Envelope(renotified_, "order-bt-0001"),
                                                Envelope(other_, "order-bt-0002")};
  auto out = RunBatch(batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ(VerifiedKeys((*out)[0]), Keys{"pay-batch-0001"});
  EXPECT_EQ(VerifiedKeys((*out)[1]), Keys{}) << "stored before, by another message";
  EXPECT_EQ(VerifiedKeys((*out)[2]), Keys{"tgen_batch_0002"});
  EXPECT_EQ(EventRows(), 3);
  EXPECT_TRUE(Row(first.message_id.str()).is_object());
  EXPECT_TRUE(Row(batch[1].message_id.str()).is_null());
  EXPECT_TRUE(Row(batch[0].message_id.str()).is_object());
  EXPECT_TRUE(Row(batch[2].message_id.str()).is_object());
}

TEST_F(WebhookIntakeBatchTest, AForgedDepositCallbackFailsTheBatchAndStoresNothing) {
  const std::vector<runtime::Envelope> batch = {
      Envelope(paid_, "pay-batch-0001"),
      Envelope(Toss(DepositCallback("order-va-0001", "ps_forged")), "order-va-0001"),
      Envelope(other_, "order-bt-0002")};
  auto out = RunBatch(batch);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(out.error().code, kWebhookSecretMismatch);
  EXPECT_EQ(EventRows(), 0) << "the batch's transaction was rolled back";
}

TEST_F(WebhookIntakeBatchTest, ADepositCallbackInABatchIsCheckedAgainstItsPayment) {
  const std::vector<runtime::Envelope> batch = {
      Envelope(paid_, "pay-batch-0001"),
      Envelope(Toss(DepositCallback("order-va-0001", "ps_right_secret")), "order-va-0001"),
      Envelope(other_, "order-bt-0002")};
  auto out = RunBatch(batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ(VerifiedKeys((*out)[0]), Keys{"pay-batch-0001"});
  EXPECT_EQ(VerifiedKeys((*out)[1]), Keys{"tvirt_0001"});
  EXPECT_EQ(VerifiedKeys((*out)[2]), Keys{"tgen_batch_0002"});
  EXPECT_EQ(EventRows(), 3);
  const json deposit = Row(batch[1].message_id.str());
  ASSERT_TRUE(deposit.is_object());
  EXPECT_EQ(deposit["event_type"], "DEPOSIT_CALLBACK");
  EXPECT_EQ(deposit["verification"], "SECRET");
  EXPECT_EQ(deposit["payment_key"], "tvirt_0001");
  EXPECT_EQ(deposit["order_id"], "order-va-0001");
  EXPECT_TRUE(Row(batch[0].message_id.str()).is_object());
  EXPECT_TRUE(Row(batch[2].message_id.str()).is_object());
}

TEST_F(WebhookIntakeBatchTest, AnUnknownEventTypeInABatchIsRecordedAndEmitsNothing) {
  const json unknown = {{"eventType", "PAYOUT_SCHEDULE_CHANGED_2027"},
                        {"createdAt", "2026-03-01T10:07:00"},
                        {"data", {{"payoutKey", "po_1"}}}};
  const std::vector<runtime::Envelope> batch = {Envelope(other_, "order-bt-0002"),
                                                Envelope(Toss(unknown), "")};
  auto out = RunBatch(batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(VerifiedKeys((*out)[0]), Keys{"tgen_batch_0002"});
  EXPECT_EQ(VerifiedKeys((*out)[1]), Keys{});
  const json row = Row(batch[1].message_id.str());
  ASSERT_TRUE(row.is_object()) << "recorded";
  EXPECT_EQ(row["event_type"], "PAYOUT_SCHEDULE_CHANGED_2027");
  EXPECT_EQ(row["body"], unknown.dump());
  EXPECT_EQ(EventRows(), 2);
}

TEST_F(WebhookIntakeBatchTest, AWebhookThatDoesNotParseFailsTheWholeBatch) {
  const std::vector<runtime::Envelope> batch = {
      Envelope(other_, "order-bt-0002"),
      Envelope(Webhook(WebhookFormat::kToss, "{not json"), "order-gb-0001")};
  auto out = RunBatch(batch);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(out.error().code, kWebhookMalformed);
  EXPECT_EQ(EventRows(), 0);
}

}  // namespace
}  // namespace paypipe::webhook_intake::test
