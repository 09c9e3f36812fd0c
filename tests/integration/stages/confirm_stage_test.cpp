// The confirm stage against the real MariaDB (migrated schema) and an in-process sim with
// faults: Prepare outside a transaction, Handle inside one, committed as the runtime does.
#include "paypipe/confirm/confirm_stage.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <span>

#include "../sim/sim_http_support.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/messages/payment_confirm.hpp"
#include "paypipe/messages/payment_verify.hpp"
#include "paypipe/testing/runtime_fixture.hpp"

namespace paypipe::confirm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Prep final : public runtime::PrepareContext {
 public:
  explicit Prep(infra::db::Connection& db) : db_(db) {}
  infra::db::Connection& Db() override { return db_; }

 private:
  infra::db::Connection& db_;
};

class Work final : public runtime::UnitOfWork {
 public:
  explicit Work(infra::db::Transaction& tx) : tx_(tx) {}
  infra::db::Transaction& Db() override { return tx_; }

 private:
  infra::db::Transaction& tx_;
};

class ConfirmStageTest : public sim::test::SimTest {
 protected:
  void SetUp() override {
    StartSim(DefaultOptions(), SimClock());
    db_ = database_.Connect();
    runtime::test::ApplySchema(*db_);
    Exec("INSERT INTO partners (partner_id, name, fee_rate_bps) VALUES ('partner-1', 'P', 250)");
    Exec("INSERT INTO customers (customer_id) VALUES ('customer-1')");
    pg::PgSettings settings;
    settings.toss_api_base = base_url() + "/toss";
    settings.toss_secret_key = sim::test::kTossKey;
    settings.timeout = 1s;
    stage_ = std::make_unique<ConfirmStage>(settings, metrics_);
  }

  // The sim's clock; nullptr: the host's.
  virtual const infra::clock::Clock* SimClock() { return nullptr; }

  void Exec(const std::string& sql, const infra::db::Params& params = {}) {
    auto done = db_->Execute(sql, params);
    ASSERT_TRUE(done.ok()) << done.error().ToString() << " in " << sql;
  }
  std::int64_t Count(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = db_->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().ToString());
    return rows.ok() ? rows->front().Int64(0) : -1;
  }
  std::string Text(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = db_->Query(sql, params);
    EXPECT_TRUE(rows.ok() && !rows->empty()) << sql;
    return rows.ok() && !rows->empty() ? rows->front().OptionalString(0).value_or("NULL") : "";
  }

  void Order(const std::string& order_id, std::int64_t amount) {
    Exec(
        "INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount) "
        "VALUES (?, 'Order', 'partner-1', 'customer-1', 'toss', ?)",
        {order_id, amount});
    Exec(
        "INSERT INTO invoices (order_id, partner_id, customer_id, amount) "
        "VALUES (?, 'partner-1', 'customer-1', ?)",
        {order_id, amount});
  }

  runtime::Envelope ConfirmMessage(const std::string& key, const std::string& order,
                                   std::int64_t amount, int attempt = 0) {
    return Envelope(std::string(messages::kPaymentConfirmType),
                    messages::ToJson(messages::PaymentConfirm{
                        messages::Provider::kToss, domain::PaymentKey(key), domain::OrderId(order),
                        domain::Money::Krw(amount)}),
                    attempt);
  }
  // A look-up; with `claimed`, as webhook-intake asks for it for a webhook saying so.
  runtime::Envelope VerifyMessage(const std::string& key, const std::string& order,
                                  std::optional<domain::PaymentStatus> claimed = std::nullopt,
                                  std::optional<messages::WebhookTime> event_at = std::nullopt) {
    messages::PaymentVerify verify;
    verify.provider = messages::Provider::kToss;
    verify.payment_key = domain::PaymentKey(key);
    verify.order_id = domain::OrderId(order);
    verify.reason = "test";
    verify.claimed_status = claimed;
    verify.event_at = event_at;
    return Envelope(std::string(messages::kPaymentVerifyType), messages::ToJson(verify), 0);
  }
  runtime::Envelope Envelope(std::string type, json body, int attempt) {
    runtime::Envelope message;
    message.message_id = domain::MessageId(runtime::test::TestId(++next_id_));
    message.type = std::move(type);
    message.schema_version = 1;
    message.body = std::move(body);
    message.attempt = attempt;
    return message;
  }

  // What the runtime does with one delivery: Prepare, then Handle in a committed transaction.
  domain::Result<std::vector<runtime::OutgoingMessage>> Run(runtime::Envelope message) {
    Prep prep(*db_);
    auto prepared = stage_->Prepare(message, prep);
    if (!prepared.ok()) return prepared.error();
    return Apply(std::move(message), *prepared);
  }
  // What the runtime does with a batch's new messages before its unit of work: one PrepareBatch.
  std::vector<domain::Result<json>> PrepareBatch(const std::vector<runtime::Envelope>& messages) {
    std::vector<const runtime::Envelope*> batch;
    for (const auto& message : messages) batch.push_back(&message);
    Prep prep(*db_);
    return stage_->PrepareBatch(batch, prep);
  }
  // Handle of a prepared message, in a committed transaction.
  domain::Result<std::vector<runtime::OutgoingMessage>> Apply(runtime::Envelope message,
                                                              json prepared) {
    message.prepared = std::move(prepared);
    auto tx = db_->Begin();
    if (!tx.ok()) return tx.error();
    Work work(*tx);
    auto out = stage_->Handle(message, work);
    if (!out.ok()) return out.error();
    auto committed = tx->Commit();
    if (!committed.ok()) return committed.error();
    return out;
  }
  // HandleBatch of prepared messages in one committed transaction, as the runtime runs a batch's
  // unit of work; on an error the transaction rolls back on destruction, as the runtime's does.
  domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> ApplyBatch(
      const std::vector<runtime::Envelope>& messages) {
    std::vector<const runtime::Envelope*> batch;
    for (const auto& message : messages) batch.push_back(&message);
    auto tx = db_->Begin();
    if (!tx.ok()) return tx.error();
    Work work(*tx);
    auto out = stage_->HandleBatch(batch, work);
    if (!out.ok()) return out.error();
    auto committed = tx->Commit();
    if (!committed.ok()) return committed.error();
    return out;
  }

  std::string PaymentStatus(const std::string& key) {
    return Text("SELECT status FROM payments WHERE payment_key = ?", {key});
  }
  void ExpectLedgerBalanced() {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_unbalanced_transactions"), 0);
  }
  std::string SimStatus(const std::string& key) {
    const json truth = client().Ledger();
    for (const auto& payment : truth["toss"]["payments"]) {
      if (payment["paymentKey"] == key) return payment["status"];
    }
    return "";
  }

  // The payment_attempts rows of a message, as "kind|payment_key|idempotency_key", in id order.
  std::vector<std::string> AttemptsOf(const runtime::Envelope& message) {
    auto rows = db_->Query(
        "SELECT kind, payment_key, COALESCE(idempotency_key, 'NULL') FROM payment_attempts "
        "WHERE message_id = ? ORDER BY id",
        {message.message_id.str()});
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().ToString());
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const auto& row : *rows) {
      out.push_back(row.String(0) + "|" + row.String(1) + "|" + row.String(2));
    }
    return out;
  }
  // POST /v1/payments/confirm calls the sim has answered.
  std::int64_t TossConfirms() {
    return client().Ledger()["requests"].value("toss.confirm", std::int64_t{0});
  }

  // GET /v1/payments/{paymentKey} calls the sim has answered.
  std::int64_t TossLookUps() {
    return client().Ledger()["requests"].value("toss.get_payment", std::int64_t{0});
  }
  std::uint64_t VerifiesSkipped() {
    return metrics_.AddCounter({.name = std::string(kVerifySkippedMetric), .help = ""})
        .Get()
        .Value();
  }

  paypipe::testing::mysql::ScopedDatabase database_;
  std::unique_ptr<infra::db::Connection> db_;
  infra::metrics::Registry metrics_;
  std::unique_ptr<ConfirmStage> stage_;
  int next_id_ = 0;
};

