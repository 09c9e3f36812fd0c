// The payment API through a real gateway, database and broker.
#include <future>
#include <map>
#include <set>

#include "gateway_fixture.hpp"
#include "paypipe/messages/payment_cancel.hpp"
#include "paypipe/messages/payment_confirm.hpp"

namespace paypipe::gateway::test {
namespace {

const std::string kConfirmQueue = "paypipe.confirm";
const std::string kCancelQueue = "paypipe.cancel-retry";

class GatewayPaymentApiTest : public GatewayTest {
 protected:
  infra::http::Response Api(const std::string& method, const std::string& path,
                            const json& body = nullptr,
                            infra::http::Headers headers = ApiHeaders()) {
    return Send(method, path, body.is_null() ? "" : body.dump(), headers);
  }

  // A DONE payment of `order_id`, as the confirm stage would have recorded it.
  std::int64_t InsertPayment(const std::string& order_id, const std::string& payment_key) {
    ExecuteOrThrow(*db_,
                   "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, "
                   "total_amount, balance_amount, method, approved_at) VALUES ('toss', '" +
                       payment_key + "', '" + order_id + "', '" + kPartner +
                       "', 'DONE', 15000, 15000, '카드', '2026-03-01 01:00:00.250000')");
    return Scalar("SELECT id FROM payments WHERE payment_key = ?", {payment_key});
  }
};

TEST_F(GatewayPaymentApiTest, ThePaymentApiNeedsTheBearerToken) {
  StartGateway(Options());
  const auto none = Api("GET", "/v1/orders/order-000042", nullptr, JsonHeaders());
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Code(none), "UNAUTHORIZED");
  EXPECT_EQ(none.headers.Get("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Api("GET", "/v1/orders/order-000042", nullptr, ApiHeaders("wrong")).status, 401);
  EXPECT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042"), ApiHeaders("")).status, 401);
  infra::http::Headers basic = JsonHeaders();
  basic.Set("Authorization", "Basic " + std::string(kApiToken));
  EXPECT_EQ(Api("GET", "/v1/orders/order-000042", nullptr, basic).status, 401);
  EXPECT_EQ(Api("GET", "/v1/orders/order-000042").status, 404);
  // Health and webhooks need no token.
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_EQ(Metric(R"(paypipe_gateway_errors_total{route="/v1/orders/{orderId}",)"
                   R"(code="UNAUTHORIZED"})"),
            3);
}

TEST_F(GatewayPaymentApiTest, CheckoutRegistersTheOrderOnceAndIsIdempotent) {
  StartGateway(Options());
  const auto created = Api("POST", "/v1/checkouts", Checkout("order-000042"));
  ASSERT_EQ(created.status, 201) << created.body;
  const json view = json::parse(created.body);
  EXPECT_EQ(view.at("orderId"), "order-000042");
  EXPECT_EQ(view.at("status"), "CREATED");
  EXPECT_EQ(view.at("amount"), 15000);
  EXPECT_EQ(view.at("invoice").at("status"), "ISSUED");
  EXPECT_EQ(view.at("subscription").at("status"), "PENDING");
  EXPECT_EQ(view.at("subscription").at("cycle"), "MONTHLY");

  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM customers WHERE customer_id = 'cust-7'"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders WHERE order_id = 'order-000042' AND "
                   "status = 'CREATED' AND subscription_id IS NOT NULL"),
            1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE order_id = 'order-000042' AND "
                   "status = 'ISSUED' AND amount = 15000"),
            1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM subscriptions WHERE origin_order_id = 'order-000042' "
                   "AND status = 'PENDING'"),
            1);

  const auto repeated = Api("POST", "/v1/checkouts", Checkout("order-000042"));
  EXPECT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(json::parse(repeated.body).at("orderId"), "order-000042");
  const auto conflict = Api("POST", "/v1/checkouts", Checkout("order-000042", 16000));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Code(conflict), "ORDER_CONFLICT");
  json without_subscription = Checkout("order-000042");
  without_subscription.erase("subscription");
  EXPECT_EQ(Api("POST", "/v1/checkouts", without_subscription).status, 409);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices"), 1);

  // A second order of the same customer, without a subscription.
  json plain = Checkout("order-000043");
  plain.erase("subscription");
  const auto second = Api("POST", "/v1/checkouts", plain);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_TRUE(json::parse(second.body).at("subscription").is_null());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM customers"), 1);
}

