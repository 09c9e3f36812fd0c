// The broker behind a relay that the tests take down or cut: while the gateway knows it has no
// broker connection it answers 503 at once instead of holding each request until its confirm
// timeout; a request in flight when its connection dies is never answered 200; and once the
// broker is back every webhook answered 200 is on the intake queue.
#include <set>

#include "gateway_fixture.hpp"

namespace paypipe::gateway::test {
namespace {

const std::string kIntake = "paypipe.webhook-intake";
constexpr auto kConfirmTimeout = 5s;
// Far below the confirm timeout, and far above what an answer that waits for nothing takes.
constexpr auto kPromptly = 1s;

std::string TossBody(const std::string& order_id) {
  return R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"orderId":")" + order_id +
         R"(","status":"DONE"}})";
}

std::string OrderIdOf(const runtime::WireMessage& message) {
  return json::parse(ParseWebhook(message).body).at("data").at("orderId").get<std::string>();
}

class GatewayBrokerOutageTest : public GatewayTest {
 protected:
  void StartThroughRelay() {
    GatewayOptions options = Options();
    options.publishing.confirm_timeout = kConfirmTimeout;
    StartGateway(std::move(options), Through(relay_));
  }

  infra::http::Response Webhook(const std::string& order_id) {
    return Send("POST", "/webhooks/toss", TossBody(order_id), JsonHeaders());
  }

  // The orders of every webhook message on the intake queue (consumed).
  std::multiset<std::string> IntakeOrders(std::size_t at_least) {
    EXPECT_TRUE(Eventually([&] { return Ready(kIntake) >= at_least; }));
    std::multiset<std::string> orders;
    for (const runtime::WireMessage& message : Drain(kIntake, Ready(kIntake))) {
      orders.insert(OrderIdOf(message));
    }
    return orders;
  }

  testing::TcpProxy relay_{amqp_url_.host, amqp_url_.port};
};

TEST_F(GatewayBrokerOutageTest, WhileTheBrokerIsKnownDownRequestsAre503AtOnce) {
  StartThroughRelay();
  std::vector<std::string> accepted;
  ASSERT_EQ(Webhook("before").status, 200);
  accepted.emplace_back("before");
  ASSERT_EQ(Send("POST", "/v1/checkouts", Checkout("order-outage").dump(), ApiHeaders()).status,
            201);

  relay_.SetDown(true);
  // The idle publisher threads notice within their maintenance interval; readiness shows it.
  ASSERT_TRUE(Eventually([&] { return Send("GET", "/readyz").status == 503; }));
  EXPECT_EQ(json::parse(Send("GET", "/readyz").body).at("broker"), false);

  constexpr int kRefusedWebhooks = 5;
  for (int i = 0; i < kRefusedWebhooks; ++i) {
    SCOPED_TRACE(i);
    const auto sent = std::chrono::steady_clock::now();
    const auto refused = Webhook("outage-" + std::to_string(i));
    EXPECT_LT(std::chrono::steady_clock::now() - sent, kPromptly);
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(Code(refused), "BROKER_UNAVAILABLE");
    const auto retry_after = refused.headers.Get("Retry-After");
    ASSERT_TRUE(retry_after.has_value());
    EXPECT_GE(std::stoi(std::string(*retry_after)), 1);
  }
  const auto sent = std::chrono::steady_clock::now();
  const auto confirm = Send("POST", "/v1/payments/confirm",
                            json{{"provider", "toss"},
                                 {"paymentKey", "tgen_outage"},
                                 {"orderId", "order-outage"},
                                 {"amount", 15000}}
                                .dump(),
                            ApiHeaders());
  EXPECT_LT(std::chrono::steady_clock::now() - sent, kPromptly);
  EXPECT_EQ(confirm.status, 503);
  EXPECT_EQ(Code(confirm), "BROKER_UNAVAILABLE");

  // Refused without being queued: nothing waited for a confirm or expired.
  EXPECT_EQ(Metric(R"(paypipe_gateway_publish_refused_total{reason="broker_down"})"),
            kRefusedWebhooks + 1);
  EXPECT_EQ(Metric(R"(paypipe_gateway_webhooks_refused_total{provider="toss",)"
                   R"(reason="broker_down"})"),
            kRefusedWebhooks);
  EXPECT_EQ(Metric(R"(paypipe_gateway_publish_outcomes_total{outcome="unconfirmed"})"), 0);
  EXPECT_EQ(Metric(R"(paypipe_gateway_publish_outcomes_total{outcome="expired"})"), 0);

  relay_.SetDown(false);
  ASSERT_TRUE(Eventually([&] { return Webhook("recovered").status == 200; }));
  accepted.emplace_back("recovered");
  EXPECT_TRUE(Eventually([&] { return Send("GET", "/readyz").status == 200; }));
  for (int i = 0; i < 10; ++i) {
    const std::string order = "after-" + std::to_string(i);
    EXPECT_EQ(Webhook(order).status, 200) << order;
    accepted.push_back(order);
  }

  const std::multiset<std::string> stored = IntakeOrders(accepted.size());
  for (const std::string& order : accepted) {
    EXPECT_TRUE(stored.contains(order)) << order << " was answered 200 but is not on the queue";
  }
  for (int i = 0; i < kRefusedWebhooks; ++i) {
    EXPECT_FALSE(stored.contains("outage-" + std::to_string(i))) << "a refused webhook was sent";
  }
}

TEST_F(GatewayBrokerOutageTest, AWebhookInFlightWhenItsConnectionDiesIsNeverAnswered200) {
  StartThroughRelay();
  ASSERT_TRUE(Eventually([&] { return Send("GET", "/readyz").status == 200; }));
  // The broker stores the message and confirms it; the confirm never reaches the gateway.
  relay_.CutOnClientBytes("order-in-flight", testing::TcpProxy::CutMode::kAfterServerReply);
  const auto lost = Webhook("order-in-flight");
  ASSERT_TRUE(relay_.fired());
  EXPECT_EQ(lost.status, 503);
  EXPECT_EQ(Code(lost), "BROKER_UNAVAILABLE");
  EXPECT_EQ(Metric(R"(paypipe_gateway_publish_outcomes_total{outcome="unconfirmed"})"), 1);
  EXPECT_EQ(Metric(R"(paypipe_gateway_publish_refused_total{reason="broker_down"})"), 0);

  // The PG retries; the retry is stored again under the same message id (the intake's inbox
  // drops the duplicate).
  ASSERT_TRUE(Eventually([&] { return Webhook("order-in-flight").status == 200; }));
  ASSERT_TRUE(Eventually([&] { return Ready(kIntake) >= 2; }));
  const auto messages = Drain(kIntake, Ready(kIntake));
  ASSERT_GE(messages.size(), 2u);
  for (const runtime::WireMessage& message : messages) {
    EXPECT_EQ(OrderIdOf(message), "order-in-flight");
    EXPECT_EQ(message.message_id, messages[0].message_id);
  }
}

}  // namespace
}  // namespace paypipe::gateway::test