TEST_F(ConfirmStageTest, ConfirmMakesThePaymentDoneInvoicePaidAndBalancedIncome) {
  Order("order-ok-0001", 15000);
  const std::string key = client().Session("order-ok-0001", 15000);
  auto out = Run(ConfirmMessage(key, "order-ok-0001", 15000));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(PaymentStatus(key), "DONE");
  EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = 'order-ok-0001'"), "PAID");
  EXPECT_EQ(Text("SELECT status FROM invoices WHERE order_id = 'order-ok-0001'"), "PAID");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME' AND "
                  "amount = 15000 AND order_id = 'order-ok-0001'"),
            1);
  ExpectLedgerBalanced();
  EXPECT_EQ(Text("SELECT idempotency_key FROM payment_attempts WHERE kind = 'CONFIRM'"),
            "paypipe-confirm:toss:" + key);
  EXPECT_EQ(SimStatus(key), "DONE");

  // The same confirm again (another message, a redelivery) changes nothing.
  auto again = Run(ConfirmMessage(key, "order-ok-0001", 15000, 1));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments"), 1);
  EXPECT_EQ(client().Ledger()["confirms"].size(), 1u);
}

TEST_F(ConfirmStageTest, AWebhookRepeatingTheDoneWeHoldIsNotLookedUpAgain) {
  Order("order-wh-0001", 15000);
  const std::string key = client().Session("order-wh-0001", 15000);
  // The PG's DONE event happens during the confirm, before its answer is written.
  const auto event_at =
      std::chrono::floor<messages::WebhookTime::duration>(std::chrono::system_clock::now());
  ASSERT_TRUE(Run(ConfirmMessage(key, "order-wh-0001", 15000)).ok());
  ASSERT_EQ(PaymentStatus(key), "DONE");
  std::int64_t look_ups = TossLookUps();
  std::int64_t attempts = Count("SELECT COUNT(*) FROM payment_attempts");
  const std::string row =
      Text("SELECT CONCAT_WS('|', status, last_verified_at, updated_at) FROM payments");

  auto skipped = Run(VerifyMessage(key, "order-wh-0001", domain::PaymentStatus::kDone, event_at));
  ASSERT_TRUE(skipped.ok()) << skipped.error().ToString();
  EXPECT_TRUE(skipped->empty());
  EXPECT_EQ(TossLookUps(), look_ups);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts"), attempts);
  EXPECT_EQ(Text("SELECT CONCAT_WS('|', status, last_verified_at, updated_at) FROM payments"), row);
  EXPECT_EQ(VerifiesSkipped(), 1u);

  // Without an event time a DONE claim is skipped too: DONE is reached once.
  ASSERT_TRUE(Run(VerifyMessage(key, "order-wh-0001", domain::PaymentStatus::kDone)).ok());
  EXPECT_EQ(TossLookUps(), look_ups);
  EXPECT_EQ(VerifiesSkipped(), 2u);

  // A claim the held state does not show, an event later than our last PG answer, a verify
  // without a claim: each looked up and recorded as before.
  const std::pair<std::optional<domain::PaymentStatus>, std::optional<messages::WebhookTime>>
      kLookedUp[] = {{domain::PaymentStatus::kCanceled, event_at},
                     {domain::PaymentStatus::kDone, event_at + std::chrono::hours(1)},
                     {std::nullopt, std::nullopt}};
  for (const auto& [claimed, at] : kLookedUp) {
    auto looked_up = Run(VerifyMessage(key, "order-wh-0001", claimed, at));
    ASSERT_TRUE(looked_up.ok()) << looked_up.error().ToString();
    EXPECT_EQ(TossLookUps(), ++look_ups);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts"), ++attempts);
  }
  EXPECT_EQ(VerifiesSkipped(), 2u);
  // The CANCELED claim was not taken: the PG holds the payment DONE, and so do we.
  EXPECT_EQ(PaymentStatus(key), "DONE");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 2);
}

TEST_F(ConfirmStageTest, DeclinedCardFailsThePaymentWithoutLedger) {
  Order("order-no-0001", 5000);
  const std::string key = client().Session("order-no-0001", 5000);
  client().Control("PUT", "/faults/endpoints/toss.confirm",
                   {{"faults", {{{"error", "REJECT_CARD_PAYMENT"}, {"count", 1}}}}});
  auto out = Run(ConfirmMessage(key, "order-no-0001", 5000));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(PaymentStatus(key), "ABORTED");
  EXPECT_EQ(Text("SELECT failure_code FROM payments WHERE payment_key = ?", {key}),
            "REJECT_CARD_PAYMENT");
  EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = 'order-no-0001'"), "FAILED");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 0);
  EXPECT_EQ(Text("SELECT outcome FROM payment_attempts"), "FAILED");
}

TEST_F(ConfirmStageTest, TimeoutAfterApplyIsUnknownThenResolvedByLookUpExactlyOnce) {
  Order("order-to-0001", 7000);
  const std::string key = client().Session("order-to-0001", 7000);
  client().Control("PUT", "/faults/endpoints/toss.confirm",
                   {{"faults", {{{"timeout", "after_apply"}, {"count", 1}}}}, {"hold_ms", 3000}});
  auto first = Run(ConfirmMessage(key, "order-to-0001", 7000));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(PaymentStatus(key), "UNKNOWN");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 0);
  EXPECT_EQ(Text("SELECT outcome FROM payment_attempts"), "UNKNOWN");

  // The retry tier's next attempt looks up (the sim applied the confirm) and never confirms again.
  auto retry = Run(ConfirmMessage(key, "order-to-0001", 7000, 1));
  ASSERT_TRUE(retry.ok()) << retry.error().ToString();
  EXPECT_EQ(PaymentStatus(key), "DONE");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts WHERE kind = 'CONFIRM'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts WHERE kind = 'LOOKUP'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 1);
  EXPECT_EQ(client().Ledger()["confirms"].size(), 1u);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageTest, AmountMismatchCancelsAndAlertsWithoutApprovalEffects) {
  Order("order-mm-0001", 15000);
  const std::string key = client().Paid("order-mm-0001", 100);  // a tampered payment window
  auto out = Run(VerifyMessage(key, "order-mm-0001"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].type, "payment.cancel");
  EXPECT_EQ((*out)[0].routing_key, "cancel-retry");
  EXPECT_EQ((*out)[0].body["origin"], "AUTO");
  EXPECT_FALSE((*out)[0].body.contains("cancelAmount"));  // in full
  EXPECT_EQ((*out)[0].body["idempotencyKey"], "paypipe-auto-cancel:toss:" + key);
  EXPECT_EQ((*out)[1].type, "alert.slack");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 0);
  EXPECT_EQ(Text("SELECT status FROM invoices WHERE order_id = 'order-mm-0001'"), "ISSUED");
  EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = 'order-mm-0001'"), "CREATED");
  EXPECT_EQ(Text("SELECT failure_code FROM payments WHERE payment_key = ?", {key}),
            "PAYMENT_AMOUNT_MISMATCH");
}

