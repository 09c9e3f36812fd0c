#include "paypipe/cli/topology/topology_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace paypipe::cli::topology {
namespace {

using domain::Error;
using domain::Status;

class RecordingDeclarer final : public Declarer {
 public:
  Status DeclareExchange(const model::ExchangeDef& e) override {
    exchanges.push_back(e.name);
    return {};
  }
  Status DeclareQueue(const model::QueueDef& q) override {
    if (q.name == fail_queue) return Error::Permanent("AMQP_PRECONDITION_FAILED", "inequivalent arg");
    queues.push_back(q.name);
    return {};
  }
  Status Bind(const model::BindingDef& b) override {
    bindings.push_back(b.queue);
    return {};
  }
  std::vector<std::string> exchanges, queues, bindings;
  std::string fail_queue;
};

class FixedReader final : public BrokerReader {
 public:
  explicit FixedReader(domain::Result<model::BrokerState> state) : state_(std::move(state)) {}
  domain::Result<model::BrokerState> Read() override { return state_; }

 private:
  domain::Result<model::BrokerState> state_;
};

model::Topology SmallTopology() {
  auto spec = model::TopologySpec::FromJson(R"({"version":1,
    "exchanges":{"work":"paypipe.work","retry":"paypipe.retry","dead_letter":"paypipe.dlx"},
    "stages":[{"name":"confirm","retry_tiers_seconds":[5]}]})");
  return model::Expand(spec.value());
}

TEST(TopologyApply, DeclaresEverythingOnAnEmptyBroker) {
  const auto t = SmallTopology();
  RecordingDeclarer declarer;
  FixedReader reader(model::BrokerState{});
  std::ostringstream out;
  EXPECT_EQ(Apply(t, declarer, &reader, out), kExitOk);
  EXPECT_EQ(declarer.exchanges.size(), 3u);
  EXPECT_EQ(declarer.queues.size(), 3u);
  EXPECT_EQ(declarer.bindings.size(), 3u);
}

TEST(TopologyApply, LeavesAQueueWithDifferentArgumentsAloneAndNamesThem) {
  const auto t = SmallTopology();
  model::BrokerState state{t.exchanges, t.queues, t.bindings};
  state.queues[0].arguments["x-delivery-limit"] = std::int64_t{99};
  RecordingDeclarer declarer;
  FixedReader reader(state);
  std::ostringstream out;
  EXPECT_EQ(Apply(t, declarer, &reader, out), kExitDrift);
  EXPECT_EQ(std::count(declarer.queues.begin(), declarer.queues.end(), t.queues[0].name), 0);
  EXPECT_EQ(declarer.queues.size(), 2u);
  EXPECT_NE(out.str().find("x-delivery-limit: expected 10, broker has 99"), std::string::npos);
}

TEST(TopologyApply, ReportsARefusedDeclarationWithoutAReader) {
  const auto t = SmallTopology();
  RecordingDeclarer declarer;
  declarer.fail_queue = "paypipe.confirm";
  std::ostringstream out;
  EXPECT_EQ(Apply(t, declarer, nullptr, out), kExitDrift);
  EXPECT_NE(out.str().find("queue paypipe.confirm: inequivalent arg"), std::string::npos);
  EXPECT_EQ(declarer.queues.size(), 2u);
}

TEST(TopologyCheck, ExitCodeSaysWhetherThereIsDrift) {
  const auto t = SmallTopology();
  std::ostringstream out;
  FixedReader same(model::BrokerState{t.exchanges, t.queues, t.bindings});
  EXPECT_EQ(Check(t, same, out), kExitOk);
  FixedReader empty(model::BrokerState{});
  EXPECT_EQ(Check(t, empty, out), kExitDrift);
  FixedReader broken(Error::Transient("RABBITMQ_API_UNREACHABLE", "refused"));
  EXPECT_EQ(Check(t, broken, out), kExitError);
}

}  // namespace
}  // namespace paypipe::cli::topology
