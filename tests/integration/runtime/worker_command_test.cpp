// `paypipe worker test-echo` as a real process: it processes messages and stops on SIGTERM.
#include <signal.h>

#include "paypipe/testing/process.hpp"
#include "runtime_fixture.hpp"

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

TEST_F(WorkerCommandTest, RefusesAMistypedFaultPoint) {
  std::vector<std::string> environment = Environment();
  environment.push_back("PAYPIPE_FAULT_POINT=no_such_point:1");
  WorkerProcess worker(environment);
  EXPECT_EQ(worker.Wait(15s), 2);
}

}  // namespace
}  // namespace paypipe::runtime::test