TEST_F(ConfirmStageTest, ConfirmForAnotherAmountIsRefusedWithoutCallingThePg) {
  Order("order-rf-0001", 15000);
  const std::string key = client().Session("order-rf-0001", 100);
  auto out = Run(ConfirmMessage(key, "order-rf-0001", 100));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].type, "alert.slack");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts"), 0);
  EXPECT_EQ(SimStatus(key), "IN_PROGRESS");
}

TEST_F(ConfirmStageTest, CanceledSeenBeforeDoneEndsCanceledWithBothPostings) {
  Order("order-oo-0001", 9000);
  const std::string key = client().Paid("order-oo-0001", 9000);
  auto cancel = client().Toss("POST", "/v1/payments/" + key + "/cancel",
                              {{"cancelReason", "customer"}}, {{"Idempotency-Key", "c-oo-1"}});
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  // The CANCELED webhook's verify arrives first, then the late DONE's verify and the confirm.
  ASSERT_TRUE(Run(VerifyMessage(key, "order-oo-0001")).ok());
  ASSERT_TRUE(Run(VerifyMessage(key, "order-oo-0001")).ok());
  auto late = Run(ConfirmMessage(key, "order-oo-0001", 9000, 1));
  ASSERT_TRUE(late.ok()) << late.error().ToString();
  EXPECT_EQ(PaymentStatus(key), "CANCELED");
  EXPECT_EQ(SimStatus(key), "CANCELED");
  EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = 'order-oo-0001'"), "CANCELED");
  EXPECT_EQ(Text("SELECT status FROM invoices WHERE order_id = 'order-oo-0001'"), "REFUNDED");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'OUTCOME'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_cancels WHERE origin = 'PG'"), 1);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageTest, EveryPaymentEndsAsTheSimsTruthLedgerSays) {
  client().Control("PUT", "/faults/endpoints/toss.*",
                   {{"faults",
                     {{{"error", "PROVIDER_ERROR"}, {"probability", 0.2}},
                      {{"timeout", "after_apply"}, {"probability", 0.1}}}},
                    {"hold_ms", 2000}});
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) {
    const std::string order = "order-mx-" + std::to_string(1000 + i);
    Order(order, 1000 + i);
    keys.push_back(client().Session(order, 1000 + i));
    // Retry as the retry tier would, until the message is done.
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto out = Run(ConfirmMessage(keys.back(), order, 1000 + i, attempt));
      if (out.ok()) break;
      ASSERT_EQ(out.error().kind, domain::ErrorKind::kTransient) << out.error().ToString();
    }
  }
  for (const auto& key : keys) EXPECT_EQ(PaymentStatus(key), SimStatus(key)) << key;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"),
            Count("SELECT COUNT(*) FROM payments WHERE status = 'DONE'"));
  ExpectLedgerBalanced();
}

// A confirm's result, as Prepare gives it for a payment the PG approved.
void ExpectApproved(const domain::Result<json>& result, const std::string& order_id,
                    std::int64_t amount) {
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->value("op", ""), "observed") << result->dump();
  EXPECT_EQ(result->value("orderId", ""), order_id);
  ASSERT_TRUE(result->contains("payment")) << result->dump();
  EXPECT_EQ((*result)["payment"].value("status", ""), "DONE");
  EXPECT_EQ((*result)["payment"].value("total", std::int64_t{0}), amount);
}

