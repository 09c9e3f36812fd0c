#pragma once

// Shared by the scheduler's integration tests: a vhost with the production topology, a database
// with the production schema, stuck payments to reconcile, and `paypipe scheduler` as a child
// process with a schedule of seconds.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/metrics/text_reader.hpp"
#include "paypipe/messages/payment_verify.hpp"
#include "paypipe/testing/process.hpp"
#include "paypipe/testing/runtime_fixture.hpp"

namespace paypipe::scheduler::test {

using namespace std::chrono_literals;
using nlohmann::json;
using runtime::test::Eventually;

inline const std::string kConfirmQueue = runtime::topology::WorkQueueName("confirm");
inline const std::string kNotifySlackQueue = runtime::topology::WorkQueueName("notify-slack");
inline constexpr std::string_view kPartner = "partner-1";

// The schedule the tests run with: stuck 1 s after the last change, looked up 2, 4 and 6 s
// after that (steps far enough apart that a loaded machine does not merge two), 200 ms runs.
inline constexpr std::chrono::seconds kStuckAfter{1};
inline const std::vector<std::chrono::seconds> kSteps = {2s, 4s, 6s};

struct Payment {
  std::int64_t id = 0;
  std::string payment_key;
  std::string order_id;
};

class SchedulerTest : public runtime::test::WorkerTest {
 protected:
  SchedulerTest() : WorkerTest(runtime::topology::TopologySpec::Default()) {
    Exec("INSERT INTO partners (partner_id, name, fee_rate_bps) VALUES (?, 'P', 250)", {kPartner});
    Exec("INSERT INTO customers (customer_id) VALUES ('customer-1')");
  }

  void Exec(const std::string& sql, const infra::db::Params& params = {}) {
    auto done = db_->Execute(sql, params);
    if (!done.ok()) throw std::runtime_error(done.error().ToString() + " in " + sql);
  }

  // An order and its Toss payment in `status`, last changed now.
  Payment AddPayment(const std::string& name, const std::string& status) {
    Payment payment{0, "tgen_" + name, "order-" + name};
    Exec(
        "INSERT INTO orders (order_id, order_name, partner_id, customer_id, provider, amount) "
        "VALUES (?, 'Order', ?, 'customer-1', 'toss', 15000)",
        {payment.order_id, kPartner});
    Exec(
        "INSERT INTO payments (provider, payment_key, order_id, partner_id, status, "
        "total_amount, balance_amount) VALUES ('toss', ?, ?, ?, ?, 15000, 15000)",
        {payment.payment_key, payment.order_id, kPartner, status});
    payment.id = Scalar("SELECT id FROM payments WHERE payment_key = ?", {payment.payment_key});
    return payment;
  }

  // `paypipe scheduler` against this test's broker and database, with the test schedule;
  // `overrides` replace or add variables (NAME=value).
  std::unique_ptr<testing::PaypipeProcess> StartScheduler(
      const std::vector<std::string>& overrides = {}) const {
    std::map<std::string, std::string> variables = {{"PAYPIPE_AMQP_URL", vhost_.amqp_url()},
                                                    {"PAYPIPE_MYSQL_URL", database_.url_string()},
                                                    {"PAYPIPE_HTTP_ADDR", "127.0.0.1:0"},
                                                    {"PAYPIPE_RECONCILE_INTERVAL", "200ms"},
                                                    {"PAYPIPE_RECONCILE_STUCK_AFTER", "1s"},
                                                    {"PAYPIPE_RECONCILE_SCHEDULE", "2s,4s,6s"},
                                                    {"PAYPIPE_SCHEDULER_LEASE", "3s"},
                                                    {"PAYPIPE_SHUTDOWN_GRACE", "10s"},
                                                    {"PAYPIPE_LOG_LEVEL", "info"}};
    for (const std::string& entry : overrides) {
      const auto equals = entry.find('=');
      variables[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    std::vector<std::string> environment;
    for (const auto& [name, value] : variables) environment.push_back(name + "=" + value);
    auto process = std::make_unique<testing::PaypipeProcess>(std::vector<std::string>{"scheduler"},
                                                             std::move(environment));
    EXPECT_TRUE(process->spawned());
    return process;
  }

  // The port a scheduler serves /metrics on, once it has said so.
  static int MetricsPort(const testing::PaypipeProcess& scheduler) {
    std::optional<int> port;
    Eventually([&] {
      return (port = testing::LoggedPort(scheduler, "serving health and metrics")).has_value();
    });
    if (!port) throw std::runtime_error("no metrics port in:\n" + scheduler.Err());
    return *port;
  }

  // One series of a scheduler's /metrics (0 when absent or unreachable).
  static double Metric(int port, std::string_view series) {
    infra::http_client::Client client;
    infra::http_client::ClientRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
    auto response = client.Send(request);
    return response.ok() ? infra::metrics::SeriesValue(response->body, series) : 0;
  }

  static std::string Series(std::string_view name, std::string_view labels) {
    return std::string(name) + "{" + std::string(labels) + "}";
  }

  // How far after the payment became stuck the outbox row of `message_id` was written, and -1
  // when there is no such row.
  std::int64_t WrittenAfterStuckMs(const Payment& payment, const std::string& message_id) {
    return Scalar(
        "SELECT COALESCE(MAX(TIMESTAMPDIFF(MICROSECOND, r.stuck_since, o.created_at)) DIV 1000, "
        "-1) FROM outbox o JOIN payment_reconciliations r ON r.payment_id = ? "
        "WHERE o.message_id = ?",
        {payment.id, message_id});
  }

  // The verify the schedule's `attempt`-th look-up of `payment` must be.
  static void ExpectLookUp(const infra::amqp::Delivery& delivery, const Payment& payment,
                           std::int64_t attempt, const std::string& status) {
    EXPECT_EQ(delivery.exchange, "paypipe.work");
    EXPECT_EQ(delivery.routing_key, "confirm");
    EXPECT_EQ(delivery.properties.type, "payment.verify");
    EXPECT_EQ(delivery.properties.message_id,
              messages::ReconcileVerifyMessageId(payment.id, attempt));
    EXPECT_EQ(delivery.properties.correlation_id, payment.order_id);
    EXPECT_EQ(json::parse(delivery.body), (json{{"schema_version", 1},
                                                {"provider", "toss"},
                                                {"paymentKey", payment.payment_key},
                                                {"orderId", payment.order_id},
                                                {"reason", "reconcile:" + status}}));
  }
};

}  // namespace paypipe::scheduler::test
