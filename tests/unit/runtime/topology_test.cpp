#include "paypipe/runtime/topology/topology.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace paypipe::runtime::topology {
namespace {

constexpr std::string_view kSpec = R"({
  "version": 1,
  "exchanges": {"work": "paypipe.work", "retry": "paypipe.retry", "dead_letter": "paypipe.dlx"},
  "defaults": {"delivery_limit": 7, "max_length": 1000, "retry_max_length": 2000,
               "dlq_max_length": 3000},
  "stages": [
    {"name": "confirm", "retry_tiers_seconds": [5, 30]},
    {"name": "notify-slack", "retry_tiers_seconds": [2], "delivery_limit": 3}
  ]
})";

TopologySpec Spec() {
  auto spec = TopologySpec::FromJson(kSpec);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return spec.value();
}

const QueueDef& FindQueue(const Topology& t, const std::string& name) {
  auto it = std::find_if(t.queues.begin(), t.queues.end(),
                         [&](const QueueDef& q) { return q.name == name; });
  if (it == t.queues.end()) throw std::runtime_error("no queue " + name);
  return *it;
}

TEST(TopologySpec, ParsesStagesTiersAndDefaults) {
  const auto spec = Spec();
  ASSERT_EQ(spec.stages.size(), 2u);
  EXPECT_EQ(spec.stages[0].delivery_limit, 7);
  EXPECT_EQ(spec.stages[1].delivery_limit, 3);
  ASSERT_EQ(spec.stages[0].retry_tiers.size(), 2u);
  EXPECT_EQ(spec.stages[0].retry_tiers[1], std::chrono::seconds(30));
  EXPECT_NE(spec.FindStage("notify-slack"), nullptr);
  EXPECT_EQ(spec.FindStage("nope"), nullptr);
}

TEST(TopologySpec, RefusesBrokenSpecsNamingTheProblem) {
  EXPECT_FALSE(TopologySpec::FromJson("{").ok());
  EXPECT_FALSE(TopologySpec::FromJson(R"({"version": 2})").ok());
  std::string twice = std::string(kSpec);
  twice.replace(twice.find("notify-slack"), 12, "confirm");
  auto dup = TopologySpec::FromJson(twice);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("named twice"), std::string::npos);
  std::string shrinking = std::string(kSpec);
  shrinking.replace(shrinking.find("[5, 30]"), 7, "[30, 5]");
  EXPECT_FALSE(TopologySpec::FromJson(shrinking).ok());
  std::string negative = std::string(kSpec);
  negative.replace(negative.find("\"delivery_limit\": 7"), 19, "\"delivery_limit\": -1");
  EXPECT_FALSE(TopologySpec::FromJson(negative).ok());
}

TEST(TopologySpec, TheShippedSpecNamesEveryContractStage) {
  const auto& spec = TopologySpec::Default();
  for (const char* stage : {"webhook-intake", "confirm", "cancel-retry", "settlement",
                            "notify-slack"}) {
    const auto* s = spec.FindStage(stage);
    ASSERT_NE(s, nullptr) << stage;
    EXPECT_FALSE(s->retry_tiers.empty()) << stage;
  }
  EXPECT_EQ(spec.work_exchange, "paypipe.work");
  EXPECT_EQ(spec.retry_exchange, "paypipe.retry");
  EXPECT_EQ(spec.dead_letter_exchange, "paypipe.dlx");
}

TEST(Expand, WorkQueueIsQuorumWithDeliveryLimitAndAtLeastOnceDeadLettering) {
  const auto t = Expand(Spec());
  const auto& q = FindQueue(t, "paypipe.confirm");
  EXPECT_EQ(ToString(q.arguments.at("x-queue-type")), "quorum");
  EXPECT_EQ(ToString(q.arguments.at("x-delivery-limit")), "7");
  EXPECT_EQ(ToString(q.arguments.at("x-dead-letter-exchange")), "paypipe.dlx");
  EXPECT_EQ(ToString(q.arguments.at("x-dead-letter-routing-key")), "confirm");
  EXPECT_EQ(ToString(q.arguments.at("x-dead-letter-strategy")), "at-least-once");
  EXPECT_EQ(ToString(q.arguments.at("x-overflow")), "reject-publish");
  EXPECT_EQ(ToString(q.arguments.at("x-max-length")), "1000");
}

TEST(Expand, EachRetryTierIsAWaitQueueWithOneTtlThatReturnsToWork) {
  const auto t = Expand(Spec());
  const auto& tier2 = FindQueue(t, "paypipe.confirm.retry.2");
  EXPECT_EQ(std::get<std::int64_t>(tier2.arguments.at("x-message-ttl")), 30000);
  EXPECT_EQ(ToString(tier2.arguments.at("x-dead-letter-exchange")), "paypipe.work");
  EXPECT_EQ(ToString(tier2.arguments.at("x-dead-letter-routing-key")), "confirm");
  EXPECT_EQ(ToString(tier2.arguments.at("x-max-length")), "2000");
  EXPECT_EQ(ToString(tier2.arguments.at("x-dead-letter-strategy")), "at-least-once");
  const BindingDef binding{"paypipe.retry", "paypipe.confirm.retry.2", "confirm.2"};
  EXPECT_NE(std::find(t.bindings.begin(), t.bindings.end(), binding), t.bindings.end());
  // 2 stages: work + dlq each, 2 + 1 retry tiers.
  EXPECT_EQ(t.queues.size(), 2u * 2u + 3u);
  EXPECT_EQ(t.exchanges.size(), 3u);
}