TEST_F(ConfirmStageTest, PrepareBatchGivesEachMessageWhatPrepareWouldAndRecordsEachCallOnce) {
  std::vector<std::string> keys;
  std::vector<runtime::Envelope> batch;
  for (int i = 0; i < 5; ++i) {
    const std::string order = "order-bt-000" + std::to_string(i);
    Order(order, 10000 + i);
    keys.push_back(client().Session(order, 10000 + i));
    batch.push_back(ConfirmMessage(keys.back(), order, 10000 + i));
  }
  batch.push_back(VerifyMessage(keys[2], "order-bt-0002"));

  const auto results = PrepareBatch(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (int i = 0; i < 5; ++i) {
    ExpectApproved(results[i], "order-bt-000" + std::to_string(i), 10000 + i);
    EXPECT_EQ(AttemptsOf(batch[i]), (std::vector<std::string>{"CONFIRM|" + keys[i] +
                                                              "|paypipe-confirm:toss:" + keys[i]}));
  }
  ExpectApproved(results[5], "order-bt-0002", 10002);
  EXPECT_EQ(AttemptsOf(batch[5]), (std::vector<std::string>{"LOOKUP|" + keys[2] + "|NULL"}));
  // One row per PG call, none more.
  EXPECT_EQ(TossConfirms(), 5);
  EXPECT_EQ(TossLookUps(), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts"), 6);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts WHERE outcome = 'SUCCEEDED' AND "
                  "attempt = 1"),
            6);

  // The look-up's result is the one Prepare gives for the same message on its own.
  Prep prep(*db_);
  auto alone = stage_->Prepare(batch[5], prep);
  ASSERT_TRUE(alone.ok()) << alone.error().ToString();
  EXPECT_EQ(*alone, *results[5]);

  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto out = Apply(batch[i], *results[i]);
    ASSERT_TRUE(out.ok()) << i << ": " << out.error().ToString();
    EXPECT_TRUE(out->empty()) << i;
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(PaymentStatus(keys[i]), "DONE") << i;
    EXPECT_EQ(SimStatus(keys[i]), "DONE") << i;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE status = 'PAID'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM invoices WHERE status = 'PAID'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 5);
  EXPECT_EQ(
      Count("SELECT CAST(SUM(amount) AS SIGNED) FROM finance_transactions WHERE type = 'INCOME'"),
      50010);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageTest, AVerifyAfterAConfirmOfThePaymentInOneBatchLooksUpWhatTheConfirmMade) {
  // A slow confirm: a look-up made alongside it would find the payment still IN_PROGRESS.
  client().Control("PUT", "/faults/endpoints/toss.confirm",
                   {{"latency", {{"kind", "fixed"}, {"ms", 100}}}});
  Order("order-cv-0001", 12000);
  Order("order-cv-0002", 13000);
  const std::string key = client().Session("order-cv-0001", 12000);
  const std::string other = client().Session("order-cv-0002", 13000);
  const std::vector<runtime::Envelope> batch = {ConfirmMessage(key, "order-cv-0001", 12000),
                                                ConfirmMessage(other, "order-cv-0002", 13000),
                                                VerifyMessage(key, "order-cv-0001")};

  const auto results = PrepareBatch(batch);
  ASSERT_EQ(results.size(), 3u);
  ExpectApproved(results[0], "order-cv-0001", 12000);
  ExpectApproved(results[1], "order-cv-0002", 13000);
  ExpectApproved(results[2], "order-cv-0001", 12000);
  EXPECT_EQ(AttemptsOf(batch[2]), (std::vector<std::string>{"LOOKUP|" + key + "|NULL"}));
  // The look-up started once the confirm had its answer.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts c JOIN payment_attempts l "
                  "ON l.payment_key = c.payment_key AND l.kind = 'LOOKUP' "
                  "WHERE c.kind = 'CONFIRM' AND c.payment_key = ? AND "
                  "TIMESTAMPDIFF(MICROSECOND, c.started_at, l.started_at) >= c.latency_ms * 1000",
                  {key}),
            1);
  EXPECT_GE(Count("SELECT latency_ms FROM payment_attempts WHERE kind = 'CONFIRM' AND "
                  "payment_key = ?",
                  {key}),
            100);

  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto out = Apply(batch[i], *results[i]);
    ASSERT_TRUE(out.ok()) << i << ": " << out.error().ToString();
  }
  EXPECT_EQ(PaymentStatus(key), "DONE");
  EXPECT_EQ(PaymentStatus(other), "DONE");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 4);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageTest, AConfirmForAnUnknownOrderFailsAloneInItsBatch) {
  Order("order-nf-0001", 8000);
  Order("order-nf-0003", 9000);
  const std::string first = client().Session("order-nf-0001", 8000);
  const std::string orphan = client().Session("order-nf-0002", 5000);  // no such order here
  const std::string last = client().Session("order-nf-0003", 9000);
  const std::vector<runtime::Envelope> batch = {ConfirmMessage(first, "order-nf-0001", 8000),
                                                ConfirmMessage(orphan, "order-nf-0002", 5000),
                                                ConfirmMessage(last, "order-nf-0003", 9000)};

  const auto results = PrepareBatch(batch);
  ASSERT_EQ(results.size(), 3u);
  ExpectApproved(results[0], "order-nf-0001", 8000);
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(results[1].error().code, kOrderNotFound);
  ExpectApproved(results[2], "order-nf-0003", 9000);
  EXPECT_TRUE(AttemptsOf(batch[1]).empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_attempts"), 2);
  EXPECT_EQ(TossConfirms(), 2);
  EXPECT_EQ(SimStatus(orphan), "IN_PROGRESS");

  ASSERT_TRUE(Apply(batch[0], *results[0]).ok());
  ASSERT_TRUE(Apply(batch[2], *results[2]).ok());
  EXPECT_EQ(PaymentStatus(first), "DONE");
  EXPECT_EQ(PaymentStatus(last), "DONE");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments WHERE payment_key = ?", {orphan}), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 2);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageTest, AConfirmForAnotherAmountIsRefusedUncalledWhileItsBatchMatesAreCalled) {
  Order("order-ra-0001", 4000);
  Order("order-ra-0002", 15000);
  Order("order-ra-0003", 6000);
  const std::string first = client().Session("order-ra-0001", 4000);
  const std::string tampered = client().Session("order-ra-0002", 100);
  const std::string last = client().Session("order-ra-0003", 6000);
  const std::vector<runtime::Envelope> batch = {ConfirmMessage(first, "order-ra-0001", 4000),
                                                ConfirmMessage(tampered, "order-ra-0002", 100),
                                                ConfirmMessage(last, "order-ra-0003", 6000)};

  const auto results = PrepareBatch(batch);
  ASSERT_EQ(results.size(), 3u);
  ExpectApproved(results[0], "order-ra-0001", 4000);
  ASSERT_TRUE(results[1].ok()) << results[1].error().ToString();
  EXPECT_EQ(results[1]->value("op", ""), "refused") << results[1]->dump();
  EXPECT_EQ(results[1]->value("orderId", ""), "order-ra-0002");
  ExpectApproved(results[2], "order-ra-0003", 6000);
  EXPECT_TRUE(AttemptsOf(batch[1]).empty());
  EXPECT_EQ(AttemptsOf(batch[0]).size(), 1u);
  EXPECT_EQ(AttemptsOf(batch[2]).size(), 1u);
  EXPECT_EQ(TossConfirms(), 2);
  EXPECT_EQ(SimStatus(tampered), "IN_PROGRESS");

  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto out = Apply(batch[i], *results[i]);
    ASSERT_TRUE(out.ok()) << i << ": " << out.error().ToString();
    if (i == 1) {
      ASSERT_EQ(out->size(), 1u);
      EXPECT_EQ((*out)[0].type, "alert.slack");
    }
  }
  EXPECT_EQ(PaymentStatus(first), "DONE");
  EXPECT_EQ(PaymentStatus(last), "DONE");
  EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = 'order-ra-0002'"), "CREATED");
  EXPECT_EQ(Text("SELECT status FROM invoices WHERE order_id = 'order-ra-0002'"), "ISSUED");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE order_id = 'order-ra-0002'"), 0);
  ExpectLedgerBalanced();
}

// Cancels made at the PG before paypipe looked: each is its own row, posting and business date.
class ConfirmStageCancelHistoryTest : public ConfirmStageTest {
 protected:
  // 14:00 KST on 1 March 2026.
  static constexpr infra::clock::WallTime kStart{
      std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 5h};
  // One second before midnight in Seoul, and one second after: 1 and 2 March in KST.
  static constexpr infra::clock::WallTime kBeforeMidnight = kStart + 9h + 59min + 59s;
  static constexpr infra::clock::WallTime kAfterMidnight = kStart + 10h + 1s;

  const infra::clock::Clock* SimClock() override { return &clock_; }

  // Cancels at the sim at `at` (the whole balance without `amount`); returns the cancel's
  // transaction key.
  std::string CancelAtPg(const std::string& key, infra::clock::WallTime at,
                         std::optional<std::int64_t> amount, std::int64_t tax_free,
                         const std::string& idempotency_key) {
    clock_.SetWallTime(at);
    json body = {{"cancelReason", "customer"}, {"taxFreeAmount", tax_free}};
    if (amount) body["cancelAmount"] = *amount;
    auto answer = client().Toss("POST", "/v1/payments/" + key + "/cancel", body,
                                {{"Idempotency-Key", idempotency_key}});
    EXPECT_EQ(answer.status, 200) << answer.body;
    const json payment = json::parse(answer.body, nullptr, false);
    return payment.is_object() ? payment["cancels"].back().value("transactionKey", "") : "";
  }

  // Every cell of every row, to compare the state before and after a repeated look-up.
  std::string Dump(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = db_->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << sql;
    std::string out;
    if (!rows.ok()) return out;
    for (const auto& row : *rows) {
      for (std::size_t i = 0; i < row.size(); ++i)
        out += row.OptionalString(i).value_or("NULL") + "|";
      out += "\n";
    }
    return out;
  }
  std::string State() {
    return Dump(
               "SELECT id, payment_id, origin, request_key, status, requested_amount, "
               "canceled_amount, tax_free_amount, pg_transaction_key, canceled_at, business_date, "
               "updated_at FROM payment_cancels ORDER BY id") +
           Dump(
               "SELECT transaction_id, line_no, kind, account_code, side, amount, "
               "payment_cancel_id, business_date FROM ledger_entries ORDER BY id") +
           Dump("SELECT status, refunded_amount, refunded_at, updated_at FROM invoices") +
           Dump("SELECT order_id, status, updated_at FROM orders") +
           Dump("SELECT status, balance_amount, canceled_at, updated_at FROM payments");
  }

  // The cancel row of a PG transaction, as "amount|tax-free|origin|status|canceled_at|date".
  std::string CancelRow(const std::string& transaction_key) {
    return Dump(
        "SELECT canceled_amount, tax_free_amount, origin, status, canceled_at, business_date "
        "FROM payment_cancels WHERE pg_transaction_key = '" +
        transaction_key + "'");
  }

