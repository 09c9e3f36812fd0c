// `paypipe sim` as operators and scripts run it: the binary, its flags, ledger and reset.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "paypipe/testing/process.hpp"
#include "sim_http_support.hpp"

namespace paypipe::sim::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

using Child = testing::PaypipeProcess;
constexpr auto kExitWithin = std::chrono::seconds(30);

TEST(SimCli, ServesUntilSigtermAndAnswersLedgerAndReset) {
  infra::http_client::CurlGlobal curl;
  char dir_template[] = "/tmp/paypipe_sim_port_XXXXXX";
  const std::string port_file = std::string(::mkdtemp(dir_template)) + "/port";
  const std::string faults =
      R"({"endpoints":{"toss.get_payment":{"faults":[{"error":"PROVIDER_ERROR","count":1}]}}})";
  Child sim({"sim", "--http-addr", "127.0.0.1:0", "--port-file", port_file, "--toss-secret-key",
             kTossKey, "--seed", "42", "--faults", faults, "--shutdown-grace", "2s"});
  ASSERT_TRUE(sim.spawned());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(port_file).find('\n') != std::string::npos; }, 10s))
      << sim.Err();
  const std::string base = "http://127.0.0.1:" + std::to_string(std::stoi(ReadFile(port_file)));
  EXPECT_EQ(json::parse(sim.Out())["listening"], base);

  SimClient client(base);
  const std::string key = client.Paid("order-cli-0001", 1000);
  auto faulted = client.Toss("GET", "/v1/payments/" + key);
  EXPECT_EQ(json::parse(faulted.body)["code"], "PROVIDER_ERROR");
  EXPECT_EQ(client.Toss("GET", "/v1/payments/" + key).status, 200);

  Child ledger({"sim", "ledger", "--url", base});
  ASSERT_EQ(ledger.Wait(kExitWithin), 0) << ledger.Err();
  const json truth = json::parse(ledger.Out());
  EXPECT_EQ(truth["seed"], 42);
  ASSERT_EQ(truth["confirms"].size(), 1u);
  EXPECT_EQ(truth["confirms"][0]["order_id"], "order-cli-0001");

  Child summary({"sim", "ledger", "--summary", "--url", base});
  ASSERT_EQ(summary.Wait(kExitWithin), 0) << summary.Err();
  const json counts = json::parse(summary.Out());
  EXPECT_EQ(counts["confirms"], 1);
  EXPECT_EQ(counts["payments"]["toss"]["DONE"], 1);

  Child reset({"sim", "reset", "--url", base});
  ASSERT_EQ(reset.Wait(kExitWithin), 0);
  EXPECT_EQ(client.Ledger()["toss"]["payments"].size(), 0u);

  sim.Signal(SIGTERM);
  EXPECT_EQ(sim.Wait(kExitWithin), 0) << sim.Err();
}

TEST(SimCli, InvalidFaultPlanStopsAtStart) {
  Child sim(
      {"sim", "--http-addr", "127.0.0.1:0", "--faults", R"({"endpoints":{"toss.nothing":{}}})"});
  ASSERT_TRUE(sim.spawned());
  EXPECT_EQ(sim.Wait(kExitWithin), 2);
}

TEST(SimCli, LedgerOfAnUnreachableSimFails) {
  Child ledger({"sim", "ledger", "--url", "http://127.0.0.1:1"});
  ASSERT_TRUE(ledger.spawned());
  EXPECT_EQ(ledger.Wait(kExitWithin), 1);
}

}  // namespace
}  // namespace paypipe::sim::test
