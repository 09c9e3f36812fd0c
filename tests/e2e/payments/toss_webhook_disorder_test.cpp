// Toss webhooks that come twice and in the wrong order, through the whole pipeline as separate
// processes (sim, gateway, `paypipe worker confirm,webhook-intake`). The storefront confirms
// orders; the merchant then cancels some at the PG, in full or in part. The test steers the
// sim's webhook faults per step so that, for chosen payments, the DONE or PARTIAL_CANCELED
// webhook is held back and delivered only after the CANCELED one, and every other webhook is
// delivered twice. One consume thread per stage keeps the late webhooks late inside paypipe too.
// Afterwards every payment is as the PG has it, nothing was captured or refunded twice, and the
// ledger balances.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "paypipe/testing/pipeline_fixture.hpp"

namespace paypipe::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using runtime::test::Eventually;

// What the merchant does at the PG after the confirm, and which webhook the sim holds back.
enum class Story {
  kKept,             // DONE, sent twice
  kCanceled,         // DONE held back until after CANCELED
  kPartialCanceled,  // DONE, then PARTIAL_CANCELED (sent twice)
  kPartialThenFull,  // DONE, PARTIAL_CANCELED held back until after CANCELED
};

struct Order {
  std::string order_id;
  std::int64_t amount = 0;
  Story story = Story::kKept;
  std::string payment_key;
};

// The sim's webhook faults: every webhook sent twice, or every one held back until the next one
// to the same URL (never sent twice then, so that the late copy is the only copy).
const json kSendTwice = {{"duplicate", 1.0}, {"out_of_order", 0.0}};
const json kHoldBack = {{"duplicate", 0.0}, {"out_of_order", 1.0}, {"reorder_max_hold_ms", 20000}};

class TossWebhookDisorderTest : public testing::PipelineTest {
 protected:
  void StartPipeline() {
    StartGateway();
    StartSim({"--seed", "5", "--toss-webhook-url", gateway_url_ + "/webhooks/toss",
              "--webhook-time-scale", "0.001", "--webhook-threads", "1"});
    StartWorker("confirm,webhook-intake", {"PAYPIPE_CONCURRENCY=1", "PAYPIPE_RELAY_MIN_AGE=1s"});
  }

  void WebhookFaults(const json& faults) { (void)Sim("PUT", "/faults/webhooks", faults.dump()); }

  void CancelAtPg(const Order& order, std::optional<std::int64_t> amount, const std::string& key) {
    json body = {{"cancelReason", "merchant console"}};
    if (amount) body["cancelAmount"] = *amount;
    const auto canceled = Toss("POST", "/v1/payments/" + order.payment_key + "/cancel", body, key);
    ASSERT_EQ(canceled.status, 200) << canceled.body;
  }

  // Checkout, payment window, confirm; then the merchant's cancels, with the webhook faults of
  // the order's story. Returns once paypipe holds the payment in its final state.
  void Run(Order& order) {
    const auto checkout =
        Api("POST", "/v1/checkouts", CheckoutBody(order.order_id, order.amount, "toss"));
    ASSERT_EQ(checkout.status, 201) << checkout.body;
    order.payment_key = OpenTossSession(order.order_id, order.amount);
    WebhookFaults(order.story == Story::kCanceled ? kHoldBack : kSendTwice);
    const auto confirm = Api("POST", "/v1/payments/confirm",
                             ConfirmBody(order.order_id, order.payment_key, order.amount));
    ASSERT_EQ(confirm.status, 202) << confirm.body;
    ASSERT_TRUE(AwaitStatus(order.payment_key, "DONE")) << order.order_id << "\n" << Tail(*worker_);

    switch (order.story) {
      case Story::kKept:
        return;
      case Story::kCanceled:
        WebhookFaults(kSendTwice);  // CANCELED goes out at once, and releases the held DONE
        ASSERT_NO_FATAL_FAILURE(CancelAtPg(order, std::nullopt, "cancel-" + order.order_id));
        break;
      case Story::kPartialCanceled:
        ASSERT_NO_FATAL_FAILURE(CancelAtPg(order, 1000, "partial-" + order.order_id));
        ASSERT_TRUE(AwaitStatus(order.payment_key, "PARTIAL_CANCELED")) << order.order_id;
        return;
      case Story::kPartialThenFull:
        WebhookFaults(kHoldBack);
        ASSERT_NO_FATAL_FAILURE(CancelAtPg(order, 1000, "partial-" + order.order_id));
        WebhookFaults(kSendTwice);
        ASSERT_NO_FATAL_FAILURE(CancelAtPg(order, std::nullopt, "cancel-" + order.order_id));
        break;
    }
    ASSERT_TRUE(AwaitStatus(order.payment_key, "CANCELED")) << order.order_id;
  }

  // The id of the webhook_events row of `payment_key`'s PAYMENT_STATUS_CHANGED to `status` (the
  // order in which webhook-intake took them in); 0 when there is none.
  std::int64_t EventRowId(const std::string& payment_key, const std::string& status) {
    return Scalar("SELECT MIN(id) FROM webhook_events WHERE payment_key = ? AND event_key LIKE ?",
                  {payment_key, "PAYMENT_STATUS_CHANGED:" + payment_key + ":" + status + ":%"});
  }
};