  // Each cancel's posting: "transaction|amount|date|lines", one line per row.
  std::string CancelPostings() {
    return Dump(
        "SELECT f.transaction_id, f.amount, f.business_date, "
        "(SELECT COUNT(*) FROM ledger_entries l WHERE l.transaction_id = f.transaction_id) "
        "FROM finance_transactions f WHERE f.type = 'OUTCOME' ORDER BY f.transaction_id");
  }
  // How every story here ends: 10,000 captured on 1 March, all of it refunded, books balanced.
  void ExpectCapturedAndFullyRefunded(const std::string& order_id) {
    ExpectLedgerBalanced();
    EXPECT_EQ(Dump("SELECT amount, business_date FROM finance_transactions WHERE type = 'INCOME' "
                   "AND order_id = ?",
                   {order_id}),
              "10000|2026-03-01|\n");
    EXPECT_EQ(Dump("SELECT status, refunded_amount FROM invoices WHERE order_id = ?", {order_id}),
              "REFUNDED|10000|\n");
    EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = ?", {order_id}), "CANCELED");
    EXPECT_EQ(Dump("SELECT status, balance_amount FROM payments WHERE order_id = ?", {order_id}),
              "CANCELED|0|\n");
  }
  std::string CancelIdOf(const std::string& transaction_key) {
    return Text("SELECT id FROM payment_cancels WHERE pg_transaction_key = ?", {transaction_key});
  }

  infra::clock::FakeClock clock_{kStart};
};

TEST_F(ConfirmStageCancelHistoryTest, PartialThenFullCancelSeenInOneLookUpAreTwoCancelsByDate) {
  Order("order-ch-0001", 10000);
  const std::string key = client().Session("order-ch-0001", 10000);
  auto confirmed = Run(ConfirmMessage(key, "order-ch-0001", 10000));
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().ToString();
  ASSERT_EQ(PaymentStatus(key), "DONE");

  const std::string partial = CancelAtPg(key, kBeforeMidnight, 3000, 300, "c-ch-1");
  const std::string rest = CancelAtPg(key, kAfterMidnight, std::nullopt, 0, "c-ch-2");
  ASSERT_FALSE(partial.empty());
  ASSERT_FALSE(rest.empty());
  ASSERT_NE(partial, rest);

  auto verified = Run(VerifyMessage(key, "order-ch-0001"));
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_cancels"), 2);
  EXPECT_EQ(CancelRow(partial), "3000|300|PG|SUCCEEDED|2026-03-01 14:59:59.000000|2026-03-01|\n");
  EXPECT_EQ(CancelRow(rest), "7000|0|PG|SUCCEEDED|2026-03-01 15:00:01.000000|2026-03-02|\n");
  EXPECT_EQ(CancelPostings(), "cancel:" + CancelIdOf(partial) + "|3000|2026-03-01|2|\n" +
                                  "cancel:" + CancelIdOf(rest) + "|7000|2026-03-02|2|\n");
  ExpectCapturedAndFullyRefunded("order-ch-0001");
  EXPECT_EQ(Text("SELECT refunded_at FROM invoices"), "2026-03-01 15:00:01.000000");

  // The same look-up again (a redelivery, the next webhook, the reconciler) changes nothing.
  const std::string before = State();
  auto again = Run(VerifyMessage(key, "order-ch-0001"));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(State(), before);
}

