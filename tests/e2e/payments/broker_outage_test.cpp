// The broker goes away while orders are being confirmed and the PG's webhooks are flowing: the
// whole pipeline runs as separate processes (sim, gateway, `paypipe worker
// confirm,webhook-intake`), and the gateway and the worker reach RabbitMQ through a relay that
// the test takes down for a few seconds. Meanwhile the gateway must answer confirms and webhooks
// 503 — nothing else, and never later than its confirm timeout — and the storefront (this test)
// and the PG (the sim, on Toss's retry schedule) send them again. Once the broker is back every
// payment ends as the PG has it, every invoice is paid once, the ledger balances and no webhook
// is lost.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "paypipe/testing/pipeline_fixture.hpp"
#include "paypipe/testing/tcp_proxy.hpp"

namespace paypipe::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using runtime::test::Eventually;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr int kOrders = 32;
constexpr int kStorefronts = 4;
constexpr auto kConfirmTimeout = 2s;
// What an answer may take at most: the gateway's confirm timeout and some scheduling slack.
constexpr auto kLongestAnswer = kConfirmTimeout + 1500ms;

// The PG's webhooks leave 1 s after the event, so that those of the last confirms before the
// outage arrive during it. Retries follow Toss's schedule (1, 4, 16, 64 ... minutes) scaled by
// the time scale: 30 ms, 120 ms, 480 ms, 1.9 s, 7.7 s.
constexpr const char* kWebhookDelay = R"({"webhooks": {"delay": {"kind": "fixed", "ms": 1000}}})";

// One answer of the gateway to the storefront.
struct Answer {
  std::string route;
  int status = 0;  // 0: no answer (transport error)
  std::string code;
  SteadyTime sent;
  SteadyTime answered;
};

class BrokerOutageTest : public testing::PipelineTest {
 protected:
  ~BrokerOutageTest() override { StopProcesses(); }

  std::string AmqpThroughRelay() const {
    return testing::WithHostPort(vhost_.amqp_url(), "127.0.0.1", relay_.port());
  }

  void StartPipeline() {
    StartGateway(
        {"PAYPIPE_AMQP_URL=" + AmqpThroughRelay(),
         "PAYPIPE_GATEWAY_CONFIRM_TIMEOUT=" + std::to_string(kConfirmTimeout.count()) + "s"});
    StartSim({"--seed", "9", "--faults", kWebhookDelay, "--toss-webhook-url",
              gateway_url_ + "/webhooks/toss", "--webhook-time-scale", "0.0005"});
    StartWorker("confirm,webhook-intake",
                {"PAYPIPE_AMQP_URL=" + AmqpThroughRelay(), "PAYPIPE_HTTP_CLIENT_TIMEOUT=2s",
                 "PAYPIPE_RELAY_MIN_AGE=1s"});
  }

  // One gateway call, recorded.
  Answer Call(infra::http_client::Client& client, const std::string& route, const json& body) {
    Answer answer{route, 0, "", std::chrono::steady_clock::now(), {}};
    auto response = Send(client, "POST", gateway_url_ + route, body.dump(), ApiHeaders());
    answer.answered = std::chrono::steady_clock::now();
    if (response.ok()) {
      answer.status = response->status;
      const json parsed = json::parse(response->body, nullptr, false);
      answer.code = parsed.is_object() ? parsed.value("code", "") : "";
    }
    std::lock_guard lock(mutex_);
    answers_.push_back(answer);
    return answer;
  }

