// The Slack incoming-webhook receiver of a running sim, over HTTP.
#include "sim_http_support.hpp"

namespace paypipe::sim::test {
namespace {

class SimSlack : public SimTest {
 protected:
  void SetUp() override { StartSim(); }
  infra::http::Response Post(const json& payload) {
    return client().Must("POST", "/slack/services/T0/B0/secret", payload.dump());
  }
};

TEST_F(SimSlack, AcceptsValidMessagesAndRefusesEveryBrokenLimitAsInvalidPayload) {
  auto ok = Post(
      {{"text", "Cancel failed"},
       {"blocks", {{{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", "Alert"}}}}}}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok");

  json too_many = json::array();
  for (int i = 0; i < 51; ++i) too_many.push_back({{"type", "divider"}});
  json fields = json::array();
  for (int i = 0; i < 11; ++i) fields.push_back({{"type", "mrkdwn"}, {"text", "f"}});
  const json invalid[] = {
      {{"text", "x"}, {"blocks", too_many}},
      {{"text", "x"},
       {"blocks",
        {{{"type", "header"},
          {"text", {{"type", "plain_text"}, {"text", std::string(151, 'h')}}}}}}},
      {{"text", "x"},
       {"blocks",
        {{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::string(3001, 's')}}}}}}},
      {{"text", "x"}, {"blocks", {{{"type", "section"}, {"fields", fields}}}}},
  };
  for (const json& payload : invalid) {
    auto refused = Post(payload);
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.body, "invalid_payload");
  }
  auto broken = client().Must("POST", "/slack/services/T0/B0/secret", "{\"text\": ");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(broken.body, "invalid_payload");

  const json ledger = client().Ledger();
  EXPECT_EQ(ledger["slack"]["accepted"].size(), 1u);
  EXPECT_EQ(ledger["slack"]["accepted"][0]["payload"]["text"], "Cancel failed");
  EXPECT_EQ(ledger["slack"]["rejected"].size(), 5u);
}

TEST_F(SimSlack, RateLimitModeAnswers429WithRetryAfterThenRecovers) {
  client().Control("PUT", "/faults/endpoints/slack.post",
                   {{"faults", {{{"error", "rate_limited"}, {"count", 2}, {"retry_after_s", 3}}}}});
  for (int i = 0; i < 2; ++i) {
    auto limited = Post({{"text", "burst"}});
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.headers.Get("Retry-After"), "3");
  }
  EXPECT_EQ(Post({{"text", "after"}}).status, 200);
  client().Control("PUT", "/faults/endpoints/slack.post",
                   {{"faults", {{{"error", "channel_not_found"}, {"probability", 1.0}}}}});
  auto gone = Post({{"text", "x"}});
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body, "channel_not_found");
  client().Control("DELETE", "/faults");
  EXPECT_EQ(Post({{"text", "back"}}).status, 200);
  EXPECT_EQ(client().Ledger()["slack"]["accepted"].size(), 2u);
}

}  // namespace
}  // namespace paypipe::sim::test