TEST_F(ConfirmStageCancelHistoryTest, ALaterLookUpRecordsOnlyTheCancelWeDoNotHold) {
  Order("order-ch-0002", 10000);
  const std::string key = client().Session("order-ch-0002", 10000);
  ASSERT_TRUE(Run(ConfirmMessage(key, "order-ch-0002", 10000)).ok());
  const std::string partial = CancelAtPg(key, kBeforeMidnight, 3000, 0, "c-ch-3");
  ASSERT_TRUE(Run(VerifyMessage(key, "order-ch-0002")).ok());
  EXPECT_EQ(Text("SELECT status FROM orders WHERE order_id = 'order-ch-0002'"), "PARTIAL_CANCELED");
  EXPECT_EQ(Dump("SELECT status, refunded_amount FROM invoices"), "PARTIALLY_REFUNDED|3000|\n");

  const std::string rest = CancelAtPg(key, kAfterMidnight, std::nullopt, 0, "c-ch-4");
  ASSERT_TRUE(Run(VerifyMessage(key, "order-ch-0002")).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_cancels"), 2);
  EXPECT_EQ(CancelRow(partial), "3000|0|PG|SUCCEEDED|2026-03-01 14:59:59.000000|2026-03-01|\n");
  EXPECT_EQ(CancelRow(rest), "7000|0|PG|SUCCEEDED|2026-03-01 15:00:01.000000|2026-03-02|\n");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'OUTCOME'"), 2);
  ExpectCapturedAndFullyRefunded("order-ch-0002");
}

TEST_F(ConfirmStageCancelHistoryTest, ACancelPaypipeRequestedCompletesItsRowInsteadOfAddingOne) {
  Order("order-ch-0003", 10000);
  const std::string key = client().Paid("order-ch-0003", 10000);
  ASSERT_TRUE(Run(VerifyMessage(key, "order-ch-0003")).ok());
  // The storefront's partial cancel: the cancel path's row, written before its PG call, whose
  // answer paypipe has not recorded yet.
  const std::string payment_id = Text("SELECT id FROM payments WHERE payment_key = ?", {key});
  Exec(
      "INSERT INTO payment_cancels (payment_id, partner_id, origin, request_key, reason, "
      "requested_amount, status) VALUES (?, 'partner-1', 'API', 'refund-1', 'customer', 3000, "
      "'REQUESTED')",
      {std::stoll(payment_id)});
  const std::string requested = CancelAtPg(key, kBeforeMidnight, 3000, 0, "refund-1-at-pg");
  // The rest is canceled in the PG's dashboard.
  const std::string elsewhere = CancelAtPg(key, kAfterMidnight, std::nullopt, 0, "dashboard");

  ASSERT_TRUE(Run(VerifyMessage(key, "order-ch-0003")).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_cancels"), 2);
  EXPECT_EQ(Dump("SELECT request_key, origin, status, canceled_amount, pg_transaction_key, "
                 "business_date FROM payment_cancels WHERE origin = 'API'"),
            "refund-1|API|SUCCEEDED|3000|" + requested + "|2026-03-01|\n");
  EXPECT_EQ(CancelRow(elsewhere), "7000|0|PG|SUCCEEDED|2026-03-01 15:00:01.000000|2026-03-02|\n");
  EXPECT_EQ(CancelPostings(), "cancel:" + CancelIdOf(requested) + "|3000|2026-03-01|2|\n" +
                                  "cancel:" + CancelIdOf(elsewhere) + "|7000|2026-03-02|2|\n");
  ExpectCapturedAndFullyRefunded("order-ch-0003");

  const std::string before = State();
  ASSERT_TRUE(Run(VerifyMessage(key, "order-ch-0003")).ok());
  EXPECT_EQ(State(), before);
}

TEST_F(ConfirmStageCancelHistoryTest, APaymentFirstSeenCanceledGetsItsCaptureAndEachCancel) {
  Order("order-ch-0004", 10000);
  const std::string key = client().Paid("order-ch-0004", 10000);
  const std::string partial = CancelAtPg(key, kBeforeMidnight, 4000, 400, "c-ch-5");
  const std::string rest = CancelAtPg(key, kAfterMidnight, std::nullopt, 0, "c-ch-6");

  ASSERT_TRUE(Run(VerifyMessage(key, "order-ch-0004")).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payment_cancels"), 2);
  EXPECT_EQ(CancelRow(partial), "4000|400|PG|SUCCEEDED|2026-03-01 14:59:59.000000|2026-03-01|\n");
  EXPECT_EQ(CancelRow(rest), "6000|0|PG|SUCCEEDED|2026-03-01 15:00:01.000000|2026-03-02|\n");
  ExpectCapturedAndFullyRefunded("order-ch-0004");
}

// HandleBatch against Handle: twin scenarios, one applied as one batch, the other one message at a
// time, must end in the same rows and emit the same messages. The sim's clock is fixed so that
// both twins get the same PG times.
class ConfirmStageBatchTest : public ConfirmStageCancelHistoryTest {
 protected:
  using Outputs = std::vector<std::vector<runtime::OutgoingMessage>>;

  // One twin: its orders' common prefix, its prepared messages and their payment keys.
  struct Twin {
    std::string prefix;
    std::vector<runtime::Envelope> batch;
    std::vector<std::string> keys;
  };

  // An order that starts a monthly subscription, PENDING until its first payment.
  void SubscriptionOrder(const std::string& order_id, std::int64_t amount) {
    Exec(
        "INSERT INTO subscriptions (customer_id, partner_id, provider, plan, cycle, amount, "
        "origin_order_id) VALUES ('customer-1', 'partner-1', 'toss', 'basic', 'MONTHLY', ?, ?)",
        {amount, order_id});
    Order(order_id, amount);
    Exec(
        "UPDATE orders SET subscription_id = (SELECT id FROM subscriptions WHERE "
        "origin_order_id = ?) WHERE order_id = ?",
        {order_id, order_id});
  }

  // The message with what Prepare gives for it on its own.
  runtime::Envelope Prepared(runtime::Envelope message) {
    Prep prep(*db_);
    auto prepared = stage_->Prepare(message, prep);
    EXPECT_TRUE(prepared.ok()) << (prepared.ok() ? "" : prepared.error().ToString());
    if (prepared.ok()) message.prepared = *prepared;
    return message;
  }
  // The messages with what one PrepareBatch gives for them.
  std::vector<runtime::Envelope> PreparedBatch(std::vector<runtime::Envelope> messages) {
    auto results = PrepareBatch(messages);
    EXPECT_EQ(results.size(), messages.size());
    for (std::size_t i = 0; i < messages.size() && i < results.size(); ++i) {
      EXPECT_TRUE(results[i].ok())
          << i << ": " << (results[i].ok() ? "" : results[i].error().ToString());
      if (results[i].ok()) messages[i].prepared = *results[i];
    }
    return messages;
  }

  // Handle of each message in batch order, each in its own committed transaction.
  Outputs ApplyEach(const std::vector<runtime::Envelope>& batch) {
    Outputs outputs;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto out = Apply(batch[i], batch[i].prepared);
      EXPECT_TRUE(out.ok()) << i << ": " << (out.ok() ? "" : out.error().ToString());
      outputs.push_back(out.ok() ? *out : std::vector<runtime::OutgoingMessage>{});
    }
    return outputs;
  }

  // `text` with the twin's order prefix, payment keys and message ids replaced by placeholders:
  // the only things in which twins differ.
  static std::string Normalized(std::string text, const Twin& twin) {
    std::vector<std::pair<std::string, std::string>> names = {{twin.prefix, "order-P-"}};
    for (std::size_t i = 0; i < twin.keys.size(); ++i) {
      names.emplace_back(twin.keys[i], "KEY" + std::to_string(i));
    }
    for (std::size_t i = 0; i < twin.batch.size(); ++i) {
      names.emplace_back(twin.batch[i].message_id.str(), "MSG" + std::to_string(i));
    }
    for (const auto& [name, placeholder] : names) {
      for (auto at = text.find(name); at != std::string::npos;
           at = text.find(name, at + placeholder.size())) {
        text.replace(at, name.size(), placeholder);
      }
    }
    return text;
  }

  static std::string OutputsDump(const Outputs& outputs) {
    std::string out;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      out += "#" + std::to_string(i) + "\n";
      for (const auto& message : outputs[i]) {
        out += message.type + "|" + message.routing_key + "|" + message.exchange + "|" +
               message.correlation_id + "|" + message.body.dump() + "\n";
      }
    }
    return out;
  }

  // Every row a message of the twin can write, but the ids, keys and times the database or the
  // sim picks (a ledger line shows the order of the payment and cancel it points at instead).
  std::string StateOf(const Twin& twin) {
    const std::string like = twin.prefix + "%";
    return Normalized(
        "payments\n" +
            Dump("SELECT order_id, provider, partner_id, payment_type, method, status, "
                 "total_amount, balance_amount, vat_amount, tax_free_amount, "
                 "last_transaction_key IS NOT NULL, requested_at, approved_at, canceled_at, "
                 "business_date, failure_code, failure_message, pg_snapshot IS NOT NULL, "
                 "last_verified_at IS NOT NULL FROM payments WHERE order_id LIKE ? "
                 "ORDER BY order_id",
                 {like}) +
            "orders\n" +
            Dump("SELECT order_id, status, paid_at FROM orders WHERE order_id LIKE ? "
                 "ORDER BY order_id",
                 {like}) +
            "invoices\n" +
            Dump("SELECT order_id, status, amount, refunded_amount, paid_at, refunded_at "
                 "FROM invoices WHERE order_id LIKE ? ORDER BY order_id",
                 {like}) +
            "subscriptions\n" +
            Dump("SELECT origin_order_id, status, current_period_start, current_period_end, "
                 "next_billing_date, last_charged_at FROM subscriptions "
                 "WHERE origin_order_id LIKE ? ORDER BY origin_order_id",
                 {like}) +
            "cancels\n" +
            Dump("SELECT p.order_id, c.partner_id, c.origin, c.status, c.requested_amount, "
                 "c.canceled_amount, c.tax_free_amount, c.pg_transaction_key IS NOT NULL, "
                 "c.canceled_at, c.business_date FROM payment_cancels c "
                 "JOIN payments p ON p.id = c.payment_id WHERE p.order_id LIKE ? "
                 "ORDER BY p.order_id, c.id",
                 {like}) +
            "ledger\n" +
            Dump("SELECT l.order_id, p.order_id, cp.order_id, "
                 "l.transaction_id = CONCAT('capture:', l.payment_id) OR "
                 "l.transaction_id = CONCAT('cancel:', l.payment_cancel_id), l.kind, l.line_no, "
                 "l.account_code, l.account_type, l.side, l.amount, l.partner_id, "
                 "l.business_date FROM ledger_entries l "
                 "LEFT JOIN payments p ON p.id = l.payment_id "
                 "LEFT JOIN payment_cancels c ON c.id = l.payment_cancel_id "
                 "LEFT JOIN payments cp ON cp.id = c.payment_id WHERE l.order_id LIKE ? "
                 "ORDER BY l.order_id, l.kind, l.line_no",
                 {like}) +
            "finance\n" +
            Dump("SELECT f.order_id, f.type, f.kind, f.amount, f.business_date, p.order_id "
                 "FROM finance_transactions f LEFT JOIN payments p ON p.id = f.payment_id "
                 "WHERE f.order_id LIKE ? ORDER BY f.order_id, f.kind",
                 {like}),
        twin);
  }

  // How many statements of a kind ("COM_INSERT", "COM_UPDATE") this test's session has run.
  std::int64_t Statements(const std::string& kind) {
    return Count(
        "SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM information_schema.SESSION_STATUS WHERE "
        "VARIABLE_NAME = ?",
        {kind});
  }

  // New payments to approve: one confirm each, prepared by one PrepareBatch.
  Twin NewApprovals(const std::string& prefix, std::span<const std::int64_t> amounts) {
    clock_.SetWallTime(kStart);
    Twin twin{prefix, {}, {}};
    std::vector<runtime::Envelope> messages;
    for (std::size_t i = 0; i < amounts.size(); ++i) {
      const std::string order = prefix + std::to_string(i + 1);
      Order(order, amounts[i]);
      twin.keys.push_back(client().Session(order, amounts[i]));
      messages.push_back(ConfirmMessage(twin.keys.back(), order, amounts[i]));
    }
    twin.batch = PreparedBatch(std::move(messages));
    return twin;
  }

  // One batch of every kind of message, each prepared on its own in batch order:
  //  0 a new approval            5 a confirm of order 7
  //  1 a declined confirm        6 a new approval
  //  2 a subscription's approval 7 a verify of order 7, after its confirm
  //  3 a verify of a payment whose amount is not its order's
  //  4 a verify of a DONE payment partly canceled at the PG since
  //  8 a webhook's verify repeating the DONE we hold ("unchanged")
  Twin Mixed(const std::string& prefix) {
    clock_.SetWallTime(kStart);
    Twin twin{prefix, {}, {}};
    auto order = [&](int n) { return prefix + std::to_string(n); };
    Order(order(1), 11000);
    Order(order(2), 12000);
    Order(order(3), 13000);
    SubscriptionOrder(order(4), 14000);
    Order(order(5), 15000);
    Order(order(6), 16000);
    Order(order(7), 17000);
    Order(order(8), 18000);
    const std::string tampered = client().Paid(order(5), 100);
    const std::string refunded = client().Session(order(6), 16000);
    const std::string held = client().Session(order(8), 18000);
    EXPECT_TRUE(Run(ConfirmMessage(refunded, order(6), 16000)).ok());
    EXPECT_TRUE(Run(ConfirmMessage(held, order(8), 18000)).ok());
    CancelAtPg(refunded, kStart + 1h, 6000, 0, prefix + "cancel");
    // The sim expires a payment window left open too long: the new ones open now.
    clock_.SetWallTime(kStart + 2h);
    const std::string approved = client().Session(order(1), 11000);
    const std::string second = client().Session(order(2), 12000);
    const std::string declined = client().Session(order(3), 13000);
    const std::string subscribed = client().Session(order(4), 14000);
    const std::string twice = client().Session(order(7), 17000);
    twin.keys = {approved, second, declined, subscribed, tampered, refunded, twice, held};

    twin.batch.push_back(Prepared(ConfirmMessage(approved, order(1), 11000)));
    client().Control("PUT", "/faults/endpoints/toss.confirm",
                     {{"faults", {{{"error", "REJECT_CARD_PAYMENT"}, {"count", 1}}}}});
    twin.batch.push_back(Prepared(ConfirmMessage(declined, order(3), 13000)));
    twin.batch.push_back(Prepared(ConfirmMessage(subscribed, order(4), 14000)));
    twin.batch.push_back(Prepared(VerifyMessage(tampered, order(5))));
    twin.batch.push_back(Prepared(VerifyMessage(refunded, order(6))));
    twin.batch.push_back(Prepared(ConfirmMessage(twice, order(7), 17000)));
    twin.batch.push_back(Prepared(ConfirmMessage(second, order(2), 12000)));
    twin.batch.push_back(Prepared(VerifyMessage(twice, order(7))));
    twin.batch.push_back(Prepared(VerifyMessage(held, order(8), domain::PaymentStatus::kDone)));
    return twin;
  }
};

TEST_F(ConfirmStageBatchTest, ABatchOfNewApprovalsEndsAsApplyingThemOneByOne) {
  const std::int64_t kAmounts[] = {11000, 12500, 9900, 30000};
  const Twin batched = NewApprovals("order-na-", kAmounts);
  const Twin alone = NewApprovals("order-no-", kAmounts);
  for (std::size_t i = 0; i < std::size(kAmounts); ++i) {
    ExpectApproved(batched.batch[i].prepared, "order-na-" + std::to_string(i + 1), kAmounts[i]);
  }

  const std::int64_t inserts = Statements("COM_INSERT");
  const std::int64_t updates = Statements("COM_UPDATE");
  auto out = ApplyBatch(batched.batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), batched.batch.size());
  for (const auto& emitted : *out) EXPECT_TRUE(emitted.empty());
  // The common way: one upsert of payments and one insert of ledger lines, one update each of
  // orders and invoices, for the whole batch.
  EXPECT_EQ(Statements("COM_INSERT") - inserts, 2);
  EXPECT_EQ(Statements("COM_UPDATE") - updates, 2);
  for (const auto& emitted : ApplyEach(alone.batch)) EXPECT_TRUE(emitted.empty());
  EXPECT_EQ(StateOf(batched), StateOf(alone));

  // What both ended as: each payment captured once, on its own row, order and invoice.
  for (std::size_t i = 0; i < std::size(kAmounts); ++i) {
    const std::string order = "order-na-" + std::to_string(i + 1);
    const std::string amount = std::to_string(kAmounts[i]);
    EXPECT_EQ(Dump("SELECT status, total_amount, balance_amount, business_date, approved_at "
                   "IS NOT NULL FROM payments WHERE order_id = ? AND payment_key = ?",
                   {order, batched.keys[i]}),
              "DONE|" + amount + "|" + amount + "|2026-03-01|1|\n");
    EXPECT_EQ(Dump("SELECT o.status, i.status, o.paid_at = p.approved_at, "
                   "i.paid_at = p.approved_at FROM orders o "
                   "JOIN invoices i ON i.order_id = o.order_id "
                   "JOIN payments p ON p.order_id = o.order_id WHERE o.order_id = ?",
                   {order}),
              "PAID|PAID|1|1|\n");
    EXPECT_EQ(Dump("SELECT f.amount, f.payment_id = p.id, f.business_date, "
                   "(SELECT COUNT(*) FROM ledger_entries l WHERE l.transaction_id = "
                   "f.transaction_id AND l.payment_id = p.id) FROM finance_transactions f "
                   "JOIN payments p ON p.order_id = f.order_id WHERE f.type = 'INCOME' AND "
                   "f.order_id = ?",
                   {order}),
              amount + "|1|2026-03-01|2|\n");
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries l JOIN payments p ON p.id = l.payment_id "
                  "WHERE l.order_id <> p.order_id OR l.transaction_id <> CONCAT('capture:', p.id)"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 8);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 16);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageBatchTest, AMixedBatchEndsAndEmitsAsHandlingEachMessageInOrder) {
  const Twin batched = Mixed("order-ma-");
  const Twin alone = Mixed("order-mo-");
  const std::vector<std::string> kOps = {"observed", "declined", "observed", "observed", "observed",
                                         "observed", "observed", "observed", "unchanged"};
  for (std::size_t i = 0; i < kOps.size(); ++i) {
    EXPECT_EQ(batched.batch[i].prepared.value("op", ""), kOps[i]) << i;
    EXPECT_EQ(alone.batch[i].prepared.value("op", ""), kOps[i]) << i;
  }
  const std::string held_row =
      Dump("SELECT status, last_verified_at, updated_at FROM payments WHERE payment_key = ?",
           {batched.keys[7]});

  auto out = ApplyBatch(batched.batch);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), batched.batch.size());
  const Outputs one_by_one = ApplyEach(alone.batch);
  EXPECT_EQ(Normalized(OutputsDump(*out), batched), Normalized(OutputsDump(one_by_one), alone));
  EXPECT_EQ(StateOf(batched), StateOf(alone));

  // The amount mismatch: a cancel in full and an alert; every other message emits nothing.
  for (std::size_t i = 0; i < out->size(); ++i) {
    if (i != 3) {
      EXPECT_TRUE((*out)[i].empty()) << i;
    }
  }
  ASSERT_EQ((*out)[3].size(), 2u);
  EXPECT_EQ((*out)[3][0].type, "payment.cancel");
  EXPECT_EQ((*out)[3][0].body["origin"], "AUTO");
  EXPECT_EQ((*out)[3][0].body["paymentKey"], batched.keys[4]);
  EXPECT_EQ((*out)[3][1].type, "alert.slack");

  const auto status = [&](const std::string& table, int n) {
    return Text("SELECT status FROM " + table + " WHERE order_id = ?",
                {"order-ma-" + std::to_string(n)});
  };
  for (int n : {1, 2, 4, 7}) {
    EXPECT_EQ(
        Text("SELECT status FROM payments WHERE order_id = ?", {"order-ma-" + std::to_string(n)}),
        "DONE")
        << n;
    EXPECT_EQ(status("orders", n), "PAID") << n;
    EXPECT_EQ(status("invoices", n), "PAID") << n;
  }
  EXPECT_EQ(PaymentStatus(batched.keys[2]), "ABORTED");
  EXPECT_EQ(status("orders", 3), "FAILED");
  EXPECT_EQ(Dump("SELECT status, next_billing_date IS NOT NULL FROM subscriptions WHERE "
                 "origin_order_id = 'order-ma-4'"),
            "ACTIVE|1|\n");
  EXPECT_EQ(status("orders", 5), "CREATED");
  EXPECT_EQ(status("invoices", 5), "ISSUED");
  EXPECT_EQ(Text("SELECT failure_code FROM payments WHERE order_id = 'order-ma-5'"),
            "PAYMENT_AMOUNT_MISMATCH");
  EXPECT_EQ(PaymentStatus(batched.keys[5]), "PARTIAL_CANCELED");
  EXPECT_EQ(status("orders", 6), "PARTIAL_CANCELED");
  EXPECT_EQ(Dump("SELECT status, refunded_amount FROM invoices WHERE order_id = 'order-ma-6'"),
            "PARTIALLY_REFUNDED|6000|\n");
  EXPECT_EQ(Dump("SELECT type, amount FROM finance_transactions WHERE order_id = 'order-ma-6' "
                 "ORDER BY type"),
            "INCOME|16000|\nOUTCOME|6000|\n");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME' AND "
                  "order_id LIKE 'order-ma-%'"),
            6);
  // The unchanged verify wrote nothing.
  EXPECT_EQ(Dump("SELECT status, last_verified_at, updated_at FROM payments WHERE payment_key = ?",
                 {batched.keys[7]}),
            held_row);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageBatchTest,
       ABatchRepeatingAppliedApprovalsPostsNothingAndLeavesOrdersAsTheyWere) {
  const std::int64_t kAmounts[] = {7000, 8000, 9000};
  const Twin first = NewApprovals("order-rp-", kAmounts);
  auto applied = ApplyBatch(first.batch);
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_EQ(Count("SELECT COUNT(*) FROM payments WHERE status = 'DONE'"), 3);
  const auto rows = [&] {
    return Dump("SELECT * FROM ledger_entries ORDER BY id") +
           Dump("SELECT * FROM orders ORDER BY order_id") +
           Dump("SELECT * FROM invoices ORDER BY id") +
           Dump(
               "SELECT order_id, status, total_amount, balance_amount, approved_at, "
               "business_date FROM payments ORDER BY id");
  };
  const std::string before = rows();

  // A redelivery, another message for the same confirm, and a look-up without a claim.
  auto repeat = PreparedBatch({ConfirmMessage(first.keys[0], "order-rp-1", 7000, 1),
                               ConfirmMessage(first.keys[1], "order-rp-2", 8000),
                               VerifyMessage(first.keys[2], "order-rp-3")});
  for (std::size_t i = 0; i < repeat.size(); ++i) {
    ExpectApproved(repeat[i].prepared, "order-rp-" + std::to_string(i + 1), kAmounts[i]);
  }
  auto out = ApplyBatch(repeat);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), repeat.size());
  for (const auto& emitted : *out) EXPECT_TRUE(emitted.empty());
  EXPECT_EQ(rows(), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 6);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 3);
  EXPECT_EQ(client().Ledger()["confirms"].size(), 3u);
  ExpectLedgerBalanced();
}