TEST_F(GatewayPaymentApiTest, ANewCheckoutIsAnsweredAsTheOrderReadsBack) {
  StartGateway(Options());
  json plain = Checkout("order-000043");
  plain.erase("subscription");
  for (const json& checkout : {Checkout("order-000042"), plain}) {
    const std::string order_id = checkout.at("orderId");
    const auto created = Api("POST", "/v1/checkouts", checkout);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto read = Api("GET", "/v1/orders/" + order_id);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(created.body, read.body);
    const auto repeated = Api("POST", "/v1/checkouts", checkout);
    EXPECT_EQ(repeated.status, 200);
    EXPECT_EQ(repeated.body, read.body);
  }
  EXPECT_FALSE(
      json::parse(Api("GET", "/v1/orders/order-000042").body).at("subscription").is_null());
}

TEST_F(GatewayPaymentApiTest, AStoredCheckoutIsComparedBeforeItsPartnerIsLookedAt) {
  StartGateway(Options());
  ASSERT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 201);
  ExecuteOrThrow(*db_, "UPDATE partners SET status = 'SUSPENDED' WHERE partner_id = '" +
                           std::string(kPartner) + "'");
  EXPECT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 200);
  EXPECT_EQ(Code(Api("POST", "/v1/checkouts", Checkout("order-000042", 16000))), "ORDER_CONFLICT");
  // A new order of the suspended partner, with or without a subscription, writes nothing.
  json plain = Checkout("order-000043");
  plain.erase("subscription");
  for (const json& checkout : {Checkout("order-000043"), plain}) {
    EXPECT_EQ(Code(Api("POST", "/v1/checkouts", checkout)), "PARTNER_INACTIVE");
    json unknown = checkout;
    unknown["partnerId"] = "nobody";
    EXPECT_EQ(Code(Api("POST", "/v1/checkouts", unknown)), "UNKNOWN_PARTNER");
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM subscriptions"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices"), 1);
  ExecuteOrThrow(*db_, "UPDATE partners SET status = 'ACTIVE' WHERE partner_id = '" +
                           std::string(kPartner) + "'");
  EXPECT_EQ(Api("POST", "/v1/checkouts", plain).status, 201);
}

TEST_F(GatewayPaymentApiTest, ConcurrentIdenticalCheckoutsRegisterOneOrder) {
  StartGateway(Options());
  constexpr int kClients = 6;
  for (const std::string order_id : {"order-000042", "order-000043"}) {
    json checkout = Checkout(order_id);
    if (order_id == "order-000043") checkout.erase("subscription");
    std::vector<std::future<infra::http::Response>> answers;
    for (int i = 0; i < kClients; ++i) {
      answers.push_back(
          std::async(std::launch::async, [&] { return Api("POST", "/v1/checkouts", checkout); }));
    }
    std::map<int, int> statuses;
    std::set<std::string> bodies;
    for (auto& answer : answers) {
      const auto response = answer.get();
      ++statuses[response.status];
      bodies.insert(response.body);
    }
    EXPECT_EQ(statuses[201], 1) << order_id;
    EXPECT_EQ(statuses[200], kClients - 1) << order_id;
    EXPECT_EQ(bodies.size(), 1u) << order_id;  // the creator's answer is what the others read
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders"), 2);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices"), 2);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM subscriptions"), 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM customers"), 1);
}

TEST_F(GatewayPaymentApiTest, CheckoutRefusesBadInputWithA4xx) {
  StartGateway(Options());
  json unknown = Checkout("order-000050");
  unknown["partnerId"] = "nobody";
  const auto unknown_partner = Api("POST", "/v1/checkouts", unknown);
  EXPECT_EQ(unknown_partner.status, 422);
  EXPECT_EQ(Code(unknown_partner), "UNKNOWN_PARTNER");
  json closed = Checkout("order-000051");
  closed["partnerId"] = "partner-closed";
  EXPECT_EQ(Code(Api("POST", "/v1/checkouts", closed)), "PARTNER_INACTIVE");
  json fractional = Checkout("order-000052");
  fractional["amount"] = 15000.5;
  const auto bad = Api("POST", "/v1/checkouts", fractional);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Code(bad), "INVALID_REQUEST");
  EXPECT_EQ(Code(Send("POST", "/v1/checkouts", "{oops", ApiHeaders())), "INVALID_JSON");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM orders"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM customers"), 0);
}

