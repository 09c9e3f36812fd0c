// `paypipe worker test-echo` as a real process: it processes messages and stops on SIGTERM.
#include <signal.h>

#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/testing/process.hpp"
#include "paypipe/testing/runtime_fixture.hpp"
#include "paypipe/testing/tcp_proxy.hpp"

namespace paypipe::runtime::test {
namespace {

// `paypipe worker test-echo` with the given environment; killed if the test ends first.
class WorkerProcess : public testing::PaypipeProcess {
 public:
  explicit WorkerProcess(std::vector<std::string> environment)
      : PaypipeProcess({"worker", "test-echo"}, std::move(environment)) {}
};

class WorkerCommandTest : public RuntimeTest {
 protected:
  std::vector<std::string> Environment() {
    return {"PAYPIPE_AMQP_URL=" + vhost_.amqp_url(),
            "PAYPIPE_MYSQL_URL=" + database_.url_string(),
            "PAYPIPE_HTTP_ADDR=127.0.0.1:0",
            "PAYPIPE_CONCURRENCY=2",
            "PAYPIPE_SHUTDOWN_GRACE=10s",
            "PAYPIPE_LOG_LEVEL=warn"};
  }
};

TEST_F(WorkerCommandTest, ProcessesMessagesAndStopsOnSigterm) {
  WorkerProcess worker(Environment());
  std::vector<OutboundMessage> messages;
  for (int i = 0; i < 50; ++i) messages.push_back(EchoMessage(TestId(i)));
  Publish(messages);

  EXPECT_EQ(Drain(kSinkQueue, 50, 30s).size(), 50u);
  EXPECT_EQ(EffectRows(), 50);
  EXPECT_EQ(MaxEffectsPerMessage(), 1);

  const auto started = std::chrono::steady_clock::now();
  worker.Signal(SIGTERM);
  EXPECT_EQ(worker.Wait(15s), 0) << worker.Err();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

// The port the worker logged when it started serving HTTP (PAYPIPE_HTTP_ADDR=127.0.0.1:0).
std::optional<int> ServedPort(const testing::PaypipeProcess& worker) {
  return testing::LoggedPort(worker, "serving health and metrics");
}

infra::http::Response Get(int port, const std::string& path) {
  infra::http_client::Client client;
  infra::http_client::ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + path;
  auto response = client.Send(request);
  if (!response.ok()) throw std::runtime_error(response.error().ToString());
  return *std::move(response);
}

TEST_F(WorkerCommandTest, ReadinessFollowsTheDatabaseAndMetricsCountMessages) {
  infra::http_client::CurlGlobal curl;
  // The worker reaches MariaDB through a relay the test can take down.
  infra::db::MysqlUrl through_proxy = database_.url();
  testing::TcpProxy proxy(through_proxy.host, through_proxy.port);
  through_proxy.host = "127.0.0.1";
  through_proxy.port = proxy.port();
  std::vector<std::string> environment = Environment();
  for (std::string& entry : environment) {
    if (entry.rfind("PAYPIPE_MYSQL_URL=", 0) == 0)
      entry = "PAYPIPE_MYSQL_URL=" + through_proxy.Serialize();
    if (entry.rfind("PAYPIPE_LOG_LEVEL=", 0) == 0) entry = "PAYPIPE_LOG_LEVEL=info";
  }
  WorkerProcess worker(environment);
  std::optional<int> port;
  ASSERT_TRUE(Eventually([&] { return (port = ServedPort(worker)).has_value(); }, 15s))
      << worker.Err();
  EXPECT_EQ(Get(*port, "/healthz").status, 200);
  ASSERT_TRUE(Eventually([&] { return Get(*port, "/readyz").status == 200; }, 15s))
      << Get(*port, "/readyz").body;

  std::vector<OutboundMessage> messages;
  for (int i = 0; i < 20; ++i) messages.push_back(EchoMessage(TestId(i)));
  messages.push_back(EchoMessage(TestId(99), {{"fail", "permanent"}}));
  Publish(messages);
  ASSERT_EQ(Drain(kSinkQueue, 20, 30s).size(), 20u);
  ASSERT_TRUE(Eventually([&] {
    return Get(*port, "/metrics")
               .body.find(
                   R"(paypipe_stage_messages_total{stage="test-echo",outcome="acked"} 21)") !=
           std::string::npos;
  })) << Get(*port, "/metrics").body;
  const std::string metrics = Get(*port, "/metrics").body;
  EXPECT_NE(
      metrics.find(R"(paypipe_stage_messages_total{stage="test-echo",outcome="dead_lettered"} 1)"),
      std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(paypipe_stage_processing_seconds_count{stage="test-echo"} 21)"),
            std::string::npos)
      << metrics;
  // The dead-lettered message is logged with its ids.
  EXPECT_NE(worker.Err().find(R"("message_id":")" + TestId(99) + '"'), std::string::npos)
      << worker.Err();

  // The database becomes unreachable: /readyz says so within a few probe intervals, and
  // recovers once it is back.
  proxy.SetDown(true);
  ASSERT_TRUE(Eventually([&] { return Get(*port, "/readyz").status == 503; }, 15s));
  EXPECT_EQ(nlohmann::json::parse(Get(*port, "/readyz").body)["database"], false);
  proxy.SetDown(false);
  ASSERT_TRUE(Eventually([&] { return Get(*port, "/readyz").status == 200; }, 15s));
  worker.Signal(SIGTERM);
  EXPECT_EQ(worker.Wait(15s), 0) << worker.Err();
}

TEST_F(WorkerCommandTest, RefusesAMistypedFaultPoint) {
  std::vector<std::string> environment = Environment();
  environment.push_back("PAYPIPE_FAULT_POINT=no_such_point:1");
  WorkerProcess worker(environment);
  EXPECT_EQ(worker.Wait(15s), 2);
}

}  // namespace
}  // namespace paypipe::runtime::test