TEST_F(ConfirmStageBatchTest, AnOwnPathFailureFailsTheBatchAndItsRollbackKeepsNoneOfItsMates) {
  clock_.SetWallTime(kStart);
  Order("order-fb-1", 8000);
  Order("order-fb-3", 9000);
  const std::string first = client().Session("order-fb-1", 8000);
  const std::string orphan = client().Paid("order-fb-2", 5000);  // no such order here
  const std::string last = client().Session("order-fb-3", 9000);
  const auto batch =
      PreparedBatch({ConfirmMessage(first, "order-fb-1", 8000), VerifyMessage(orphan, "order-fb-2"),
                     ConfirmMessage(last, "order-fb-3", 9000)});
  ExpectApproved(batch[0].prepared, "order-fb-1", 8000);
  ExpectApproved(batch[1].prepared, "order-fb-2", 5000);
  ExpectApproved(batch[2].prepared, "order-fb-3", 9000);

  auto out = ApplyBatch(batch);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(out.error().code, kOrderNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger_entries"), 0);
  EXPECT_EQ(Dump("SELECT order_id, status, paid_at FROM orders ORDER BY order_id"),
            "order-fb-1|CREATED|NULL|\norder-fb-3|CREATED|NULL|\n");
  EXPECT_EQ(Dump("SELECT order_id, status, paid_at FROM invoices ORDER BY order_id"),
            "order-fb-1|ISSUED|NULL|\norder-fb-3|ISSUED|NULL|\n");

  // What the runtime does next: each message alone through Handle; only the orphan fails.
  ASSERT_TRUE(Apply(batch[0], batch[0].prepared).ok());
  auto alone = Apply(batch[1], batch[1].prepared);
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.error().code, kOrderNotFound);
  ASSERT_TRUE(Apply(batch[2], batch[2].prepared).ok());
  EXPECT_EQ(PaymentStatus(first), "DONE");
  EXPECT_EQ(PaymentStatus(last), "DONE");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments WHERE payment_key = ?", {orphan}), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM finance_transactions WHERE type = 'INCOME'"), 2);
  ExpectLedgerBalanced();
}

}  // namespace
}  // namespace paypipe::confirm::test
