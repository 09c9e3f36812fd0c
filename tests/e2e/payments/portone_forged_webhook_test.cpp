// Forged PortOne V2 webhooks against the whole pipeline as separate processes (sim, gateway,
// `paypipe worker confirm,webhook-intake`), while the webhook secret is being rotated: the
// gateway trusts two secrets, the PG signs with the second. A payment the PG holds as PAID is
// unknown to paypipe; webhooks about it with a wrong signature, a stale timestamp, an unknown
// secret or no signature headers are refused with 401 and counted, and change nothing — nothing
// is published, stored or paid. Correctly signed webhooks (from the test playing the PG, and from
// the sim's own sender) are taken in and end with the payment as the PG has it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "paypipe/testing/pipeline_fixture.hpp"
#include "paypipe/testing/standard_webhooks.hpp"

namespace paypipe::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using runtime::test::Eventually;
using testing::StandardWebhookHeaders;
using testing::UnixNow;
using testing::WebhookSecretOf;

const std::string kRetiringKey = "portone-webhook-key-2025";
const std::string kCurrentKey = "portone-webhook-key-2026";
const std::string kStrangerKey = "someone-elses-webhook-key";
const std::string kApiSecret = "portone_e2e_api_secret";

const std::string kForgedOrder = "e2e-portone-0001";  // the V2 paymentId is the order id
const std::string kSimSignedOrder = "e2e-portone-0002";

// The body of PortOne's Transaction.Paid webhook.
std::string PaidWebhookBody(const std::string& payment_id, const std::string& transaction_id) {
  return json{
      {"type", "Transaction.Paid"},
      {"timestamp", "2026-03-01T01:00:00.000Z"},
      {"data",
       {{"storeId", "store-e2e"}, {"paymentId", payment_id}, {"transactionId", transaction_id}}}}
      .dump();
}

std::string Refused(const std::string& reason) {
  return R"(paypipe_gateway_webhooks_refused_total{provider="portone",reason=")" + reason + "\"}";
}

class PortOneForgedWebhookTest : public testing::PipelineTest {
 protected:
  void StartPipeline() {
    StartGateway({"PAYPIPE_PORTONE_WEBHOOK_SECRET=" + WebhookSecretOf(kRetiringKey) + "," +
                  WebhookSecretOf(kCurrentKey)});
    StartSim({"--seed", "3", "--portone-webhook-url", gateway_url_ + "/webhooks/portone",
              "--webhook-time-scale", "0.001"},
             {"PAYPIPE_PORTONE_WEBHOOK_SECRET=" + WebhookSecretOf(kCurrentKey),
              "PAYPIPE_PORTONE_API_SECRET=" + kApiSecret});
    StartWorker("confirm,webhook-intake",
                {"PAYPIPE_PORTONE_API_SECRET=" + kApiSecret, "PAYPIPE_RELAY_MIN_AGE=1s"});
  }

  infra::http::Response Webhook(const std::string& body, const infra::http::Headers& headers) {
    return Http("POST", gateway_url_ + "/webhooks/portone", body, headers);
  }

  double GatewayMetric(const std::string& series) { return Metric(gateway_url_, series); }
};