  // What a careful storefront does for one order: check out, let the customer pay in the PG's
  // window, confirm — and send a confirm answered 503 (or not at all) again, backing off.
  void Storefront(infra::http_client::Client& client, int n) {
    const std::string order_id = "e2e-outage-" + std::to_string(1000 + n);
    const std::int64_t amount = 5'000 + 100 * n;
    if (Call(client, "/v1/checkouts", CheckoutBody(order_id, amount, "toss")).status != 201) {
      return;
    }
    auto session = Send(client, "POST", sim_url_ + "/_sim/toss/sessions",
                        json{{"orderId", order_id}, {"amount", amount}}.dump());
    if (!session.ok() || session->status != 201) return;
    const std::string key = json::parse(session->body)["paymentKey"];
    auto pause = 100ms;
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < give_up) {
      const Answer answer =
          Call(client, "/v1/payments/confirm", ConfirmBody(order_id, key, amount));
      if (answer.status != 503 && answer.status != 0) {
        if (answer.status == 202) ++confirmed_;
        return;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min<std::chrono::milliseconds>(pause * 2, 1s);
    }
  }

  // Confirms answered `status` that were sent at `since` or later.
  std::size_t ConfirmsAnswered(int status, SteadyTime since = {}) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(answers_.begin(), answers_.end(), [&](auto& a) {
      return a.route == "/v1/payments/confirm" && a.status == status && a.sent >= since;
    }));
  }

  // Webhook delivery attempts the sim made, by the gateway's answer (0: none).
  std::map<int, int> WebhookAnswers() {
    std::map<int, int> statuses;
    const json truth = Sim("GET", "/ledger");
    for (const auto& webhook : truth["webhooks"]) {
      for (const auto& attempt : webhook["attempts"]) {
        ++statuses[attempt["status"].is_number_integer() ? attempt["status"].get<int>() : 0];
      }
    }
    return statuses;
  }

  testing::TcpProxy relay_{amqp_url_.host, amqp_url_.port};
  std::mutex mutex_;
  std::vector<Answer> answers_;
  std::atomic<int> confirmed_{0};
};

