// The schema the stages write to, exercised the way they will use it: the unique keys that
// make them idempotent, the checks that keep impossible money out, and the finance views.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "paypipe/cli/migrate/migration_source.hpp"
#include "paypipe/cli/migrate/migrator.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/testing/scoped_database.hpp"

namespace paypipe::infra::db {
namespace {

using paypipe::testing::mysql::ScopedDatabase;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = database_.Connect();
    auto migrations = cli::migrate::LoadMigrations(std::nullopt);
    ASSERT_TRUE(migrations.ok());
    cli::migrate::Migrator migrator(*connection_, *migrations);
    std::ostringstream progress;
    auto up = migrator.Up(progress);
    ASSERT_TRUE(up.ok()) << up.error().ToString();

    Ok("INSERT INTO partners (partner_id, name, fee_rate_bps, withholding_rate_bps) "
       "VALUES ('partner-1', '가게', 250, 330)");
    Ok("INSERT INTO customers (customer_id, name) VALUES ('customer-1', '홍길동')");
    Ok("INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount) "
       "VALUES ('order-000001', '커피', 'partner-1', 'customer-1', 'toss', 15000)");
  }

  void Ok(const std::string& sql, const Params& params = {}) {
    auto result = connection_->Execute(sql, params);
    ASSERT_TRUE(result.ok()) << sql << ": " << result.error().ToString();
  }

  domain::Error Fails(const std::string& sql, const Params& params = {}) {
    auto result = connection_->Execute(sql, params);
    EXPECT_FALSE(result.ok()) << sql;
    return result.ok() ? domain::Error{} : result.error();
  }

  void Post(const std::string& transaction, int line, const std::string& account,
            const std::string& type, const std::string& side, std::int64_t amount) {
    Ok("INSERT INTO ledger_entries (transaction_id, line_no, kind, account_code, account_type, "
       "side, amount, partner_id, business_date) VALUES (?, ?, 'TEST', ?, ?, ?, ?, 'partner-1', "
       "'2026-03-01')",
       {transaction, line, account, type, side, amount});
  }

  ScopedDatabase database_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(SchemaTest, FinanceTransactionsShowMoneyInAndOut) {
  // A customer pays 15,000: the platform's receivable grows, so does what it owes the partner.
  Post("capture:pk1", 1, "pg_receivable", "ASSET", "DEBIT", 15000);
  Post("capture:pk1", 2, "partner_payable", "LIABILITY", "CREDIT", 15000);
  // 5,000 refunded.
  Post("cancel:c1", 1, "partner_payable", "LIABILITY", "DEBIT", 5000);
  Post("cancel:c1", 2, "pg_receivable", "ASSET", "CREDIT", 5000);
  // Fee recognised out of the payable: no money moves.
  Post("fee:s1", 1, "partner_payable", "LIABILITY", "DEBIT", 250);
  Post("fee:s1", 2, "fee_revenue", "REVENUE", "CREDIT", 250);
  // The PG pays the platform: one asset becomes another.
  Post("pg-payout:d1", 1, "bank", "ASSET", "DEBIT", 10000);
  Post("pg-payout:d1", 2, "pg_receivable", "ASSET", "CREDIT", 10000);
  // The partner is paid.
  Post("payout:s1", 1, "partner_payable", "LIABILITY", "DEBIT", 9750);
  Post("payout:s1", 2, "bank", "ASSET", "CREDIT", 9750);

  auto rows = connection_->Query(
      "SELECT transaction_id, type, amount, partner_id, business_date FROM finance_transactions "
      "ORDER BY transaction_id");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 3U);
  EXPECT_EQ((*rows)[0].String("transaction_id"), "cancel:c1");
  EXPECT_EQ((*rows)[0].String("type"), "OUTCOME");
  EXPECT_EQ((*rows)[0].Int64("amount"), 5000);
  EXPECT_EQ((*rows)[1].String("transaction_id"), "capture:pk1");
  EXPECT_EQ((*rows)[1].String("type"), "INCOME");
  EXPECT_EQ((*rows)[1].Int64("amount"), 15000);
  EXPECT_EQ((*rows)[1].String("partner_id"), "partner-1");
  EXPECT_EQ((*rows)[1].String("business_date"), "2026-03-01");
  EXPECT_EQ((*rows)[2].String("transaction_id"), "payout:s1");
  EXPECT_EQ((*rows)[2].String("type"), "OUTCOME");
  EXPECT_EQ((*rows)[2].Int64("amount"), 9750);

  auto unbalanced = connection_->Query("SELECT COUNT(*) FROM ledger_unbalanced_transactions");
  ASSERT_TRUE(unbalanced.ok());
  EXPECT_EQ(unbalanced->front().Int64(0), 0);
  Post("broken:x", 1, "pg_receivable", "ASSET", "DEBIT", 100);
  Post("broken:x", 2, "partner_payable", "LIABILITY", "CREDIT", 90);
  auto found = connection_->Query(
      "SELECT transaction_id, debit_total, credit_total FROM ledger_unbalanced_transactions");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ(found->front().String(0), "broken:x");
  EXPECT_EQ(found->front().Int64(1), 100);
  EXPECT_EQ(found->front().Int64(2), 90);
}