TEST_F(PortOneForgedWebhookTest, ForgedWebhooksAreRefusedAndCountedAndSignedOnesArePaid) {
  ASSERT_NO_FATAL_FAILURE(StartPipeline());
  for (const auto& [order, amount] : {std::pair{kForgedOrder, 12'000}, {kSimSignedOrder, 8'000}}) {
    const auto checkout = Api("POST", "/v1/checkouts", CheckoutBody(order, amount, "portone"));
    ASSERT_EQ(checkout.status, 201) << checkout.body;
  }

  // The customer paid at the PG; its webhook about it is lost on the way.
  (void)Sim("PUT", "/faults/webhooks", json{{"drop", 1.0}}.dump());
  (void)Sim("POST", "/portone/v2/payments",
            json{{"paymentId", kForgedOrder}, {"amount", 12'000}, {"status", "PAID"}}.dump());
  (void)Sim("PUT", "/faults/webhooks", json{{"drop", 0.0}}.dump());

  const std::string body = PaidWebhookBody(kForgedOrder, "t1");
  const std::string tampered = PaidWebhookBody(kForgedOrder, "t2");
  infra::http::Headers unsigned_headers;
  unsigned_headers.Set("Content-Type", "application/json");
  infra::http::Headers no_signature = unsigned_headers;
  no_signature.Set("webhook-id", "msg_nosig");
  no_signature.Set("webhook-timestamp", std::to_string(UnixNow()));
  struct Forgery {
    std::string what;
    std::string body;
    infra::http::Headers headers;
  };
  const std::vector<Forgery> forgeries = {
      {"body changed after signing", tampered,
       StandardWebhookHeaders(body, "msg_tampered", kCurrentKey, UnixNow())},
      {"timestamp 10 minutes old", body,
       StandardWebhookHeaders(body, "msg_stale", kCurrentKey, UnixNow() - 600)},
      {"timestamp 6 minutes ahead", body,
       StandardWebhookHeaders(body, "msg_ahead", kRetiringKey, UnixNow() + 360)},
      {"signed with a secret nobody configured", body,
       StandardWebhookHeaders(body, "msg_stranger", kStrangerKey, UnixNow())},
      {"no Standard Webhooks headers", body, unsigned_headers},
      {"no signature header", body, no_signature},
  };
  for (const Forgery& forgery : forgeries) {
    const auto started = std::chrono::steady_clock::now();
    const auto refused = Webhook(forgery.body, forgery.headers);
    EXPECT_EQ(refused.status, 401) << forgery.what << ": " << refused.body;
    EXPECT_EQ(json::parse(refused.body, nullptr, false).value("code", ""), "INVALID_SIGNATURE")
        << forgery.what;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << forgery.what;
  }

  EXPECT_EQ(GatewayMetric(Refused("signature_mismatch")), 2);
  EXPECT_EQ(GatewayMetric(Refused("timestamp_out_of_tolerance")), 2);
  EXPECT_EQ(GatewayMetric(Refused("signature_headers_missing")), 2);
  EXPECT_EQ(
      GatewayMetric(R"(paypipe_gateway_requests_total{route="/webhooks/portone",status="401"})"),
      static_cast<double>(forgeries.size()));
  // Nothing reached the broker, nothing was stored, nothing was paid.
  EXPECT_EQ(GatewayMetric("paypipe_gateway_publish_batch_size_sum"), 0);
  EXPECT_EQ(GatewayMetric(R"(paypipe_gateway_webhooks_accepted_total{format="portone_v2"})"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_events"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payments"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payment_attempts"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE status <> 'CREATED'"), 0);

  // The PG's genuine webhook, signed with the second of the two secrets the gateway holds.
  const auto genuine =
      Webhook(body, StandardWebhookHeaders(body, "msg_genuine", kCurrentKey, UnixNow()));
  ASSERT_EQ(genuine.status, 200) << genuine.body;
  // A payment whose webhook the sim itself signs (with that secret only) and sends.
  (void)Sim("POST", "/portone/v2/payments",
            json{{"paymentId", kSimSignedOrder}, {"amount", 8'000}, {"status", "PAID"}}.dump());

  ASSERT_TRUE(Eventually([&] { return Settled(2, 1); }, 20s)) << busy_ << "\nworker:\n"
                                                              << Tail(*worker_);
  const json truth = Sim("GET", "/ledger");
  ASSERT_EQ(truth["portone_v2"]["payments"].size(), 2u);
  for (const auto& payment : truth["portone_v2"]["payments"]) {
    const std::string id = payment["id"];
    SCOPED_TRACE(id);
    EXPECT_EQ(payment["status"], "PAID");
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM payments WHERE payment_key = ? AND provider = "
                     "'portone' AND status = 'DONE' AND balance_amount = total_amount AND "
                     "total_amount = ?",
                     {id, payment["amount"]["total"].get<std::int64_t>()}),
              1);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE order_id = ? AND status = 'PAID'", {id}),
              1);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_events WHERE payment_key = ? AND "
                     "provider = 'portone_v2' AND verification = 'SIGNATURE'",
                     {id}),
              1);
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ledger_unbalanced_transactions"), 0);
  EXPECT_EQ(Scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM finance_transactions "
                   "WHERE type = 'INCOME'"),
            20'000);
  EXPECT_EQ(GatewayMetric(R"(paypipe_gateway_webhooks_accepted_total{format="portone_v2"})"), 2);
  EXPECT_EQ(GatewayMetric("paypipe_gateway_publish_batch_size_sum"), 2);
  EXPECT_EQ(Ready("paypipe.webhook-intake.dlq"), 0u);
}

}  // namespace
}  // namespace paypipe::e2e