TEST_F(BrokerOutageTest, GatewayAnswers503DuringTheOutageAndNothingIsLostAfterIt) {
  ASSERT_NO_FATAL_FAILURE(StartPipeline());

  std::atomic<int> next{0};
  std::vector<std::jthread> storefronts;
  for (int s = 0; s < kStorefronts; ++s) {
    storefronts.emplace_back([&] {
      infra::http_client::Client client;
      for (int n = next++; n < kOrders; n = next++) {
        Storefront(client, n);
        std::this_thread::sleep_for(150ms);  // customers arrive over a few seconds
      }
    });
  }

  // The outage begins while confirms are being applied and their webhooks are on their way.
  ASSERT_TRUE(Eventually([&] { return confirmed_.load() >= 8; }, 20s)) << Tail(*gateway_);
  ASSERT_TRUE(Eventually(
      [&] { return Sim("GET", "/ledger/summary").value("webhooks_pending", 0) > 0; }, 10s));
  relay_.SetDown(true);
  const SteadyTime down = std::chrono::steady_clock::now();
  // Confirms sent from then on meet a broker that is gone (the relay cuts within its 50 ms poll).
  const SteadyTime surely_down = down + 100ms;
  // It lasts at least 2.5 s, and until a confirm sent during it and a webhook were refused.
  const bool both_refused = Eventually(
      [&] {
        return std::chrono::steady_clock::now() - down >= 2500ms &&
               ConfirmsAnswered(503, surely_down) > 0 && WebhookAnswers()[503] > 0;
      },
      15s);
  const SteadyTime up = std::chrono::steady_clock::now();
  relay_.SetDown(false);
  EXPECT_TRUE(both_refused) << "the outage met no confirm or no webhook: "
                            << ConfirmsAnswered(503, surely_down) << " confirms and "
                            << WebhookAnswers()[503] << " webhooks refused";
  storefronts.clear();  // joins

  ASSERT_TRUE(Eventually([&] { return Settled(kOrders); }, 40s)) << busy_ << "\nworker:\n"
                                                                 << Tail(*worker_);

  // Storefront: checkouts need no broker; confirms were accepted or refused with 503
  // BROKER_UNAVAILABLE, never anything else, never after the confirm timeout — and every one
  // made during the outage was refused.
  std::size_t during_outage = 0;
  for (const Answer& answer : answers_) {
    SCOPED_TRACE(answer.route + " " + std::to_string(answer.status) + " " + answer.code);
    EXPECT_LE(answer.answered - answer.sent, kLongestAnswer);
    if (answer.route == "/v1/checkouts") {
      EXPECT_EQ(answer.status, 201);
      continue;
    }
    EXPECT_TRUE(answer.status == 202 || answer.status == 503);
    if (answer.status == 503) {
      EXPECT_EQ(answer.code, "BROKER_UNAVAILABLE");
    }
    if (answer.sent >= surely_down && answer.answered <= up) {
      ++during_outage;
      EXPECT_EQ(answer.status, 503);
    }
  }
  EXPECT_GT(during_outage, 0u);
  EXPECT_EQ(confirmed_.load(), kOrders);

  // PG: every webhook attempt was accepted or refused with 503, within its time, and the
  // refused ones were delivered later (Settled: every webhook delivered and stored once).
  const json truth = Sim("GET", "/ledger");
  std::size_t refused_webhooks = 0;
  for (const auto& webhook : truth["webhooks"]) {
    for (const auto& attempt : webhook["attempts"]) {
      SCOPED_TRACE(attempt.dump());
      EXPECT_TRUE(attempt["status"] == 200 || attempt["status"] == 503);
      EXPECT_LE(attempt["duration_ms"].get<std::int64_t>(),
                std::chrono::duration_cast<std::chrono::milliseconds>(kLongestAnswer).count());
      refused_webhooks += attempt["status"] == 503 ? 1 : 0;
    }
  }
  EXPECT_GT(refused_webhooks, 0u);
  std::fprintf(stderr,
               "outage of %lld ms: %zu confirms answered 503 (%zu during the outage), %zu "
               "webhook attempts answered 503; %zu answers in all\n",
               static_cast<long long>(
                   std::chrono::duration_cast<std::chrono::milliseconds>(up - down).count()),
               ConfirmsAnswered(503), during_outage, refused_webhooks, answers_.size());

  // Every payment as the PG has it, confirmed at the PG once however often it was asked.
  const auto ours = OurPayments();
  std::int64_t total = 0;
  for (const auto& payment : truth["toss"]["payments"]) {
    const std::string key = payment["paymentKey"];
    ASSERT_TRUE(ours.contains(key)) << payment["orderId"];
    EXPECT_EQ(ours.at(key), payment["status"]) << payment["orderId"];
    EXPECT_EQ(payment["status"], "DONE");
    total += payment["totalAmount"].get<std::int64_t>();
  }
  EXPECT_EQ(ours.size(), static_cast<std::size_t>(kOrders));
  EXPECT_EQ(truth["confirms"].size(), static_cast<std::size_t>(kOrders));

  // Every invoice paid once; the ledger balanced per transaction and holding what was captured.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE status = 'PAID'"), kOrders);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE status = 'PAID'"), kOrders);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM (SELECT order_id FROM ledger_entries WHERE kind = "
                   "'PAYMENT_CAPTURE' GROUP BY order_id HAVING COUNT(DISTINCT transaction_id) "
                   "<> 1) twice"),
            0);
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT order_id) FROM ledger_entries "
                   "WHERE kind = 'PAYMENT_CAPTURE'"),
            kOrders);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY "
                   "transaction_id HAVING SUM(CASE side WHEN 'DEBIT' THEN amount ELSE 0 END) <> "
                   "SUM(CASE side WHEN 'CREDIT' THEN amount ELSE 0 END)) unbalanced"),
            0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ledger_unbalanced_transactions"), 0);
  EXPECT_EQ(Scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM finance_transactions "
                   "WHERE type = 'INCOME'"),
            total);
  for (const char* dlq : {"paypipe.confirm.dlq", "paypipe.webhook-intake.dlq"}) {
    EXPECT_EQ(Ready(dlq), 0u) << dlq;
  }
}

}  // namespace
}  // namespace paypipe::e2e