TEST(Expand, DeadLetterQueueIsBoundToTheDlxByStage) {
  const auto t = Expand(Spec());
  const auto& dlq = FindQueue(t, "paypipe.notify-slack.dlq");
  EXPECT_EQ(ToString(dlq.arguments.at("x-max-length")), "3000");
  EXPECT_FALSE(dlq.arguments.contains("x-dead-letter-exchange"));
  const BindingDef binding{"paypipe.dlx", "paypipe.notify-slack.dlq", "notify-slack"};
  EXPECT_NE(std::find(t.bindings.begin(), t.bindings.end(), binding), t.bindings.end());
}

TEST(ExportDefinitions, HoldsEveryObjectWithTypedArguments) {
  const auto t = Expand(Spec());
  const auto doc = nlohmann::json::parse(ExportDefinitions(t, "/"));
  EXPECT_EQ(doc["queues"].size(), t.queues.size());
  EXPECT_EQ(doc["exchanges"].size(), 3u);
  EXPECT_EQ(doc["bindings"].size(), t.bindings.size());
  EXPECT_TRUE(doc["users"].empty());
  for (const auto& q : doc["queues"]) {
    EXPECT_EQ(q["vhost"], "/");
    EXPECT_TRUE(q["durable"].get<bool>());
    if (q["name"] == "paypipe.confirm") {
      EXPECT_TRUE(q["arguments"]["x-delivery-limit"].is_number_integer());
      EXPECT_EQ(q["arguments"]["x-queue-type"], "quorum");
    }
  }
}

BrokerState StateOf(const Topology& t) { return {t.exchanges, t.queues, t.bindings}; }

TEST(Diff, NoDriftWhenTheBrokerHoldsExactlyTheTopology) {
  const auto t = Expand(Spec());
  EXPECT_TRUE(Diff(t, StateOf(t)).empty());
}

TEST(Diff, NamesEveryDifferingArgumentOfAQueue) {
  const auto t = Expand(Spec());
  auto state = StateOf(t);
  auto& q = *std::find_if(state.queues.begin(), state.queues.end(),
                          [](const QueueDef& d) { return d.name == "paypipe.confirm"; });
  q.arguments["x-delivery-limit"] = std::int64_t{20};
  q.arguments.erase("x-overflow");
  q.arguments["x-max-priority"] = std::int64_t{5};
  const auto drifts = Diff(t, state);
  ASSERT_EQ(drifts.size(), 1u);
  const auto& d = drifts[0];
  EXPECT_EQ(d.kind, DriftKind::kQueueArguments);
  EXPECT_EQ(d.subject, "paypipe.confirm");
  EXPECT_FALSE(d.FixableByApply());
  ASSERT_EQ(d.arguments.size(), 3u);
  std::map<std::string, ArgumentDifference> by_name;
  for (const auto& a : d.arguments) by_name.emplace(a.argument, a);
  EXPECT_EQ(by_name.at("x-delivery-limit").expected, "7");
  EXPECT_EQ(by_name.at("x-delivery-limit").actual, "20");
  EXPECT_EQ(by_name.at("x-overflow").actual, std::nullopt);
  EXPECT_EQ(by_name.at("x-max-priority").expected, std::nullopt);
  EXPECT_NE(d.detail.find("x-delivery-limit: expected 7, broker has 20"), std::string::npos);
}

TEST(Diff, ReportsMissingObjectsAndUnexpectedQueues) {
  const auto t = Expand(Spec());
  auto state = StateOf(t);
  state.exchanges.erase(state.exchanges.begin());
  state.exchanges.push_back({"paypipe.work", "topic"});
  state.queues.erase(std::remove_if(state.queues.begin(), state.queues.end(),
                                    [](const QueueDef& q) { return q.name == "paypipe.confirm.dlq"; }),
                     state.queues.end());
  state.bindings.pop_back();
  state.queues.push_back({"paypipe.legacy", {}});
  state.queues.push_back({"someone-else", {}});
  const auto drifts = Diff(t, state);
  std::multiset<DriftKind> kinds;
  for (const auto& d : drifts) kinds.insert(d.kind);
  EXPECT_EQ(kinds.count(DriftKind::kExchangeType), 1u);
  EXPECT_EQ(kinds.count(DriftKind::kMissingQueue), 1u);
  EXPECT_EQ(kinds.count(DriftKind::kMissingBinding), 1u);
  EXPECT_EQ(kinds.count(DriftKind::kUnexpectedQueue), 1u);
  EXPECT_EQ(drifts.size(), 4u);
}

TEST(ParseBrokerState, ReadsManagementApiShapes) {
  auto state = ParseBrokerState(
      R"([{"name":"paypipe.work","type":"direct","vhost":"v"},{"name":"","type":"direct"}])",
      R"([{"name":"paypipe.confirm","arguments":{"x-delivery-limit":7,"x-queue-type":"quorum"}}])",
      R"([{"source":"","destination":"paypipe.confirm","destination_type":"queue","routing_key":"paypipe.confirm"},
          {"source":"paypipe.work","destination":"paypipe.confirm","destination_type":"queue","routing_key":"confirm"}])");
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->queues[0].arguments.at("x-delivery-limit"), ArgumentValue(std::int64_t{7}));
  ASSERT_EQ(state->bindings.size(), 1u);  // the default exchange's implicit binding is skipped
  EXPECT_EQ(state->bindings[0].routing_key, "confirm");
  EXPECT_FALSE(ParseBrokerState("{}", "[]", "[]").ok());
}

}  // namespace
}  // namespace paypipe::runtime::topology