TEST_F(GatewayPaymentApiTest, ConfirmPublishesOneMessagePerPayment) {
  StartGateway(Options());
  ASSERT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 201);
  const json confirm = {{"provider", "toss"},
                        {"paymentKey", "tgen_abc"},
                        {"orderId", "order-000042"},
                        {"amount", 15000}};
  const auto accepted = Api("POST", "/v1/payments/confirm", confirm);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(
      json::parse(accepted.body),
      (json{{"orderId", "order-000042"}, {"paymentKey", "tgen_abc"}, {"status", "IN_PROGRESS"}}));
  ASSERT_EQ(Api("POST", "/v1/payments/confirm", confirm).status, 202);  // a double click

  const auto messages = Drain(kConfirmQueue, 2);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].message_id, messages[1].message_id);
  EXPECT_EQ(messages[0].type, "payment.confirm");
  EXPECT_EQ(messages[0].correlation_id, "order-000042");
  auto envelope = runtime::ParseEnvelope(messages[0], {messages::PaymentConfirmSpec()});
  ASSERT_TRUE(envelope.ok()) << envelope.error().ToString();
  const auto parsed = messages::ParsePaymentConfirm(envelope->body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->payment_key.str(), "tgen_abc");
  EXPECT_EQ(parsed->amount.krw(), 15000);

  json unknown = confirm;
  unknown["orderId"] = "order-999999";
  EXPECT_EQ(Code(Api("POST", "/v1/payments/confirm", unknown)), "ORDER_NOT_FOUND");
  json other_provider = confirm;
  other_provider["provider"] = "portone";
  EXPECT_EQ(Code(Api("POST", "/v1/payments/confirm", other_provider)), "PROVIDER_MISMATCH");
  EXPECT_EQ(Ready(kConfirmQueue), 0u);
}

TEST_F(GatewayPaymentApiTest, AnAmountMismatchIsForwardedButNotAccepted) {
  StartGateway(Options());
  ASSERT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 201);
  const json tampered = {{"provider", "toss"},
                         {"paymentKey", "tgen_tampered"},
                         {"orderId", "order-000042"},
                         {"amount", 100}};
  const auto refused = Api("POST", "/v1/payments/confirm", tampered);
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(Code(refused), "AMOUNT_MISMATCH");
  // The confirm stage sees it, so that it can refuse to approve or cancel what was captured.
  const auto messages = Drain(kConfirmQueue, 1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(json::parse(messages[0].body).at("amount"), 100);
}

TEST_F(GatewayPaymentApiTest, CancelNeedsAnIdempotencyKeyAndAKnownPayment) {
  StartGateway(Options());
  ASSERT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 201);
  InsertPayment("order-000042", "tgen_paid");
  const json cancel = {{"cancelReason", "고객 변심"}, {"cancelAmount", 5000}};

  const auto keyless = Api("POST", "/v1/payments/tgen_paid/cancel", cancel);
  EXPECT_EQ(keyless.status, 400);
  EXPECT_EQ(Code(keyless), "IDEMPOTENCY_KEY_REQUIRED");
  infra::http::Headers headers = ApiHeaders();
  headers.Set("Idempotency-Key", "cancel-key-1");
  EXPECT_EQ(Code(Api("POST", "/v1/payments/tgen_unknown/cancel", cancel, headers)),
            "PAYMENT_NOT_FOUND");

  const auto accepted = Api("POST", "/v1/payments/tgen_paid/cancel", cancel, headers);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(json::parse(accepted.body).at("orderId"), "order-000042");
  ASSERT_EQ(Api("POST", "/v1/payments/tgen_paid/cancel", cancel, headers).status, 202);
  headers.Set("Idempotency-Key", "cancel-key-2");
  ASSERT_EQ(Api("POST", "/v1/payments/tgen_paid/cancel", cancel, headers).status, 202);

  const auto messages = Drain(kCancelQueue, 3);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].message_id, messages[1].message_id);  // same Idempotency-Key
  EXPECT_NE(messages[0].message_id, messages[2].message_id);
  EXPECT_EQ(messages[0].correlation_id, "order-000042");
  auto envelope = runtime::ParseEnvelope(messages[0], {messages::PaymentCancelSpec()});
  ASSERT_TRUE(envelope.ok());
  const auto parsed = messages::ParsePaymentCancel(envelope->body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->provider, messages::Provider::kToss);
  EXPECT_EQ(parsed->cancel_reason, "고객 변심");
  EXPECT_EQ(parsed->cancel_amount->krw(), 5000);
  EXPECT_EQ(parsed->idempotency_key.str(), "cancel-key-1");
  EXPECT_EQ(parsed->origin, messages::CancelOrigin::kApi);
}

