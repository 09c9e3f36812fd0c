// The whole confirm path as separate processes: `paypipe sim` (Toss, with faults), `paypipe
// gateway` and `paypipe worker confirm,webhook-intake`, against a vhost with the production
// topology and a database migrated by the real migrator. A storefront checks out and confirms
// orders (some with a wrong amount, some twice) while the PG fails, withholds answers after
// applying, declines cards and duplicates and reorders its webhooks; afterwards every payment
// must be as the PG has it, the ledger must balance and nothing may be paid twice.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "paypipe/demo/driver.hpp"
#include "paypipe/testing/pipeline_fixture.hpp"

namespace paypipe::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using runtime::test::Eventually;

constexpr int kOrders = 100;

// Every confirm's first call meets these faults (the retries meet none, see below).
constexpr const char* kConfirmFaults = R"({
  "latency": {"kind": "uniform", "min_ms": 1, "max_ms": 10},
  "faults": [
    {"error": "PROVIDER_ERROR", "probability": 0.12},
    {"timeout": "after_apply", "probability": 0.06},
    {"error": "UNKNOWN_PAYMENT_ERROR", "probability": 0.06, "after_apply": true},
    {"error": "REJECT_CARD_COMPANY", "probability": 0.1}],
  "hold_ms": 2000})";
constexpr const char* kWebhookFaults = R"({"duplicate": 0.3, "out_of_order": 0.2,
  "reorder_max_hold_ms": 300})";

class ConfirmPipelineTest : public testing::PipelineTest {
 protected:
  void StartPipeline() {
    StartGateway({"PAYPIPE_GATEWAY_CONFIRM_TIMEOUT=3s"});
    const json plan = {{"endpoints", {{"toss.confirm", json::parse(kConfirmFaults)}}},
                       {"webhooks", json::parse(kWebhookFaults)}};
    StartSim({"--seed", "7", "--faults", plan.dump(), "--toss-webhook-url",
              gateway_url_ + "/webhooks/toss", "--webhook-time-scale", "0.001"});
    // A withheld answer costs the confirm stage 1 s.
    StartWorker("confirm,webhook-intake",
                {"PAYPIPE_HTTP_CLIENT_TIMEOUT=1s", "PAYPIPE_RELAY_MIN_AGE=1s"});
  }
};