TEST_F(SchemaTest, UniqueKeysMakeRedeliveriesHarmless) {
  const auto expect_duplicate = [&](const std::string& sql) {
    Ok(sql);
    EXPECT_EQ(Fails(sql).code, kDuplicateKey) << sql;
  };
  expect_duplicate("INSERT INTO inbox (consumer, message_id) VALUES ('confirm', 'm-1')");
  Ok("INSERT INTO inbox (consumer, message_id) VALUES ('cancel-retry', 'm-1')");
  expect_duplicate(
      "INSERT INTO outbox (message_id, exchange, routing_key, type, headers, body) VALUES "
      "('m-2', 'paypipe.work', 'confirm', 'payment.confirm', '{}', '{}')");
  expect_duplicate(
      "INSERT INTO webhook_events (provider, event_key, verification, headers, body, "
      "received_at) VALUES ('toss', 'pk1:DONE:tx1', 'REFETCH', '{}', '{}', NOW(6))");
  expect_duplicate(
      "INSERT INTO ledger_entries (transaction_id, line_no, kind, account_code, account_type, "
      "side, amount, business_date) VALUES ('capture:pk9', 1, 'PAYMENT_CAPTURE', "
      "'pg_receivable', 'ASSET', 'DEBIT', 100, '2026-03-01')");
  expect_duplicate(
      "INSERT INTO settlements (partner_id, business_date) VALUES ('partner-1', '2026-03-01')");
  expect_duplicate(
      "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
      "balance_amount) VALUES ('toss', 'tgen_1', 'order-000001', 'partner-1', 'DONE', 15000, "
      "15000)");
  // The same key at another provider is another payment.
  Ok("INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
     "balance_amount) VALUES ('portone_v2', 'tgen_1', 'order-000001', 'partner-1', 'FAILED', "
     "15000, 15000)");
  expect_duplicate(
      "INSERT INTO payment_cancels (payment_id, partner_id, origin, request_key, reason) "
      "SELECT id, partner_id, 'API', 'idem-1', 'changed mind' FROM payments WHERE "
      "payment_key = 'tgen_1' AND provider = 'toss'");
  expect_duplicate(
      "INSERT INTO dead_letters (dedupe_key, stage, queue, headers, body, reason, "
      "dead_lettered_at) VALUES ('confirm:m-3:1', 'confirm', 'paypipe.confirm.dlq', '{}', 'x', "
      "'rejected', NOW(6))");
  expect_duplicate(
      "INSERT INTO alerts (dedupe_key, severity, title) VALUES ('amount-mismatch:o1', "
      "'URGENT', 'amount mismatch')");
  expect_duplicate(
      "INSERT INTO invoices (order_id, partner_id, customer_id, amount) VALUES "
      "('order-000001', 'partner-1', 'customer-1', 15000)");
}

TEST_F(SchemaTest, ChecksKeepImpossibleMoneyOut) {
  const auto expect_refused = [&](const std::string& sql) {
    const domain::Error error = Fails(sql);
    EXPECT_EQ(error.kind, domain::ErrorKind::kPermanent) << sql;
    EXPECT_NE(error.code, kDuplicateKey) << sql;
  };
  // Balance above the total.
  expect_refused(
      "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
      "balance_amount) VALUES ('toss', 'tgen_2', 'order-000001', 'partner-1', 'DONE', 100, 101)");
  // A status no reader knows.
  expect_refused(
      "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
      "balance_amount) VALUES ('toss', 'tgen_3', 'order-000001', 'partner-1', 'PAID', 100, 100)");
  // A payment for an order that does not exist.
  expect_refused(
      "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, total_amount, "
      "balance_amount) VALUES ('toss', 'tgen_4', 'order-404', 'partner-1', 'DONE', 100, 100)");
  // A net payout that is not gross - refunds - fee - VAT - withholding.
  expect_refused(
      "INSERT INTO settlements (partner_id, business_date, status, gross_amount, fee_amount, "
      "vat_amount, withholding_amount, net_amount) VALUES ('partner-1', '2026-03-02', "
      "'COMPLETED', 10000, 250, 25, 330, 9500)");
  Ok("INSERT INTO settlements (partner_id, business_date, status, gross_amount, fee_amount, "
     "vat_amount, withholding_amount, net_amount) VALUES ('partner-1', '2026-03-02', "
     "'COMPLETED', 10000, 250, 25, 330, 9395)");
  // Ledger amounts are positive; the side gives the direction.
  expect_refused(
      "INSERT INTO ledger_entries (transaction_id, line_no, kind, account_code, account_type, "
      "side, amount, business_date) VALUES ('t', 1, 'X', 'a', 'ASSET', 'DEBIT', -5, "
      "'2026-03-01')");
  // Refunding more than was invoiced.
  expect_refused(
      "INSERT INTO invoices (order_id, partner_id, customer_id, amount, refunded_amount, status) "
      "VALUES ('order-000001', 'partner-1', 'customer-1', 15000, 15001, 'REFUNDED')");
  // A fee rate above 100%.
  expect_refused("INSERT INTO partners (partner_id, name, fee_rate_bps) VALUES ('p2', 'x', 10001)");
  // Strict mode: an amount beyond BIGINT is an error, not clamped to the maximum. (A fraction
  // would be rounded, not refused: amounts must be checked to be whole before they reach SQL.)
  expect_refused(
      "INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount) "
      "VALUES ('order-000002', 'x', 'partner-1', 'customer-1', 'toss', "
      "'99999999999999999999')");
}

TEST_F(SchemaTest, IdentifiersCompareExactly) {
  // Case-insensitive collations would make these two orders one.
  Ok("INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount) "
     "VALUES ('ORDER-000001', '커피', 'partner-1', 'customer-1', 'toss', 15000)");
  auto rows =
      connection_->Query("SELECT COUNT(*) FROM orders WHERE order_id = ?", {"order-000001"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().Int64(0), 1);
}

}  // namespace
}  // namespace paypipe::infra::db