TEST_F(TossWebhookDisorderTest, LateAndDuplicateWebhooksNeitherReopenNorRepeatAnything) {
  ASSERT_NO_FATAL_FAILURE(StartPipeline());
  std::vector<Order> orders;
  for (int i = 0; i < 8; ++i) {
    orders.push_back({"e2e-disorder-" + std::to_string(1001 + i), 12'000 + 500 * i,
                      static_cast<Story>(i % 4), ""});
  }
  for (Order& order : orders) ASSERT_NO_FATAL_FAILURE(Run(order));

  ASSERT_TRUE(Eventually([&] { return Settled(static_cast<std::int64_t>(orders.size())); }, 30s))
      << busy_ << "\nworker:\n"
      << Tail(*worker_);
  const json truth = Sim("GET", "/ledger");

  // The faults happened: the held webhooks went out after the CANCELED one, the others twice.
  std::int64_t duplicates = 0;
  std::int64_t held = 0;
  for (const auto& webhook : truth["webhooks"]) {
    duplicates += webhook.value("duplicate", false) ? 1 : 0;
    held += webhook.value("out_of_order", false) ? 1 : 0;
  }
  EXPECT_EQ(held, 4);
  EXPECT_EQ(duplicates, 12);

  std::map<std::string, json> pg;
  for (const auto& payment : truth["toss"]["payments"]) pg[payment["paymentKey"]] = payment;
  std::map<std::string, std::int64_t> pg_canceled;
  for (const auto& cancel : truth["cancels"]) {
    pg_canceled[cancel["payment_id"]] += cancel["amount"].get<std::int64_t>();
  }
  const auto ours = OurPayments();
  std::int64_t captured = 0;
  std::int64_t refunded = 0;
  for (const Order& order : orders) {
    SCOPED_TRACE(order.order_id);
    const json& at_pg = pg.at(order.payment_key);
    ASSERT_TRUE(ours.contains(order.payment_key));
    EXPECT_EQ(ours.at(order.payment_key), at_pg["status"]);
    EXPECT_EQ(
        Scalar("SELECT balance_amount FROM payments WHERE payment_key = ?", {order.payment_key}),
        at_pg["balanceAmount"].get<std::int64_t>());
    // One capture, and the refunds exactly as the PG made them, however often they were told.
    EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT transaction_id) FROM ledger_entries WHERE order_id = ? "
                     "AND kind = 'PAYMENT_CAPTURE'",
                     {order.order_id}),
              1);
    EXPECT_EQ(Scalar("SELECT CAST(COALESCE(SUM(c.canceled_amount), 0) AS SIGNED) FROM "
                     "payment_cancels c JOIN payments p ON p.id = c.payment_id "
                     "WHERE p.payment_key = ?",
                     {order.payment_key}),
              pg_canceled[order.payment_key]);
    captured += order.amount;
    refunded += pg_canceled[order.payment_key];

    switch (order.story) {
      case Story::kKept:
        EXPECT_EQ(at_pg["status"], "DONE");
        EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE order_id = ? AND status = 'PAID'",
                         {order.order_id}),
                  1);
        break;
      case Story::kPartialCanceled:
        EXPECT_EQ(at_pg["status"], "PARTIAL_CANCELED");
        EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE order_id = ? AND status = "
                         "'PARTIALLY_REFUNDED' AND refunded_amount = 1000",
                         {order.order_id}),
                  1);
        break;
      case Story::kCanceled:
      case Story::kPartialThenFull: {
        EXPECT_EQ(at_pg["status"], "CANCELED");
        EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE order_id = ? AND status = "
                         "'REFUNDED' AND refunded_amount = amount",
                         {order.order_id}),
                  1);
        EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE order_id = ? AND status = 'CANCELED'",
                         {order.order_id}),
                  1);
        // The late webhook really was taken in after CANCELED — and changed nothing.
        const std::string late = order.story == Story::kCanceled ? "DONE" : "PARTIAL_CANCELED";
        const std::int64_t canceled_row = EventRowId(order.payment_key, "CANCELED");
        const std::int64_t late_row = EventRowId(order.payment_key, late);
        EXPECT_GT(canceled_row, 0);
        EXPECT_GT(late_row, canceled_row) << late << " was not late";
        break;
      }
    }
  }

  // The books: balanced per transaction, income as captured, outcome as refunded at the PG.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ledger_unbalanced_transactions"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY "
                   "transaction_id HAVING SUM(CASE side WHEN 'DEBIT' THEN amount ELSE 0 END) <> "
                   "SUM(CASE side WHEN 'CREDIT' THEN amount ELSE 0 END)) unbalanced"),
            0);
  EXPECT_EQ(Scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM finance_transactions "
                   "WHERE type = 'INCOME'"),
            captured);
  EXPECT_EQ(Scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM finance_transactions "
                   "WHERE type = 'OUTCOME'"),
            refunded);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payment_cancels WHERE origin <> 'PG'"), 0);
  // The PG confirmed each payment once.
  EXPECT_EQ(truth["confirms"].size(), orders.size());
  for (const char* dlq : {"paypipe.confirm.dlq", "paypipe.webhook-intake.dlq"}) {
    EXPECT_EQ(Ready(dlq), 0u) << dlq;
  }
}

}  // namespace
}  // namespace paypipe::e2e