TEST_F(ConfirmPipelineTest, EveryPaymentEndsAsThePgHasItWithBalancedBooksUnderFaults) {
  ASSERT_NO_FATAL_FAILURE(StartPipeline());

  demo::DriveOptions storefront;
  storefront.gateway_url = gateway_url_;
  storefront.sim_url = sim_url_;
  storefront.api_token = std::string(testing::kE2eApiToken);
  storefront.partner_id = std::string(testing::kE2ePartner);
  storefront.order_prefix = "e2e-order";
  storefront.checkouts = kOrders;
  storefront.concurrency = 8;
  storefront.seed = 11;
  storefront.wrong_amount_per_mille = 80;
  storefront.double_confirm_per_mille = 200;
  const demo::DriveResult driven = demo::Drive(storefront, {});

  std::set<std::string> wrong_amount_orders;
  std::int64_t confirmable = 0;
  std::int64_t confirmed_twice = 0;
  for (const auto& order : driven.orders) {
    ASSERT_EQ(order.checkout_status, 201) << order.order_id;
    ASSERT_FALSE(order.payment_key.empty()) << order.order_id;
    if (order.wrong_amount) {
      EXPECT_EQ(order.confirm_status, 422) << order.order_id;
      wrong_amount_orders.insert(order.order_id);
    } else {
      EXPECT_EQ(order.confirm_status, 202) << order.order_id;
      ++confirmable;
      confirmed_twice += order.confirmed_twice ? 1 : 0;
    }
  }
  ASSERT_GT(wrong_amount_orders.size(), 0u);
  ASSERT_GT(confirmed_twice, 0);

  // Once every confirm met the PG once (faults included), the confirm faults stop so that the
  // retries — which come after the production retry tiers, 5 s then 30 s — succeed within the
  // first tier. Webhook duplicates and reordering stay on.
  ASSERT_TRUE(Eventually(
      [&] {
        return Scalar(
                   "SELECT COUNT(DISTINCT order_id) FROM payment_attempts "
                   "WHERE kind = 'CONFIRM'") >= confirmable;
      },
      20s))
      << worker_->Err();
  (void)Sim("DELETE", "/faults/endpoints/toss.confirm");

  ASSERT_TRUE(Eventually([&] { return Settled(confirmable); }, 40s))
      << busy_ << "\nworker:\n"
      << worker_->Err().substr(0, 4000);

  const json truth = Sim("GET", "/ledger");

  // The faults happened: the PG failed, withheld answers it had applied, declined, and sent
  // duplicate webhooks.
  std::map<std::string, int> faults;
  for (const auto& fault : truth["faults"]) ++faults[fault.value("code", fault.value("kind", ""))];
  std::int64_t applied_unanswered = 0;
  for (const auto& fault : truth["faults"]) {
    applied_unanswered += fault.value("applied", false) && !fault.value("answered", true) ? 1 : 0;
  }
  EXPECT_GT(faults["PROVIDER_ERROR"], 0);
  EXPECT_GT(faults["REJECT_CARD_COMPANY"], 0);
  EXPECT_GT(applied_unanswered, 0);
  std::int64_t duplicate_webhooks = 0;
  for (const auto& webhook : truth["webhooks"]) {
    duplicate_webhooks += webhook.value("duplicate", false) ? 1 : 0;
  }
  EXPECT_GT(duplicate_webhooks, 0);

  // Every payment as the PG has it. A confirm with a wrong amount never reached the PG: its
  // payment is still open there and paypipe holds none.
  std::map<std::string, std::string> ours;
  auto rows = db_->Query("SELECT payment_key, status FROM payments WHERE provider = 'toss'");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  for (const auto& row : *rows) ours[row.String(0)] = row.String(1);
  std::int64_t pg_done_total = 0;
  std::int64_t done = 0;
  std::int64_t aborted = 0;
  for (const auto& payment : truth["toss"]["payments"]) {
    const std::string key = payment["paymentKey"];
    const std::string status = payment["status"];
    const std::string order_id = payment["orderId"];
    if (wrong_amount_orders.contains(order_id)) {
      EXPECT_EQ(status, "IN_PROGRESS") << order_id;
      EXPECT_FALSE(ours.contains(key)) << order_id;
      continue;
    }
    ASSERT_TRUE(ours.contains(key)) << order_id << " is " << status << " at the PG";
    EXPECT_EQ(ours[key], status) << order_id;
    if (status == "DONE") {
      ++done;
      pg_done_total += payment["totalAmount"].get<std::int64_t>();
    }
    aborted += status == "ABORTED" ? 1 : 0;
  }
  EXPECT_EQ(static_cast<std::int64_t>(truth["toss"]["payments"].size()), kOrders);
  EXPECT_EQ(static_cast<std::int64_t>(ours.size()), confirmable);
  EXPECT_GT(done, 0);
  EXPECT_GT(aborted, 0);

  // The PG applied each confirm once, however often it was sent.
  std::map<std::string, int> confirms_per_payment;
  for (const auto& confirm : truth["confirms"]) ++confirms_per_payment[confirm["payment_key"]];
  for (const auto& [key, count] : confirms_per_payment) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(static_cast<std::int64_t>(confirms_per_payment.size()), done);

  // The ledger balances, per transaction and overall, and holds exactly what the PG captured.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ledger_unbalanced_transactions"), 0);
  EXPECT_EQ(Scalar("SELECT CAST(SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END) AS "
                   "SIGNED) FROM ledger_entries"),
            0);
  EXPECT_EQ(Scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM finance_transactions "
                   "WHERE type = 'INCOME'"),
            pg_done_total);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM finance_transactions WHERE type = 'OUTCOME'"), 0);

  // No invoice paid twice: one capture per paid order, PAID invoices exactly the DONE payments.
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT transaction_id) FROM ledger_entries "
                   "WHERE kind = 'PAYMENT_CAPTURE'"),
            done);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM (SELECT order_id FROM ledger_entries WHERE kind = "
                   "'PAYMENT_CAPTURE' GROUP BY order_id HAVING COUNT(DISTINCT transaction_id) > 1) "
                   "twice"),
            0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE status = 'PAID'"), done);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices i JOIN payments p ON p.order_id = i.order_id "
                   "WHERE i.status = 'PAID' AND p.status = 'DONE'"),
            done);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE status = 'PAID'"), done);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE status = 'FAILED'"), aborted);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE status = 'CREATED'"),
            static_cast<std::int64_t>(wrong_amount_orders.size()));

  // Duplicate webhooks changed nothing: one audit row per distinct event (Settled), no payment
  // left behind, nothing parked. Refused confirms raised alerts for notify-slack.
  for (const char* dlq : {"paypipe.confirm.dlq", "paypipe.webhook-intake.dlq"}) {
    EXPECT_EQ(Ready(dlq), 0u) << dlq;
  }
  EXPECT_GE(Ready("paypipe.notify-slack"), wrong_amount_orders.size());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payment_cancels"), 0);
}

}  // namespace
}  // namespace paypipe::e2e