TEST_F(GatewayPaymentApiTest, OrderAndPaymentViewsShowTheCurrentState) {
  StartGateway(Options());
  ASSERT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 201);
  const std::int64_t payment_id = InsertPayment("order-000042", "tgen_paid");
  ExecuteOrThrow(*db_,
                 "INSERT INTO payment_cancels (payment_id, partner_id, origin, request_key, "
                 "reason, requested_amount, status) VALUES (" +
                     std::to_string(payment_id) + ", '" + kPartner +
                     "', 'API', 'k1', 'changed mind', 5000, 'REQUESTED')");
  ExecuteOrThrow(*db_,
                 "INSERT INTO payment_attempts (provider, kind, order_id, payment_key, outcome, "
                 "error_code, http_status, latency_ms, started_at) VALUES ('toss', 'CONFIRM', "
                 "'order-000042', 'tgen_paid', 'SUCCEEDED', NULL, 200, 120, "
                 "'2026-03-01 01:00:00.000000')");

  const auto payment = Api("GET", "/v1/payments/tgen_paid");
  ASSERT_EQ(payment.status, 200) << payment.body;
  const json p = json::parse(payment.body);
  EXPECT_EQ(p.at("status"), "DONE");
  EXPECT_EQ(p.at("orderId"), "order-000042");
  EXPECT_EQ(p.at("balanceAmount"), 15000);
  EXPECT_EQ(p.at("approvedAt"), "2026-03-01T01:00:00.250000Z");
  ASSERT_EQ(p.at("cancels").size(), 1u);
  EXPECT_EQ(p.at("cancels")[0].at("requestedAmount"), 5000);
  EXPECT_EQ(p.at("cancels")[0].at("status"), "REQUESTED");
  ASSERT_EQ(p.at("attempts").size(), 1u);
  EXPECT_EQ(p.at("attempts")[0].at("kind"), "CONFIRM");

  const auto order = Api("GET", "/v1/orders/order-000042");
  ASSERT_EQ(order.status, 200) << order.body;
  const json o = json::parse(order.body);
  EXPECT_EQ(o.at("invoice").at("status"), "ISSUED");
  ASSERT_EQ(o.at("payments").size(), 1u);
  EXPECT_EQ(o.at("payments")[0].at("paymentKey"), "tgen_paid");
  EXPECT_EQ(o.at("attempts").size(), 1u);

  EXPECT_EQ(Code(Api("GET", "/v1/payments/tgen_nothing")), "PAYMENT_NOT_FOUND");
  EXPECT_EQ(Code(Api("GET", "/v1/orders/order-404404")), "ORDER_NOT_FOUND");
  EXPECT_EQ(Code(Api("GET", "/v1/orders/bad%20id")), "INVALID_REQUEST");
}

TEST_F(GatewayPaymentApiTest, DatabaseOutageAnswers503AndRecovers) {
  testing::TcpProxy proxy(database_.url().host, database_.url().port);
  infra::db::MysqlUrl through_proxy = database_.url();
  through_proxy.host = "127.0.0.1";
  through_proxy.port = proxy.port();
  StartGateway(Options(), std::nullopt, through_proxy);
  ASSERT_EQ(Api("POST", "/v1/checkouts", Checkout("order-000042")).status, 201);

  proxy.SetDown(true);
  const auto refused = Api("POST", "/v1/checkouts", Checkout("order-000043"));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(Code(refused), "DATABASE_UNAVAILABLE");
  const auto readiness = Send("GET", "/readyz");
  EXPECT_EQ(readiness.status, 503);
  EXPECT_EQ(json::parse(readiness.body).at("database"), false);

  proxy.SetDown(false);
  EXPECT_TRUE(Eventually(
      [&] { return Api("POST", "/v1/checkouts", Checkout("order-000043")).status / 100 == 2; }));
  EXPECT_TRUE(Eventually([&] { return Send("GET", "/readyz").status == 200; }));
}

}  // namespace
}  // namespace paypipe::gateway::test
