// `paypipe topology apply|check|export` against the local RabbitMQ, each test in its own vhost.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "paypipe/domain/percent_encoding.hpp"
#include "paypipe/testing/process.hpp"
#include "paypipe/testing/rabbitmq.hpp"

namespace {

using nlohmann::json;
using paypipe::domain::PercentEncode;
using paypipe::testing::RunPaypipe;
using paypipe::testing::rabbitmq::RequiredEnv;
using paypipe::testing::rabbitmq::ScopedVhost;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TopologyCommandTest : public ::testing::Test {
 protected:
  std::vector<std::string> Environment() const {
    return {"PAYPIPE_AMQP_URL=" + vhost_.amqp_url(),
            "PAYPIPE_RABBITMQ_API_URL=" + RequiredEnv("TEST_RABBITMQ_API_URL")};
  }
  // Every queue of the vhost: name -> arguments.
  std::map<std::string, json> Queues() const {
    const auto response =
        vhost_.api().Request("GET", "/api/queues/" + PercentEncode(vhost_.name()));
    EXPECT_EQ(response.status, 200) << response.body;
    std::map<std::string, json> queues;
    for (const auto& queue : json::parse(response.body)) {
      queues[queue.at("name").get<std::string>()] = queue.at("arguments");
    }
    return queues;
  }
  std::string QueuePath(const std::string& queue) const {
    return "/api/queues/" + PercentEncode(vhost_.name()) + "/" + PercentEncode(queue);
  }

  ScopedVhost vhost_;
};

TEST_F(TopologyCommandTest, ApplyTwiceChangesNothingAndCheckFindsNoDrift) {
  const auto first = RunPaypipe({"topology", "apply"}, Environment());
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  const auto after_first = Queues();
  ASSERT_TRUE(after_first.count("paypipe.confirm")) << first.out;
  EXPECT_EQ(after_first.at("paypipe.confirm").at("x-queue-type"), "quorum");
  EXPECT_TRUE(after_first.count("paypipe.confirm.retry.1"));
  EXPECT_TRUE(after_first.count("paypipe.confirm.dlq"));

  const auto second = RunPaypipe({"topology", "apply"}, Environment());
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_EQ(Queues(), after_first);

  const auto check = RunPaypipe({"topology", "check"}, Environment());
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_TRUE(Contains(check.out, "no drift")) << check.out;
}

TEST_F(TopologyCommandTest, AQueueWithOtherArgumentsIsNamedAndLeftAlone) {
  ASSERT_EQ(RunPaypipe({"topology", "apply"}, Environment()).status, 0);
  // An operator recreated the queue by hand with another delivery limit.
  ASSERT_EQ(vhost_.api().Request("DELETE", QueuePath("paypipe.confirm")).status, 204);
  const json changed = {{"durable", true},
                        {"auto_delete", false},
                        {"arguments", {{"x-queue-type", "quorum"}, {"x-delivery-limit", 3}}}};
  ASSERT_EQ(vhost_.api().Request("PUT", QueuePath("paypipe.confirm"), changed.dump()).status, 201);

  const auto check = RunPaypipe({"topology", "check"}, Environment());
  EXPECT_EQ(check.status, 1) << check.out << check.err;
  EXPECT_TRUE(Contains(check.out, "paypipe.confirm")) << check.out;
  EXPECT_TRUE(Contains(check.out, "x-delivery-limit")) << check.out;

  const auto apply = RunPaypipe({"topology", "apply"}, Environment());
  EXPECT_EQ(apply.status, 1) << apply.out << apply.err;
  EXPECT_TRUE(Contains(apply.out, "refusing to redeclare paypipe.confirm")) << apply.out;
  EXPECT_EQ(Queues().at("paypipe.confirm").at("x-delivery-limit"), 3);
}

TEST_F(TopologyCommandTest, ExportedDefinitionsImportToTheSameTopology) {
  const auto exported = RunPaypipe({"topology", "export", "--vhost", vhost_.name()});
  ASSERT_EQ(exported.status, 0) << exported.err;
  // The management API's import is the one rabbitmqctl import_definitions performs.
  const auto imported = vhost_.api().Request("POST", "/api/definitions", exported.out);
  ASSERT_TRUE(imported.status == 201 || imported.status == 204) << imported.status << imported.body;

  const auto check = RunPaypipe({"topology", "check"}, Environment());
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

TEST_F(TopologyCommandTest, UnreachableBrokerIsAnErrorNotDrift) {
  const auto apply =
      RunPaypipe({"topology", "apply"}, {"PAYPIPE_AMQP_URL=amqp://paypipe:paypipe@127.0.0.1:1/"});
  EXPECT_EQ(apply.status, 3) << apply.out << apply.err;
}

}  // namespace
