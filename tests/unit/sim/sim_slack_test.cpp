#include <gtest/gtest.h>

#include "paypipe/sim/slack.hpp"
#include "sim_fakes.hpp"

namespace paypipe::sim {
namespace {

using nlohmann::json;

json Header(std::size_t length) {
  return {{"type", "header"},
          {"text", {{"type", "plain_text"}, {"text", std::string(length, 'h')}}}};
}
json Section(std::size_t length) {
  return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::string(length, 's')}}}};
}
json Fields(std::size_t count, std::size_t length) {
  json fields = json::array();
  for (std::size_t i = 0; i < count; ++i) {
    fields.push_back({{"type", "mrkdwn"}, {"text", std::string(length, 'f')}});
  }
  return {{"type", "section"}, {"fields", fields}};
}
json Context(std::size_t count) {
  json elements = json::array();
  for (std::size_t i = 0; i < count; ++i) elements.push_back({{"type", "mrkdwn"}, {"text", "c"}});
  return {{"type", "context"}, {"elements", elements}};
}
json Message(json blocks) { return {{"text", "fallback"}, {"blocks", std::move(blocks)}}; }

TEST(SlackValidate, AcceptsTheDocumentedExampleAndLimitsExactly) {
  const json example =
      json::parse(R"js({"text":"Cancel failed after 6 attempts: order-000042 (15,000 KRW)",
    "blocks":[
     {"type":"header","text":{"type":"plain_text","text":"Cancel failed — manual action needed"}},
     {"type":"section","fields":[{"type":"mrkdwn","text":"*Order*\norder-000042"},
                                 {"type":"mrkdwn","text":"*Amount*\n15,000 KRW"}]},
     {"type":"context","elements":[{"type":"mrkdwn","text":"Replay: `paypipe dlq replay 1234`"}]}]})js");
  EXPECT_FALSE(SlackReceiver::Validate(example));
  json fifty = json::array();
  for (int i = 0; i < 50; ++i) fifty.push_back({{"type", "divider"}});
  EXPECT_FALSE(SlackReceiver::Validate(Message(fifty)));
  EXPECT_FALSE(SlackReceiver::Validate(
      Message({Header(150), Section(3000), Fields(10, 2000), Context(10)})));
  // Limits count characters, not bytes.
  json korean = Header(0);
  std::string text;
  for (int i = 0; i < 150; ++i) text += "가";
  korean["text"]["text"] = text;
  EXPECT_FALSE(SlackReceiver::Validate(Message({korean})));
}

TEST(SlackValidate, OneOverAnyLimitIsInvalidPayload) {
  json fifty_one = json::array();
  for (int i = 0; i < 51; ++i) fifty_one.push_back({{"type", "divider"}});
  for (const json& message :
       {Message(fifty_one), Message({Header(151)}), Message({Section(3001)}),
        Message({Fields(11, 10)}), Message({Fields(1, 2001)}), Message({Context(11)}),
        Message({Context(0)}), Message({{{"type", "no_such_block"}}}),
        Message({{{"type", "header"}, {"text", {{"type", "mrkdwn"}, {"text", "h"}}}}}),
        json{{"text", 5}}, json::array()}) {
    EXPECT_EQ(SlackReceiver::Validate(message), "invalid_payload") << message.dump().substr(0, 120);
  }
  EXPECT_EQ(SlackReceiver::Validate(json::object()), "no_text");
}

TEST(SlackReceiver, AnswersOkRecordsMessagesAndRefusesBrokenJson) {
  testing::SimHarness h;
  auto ok = h.Send("POST", "/slack/services/T1/B1/x", R"({"text":"hello"})");
  EXPECT_EQ(ok->response->status, 200);
  EXPECT_EQ(ok->response->body, "ok");
  auto broken = h.Send("POST", "/slack/services/T1/B1/x", R"({"text":)");
  EXPECT_EQ(broken->response->status, 400);
  EXPECT_EQ(broken->response->body, "invalid_payload");
  auto form = h.Send("POST", "/slack/services/T1/B1/x", "payload=%7B%22text%22%3A%22via+form%22%7D",
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form->response->status, 200);
  auto long_text =
      h.Send("POST", "/slack/services/T1/B1/x", json{{"text", std::string(40001, 'x')}}.dump());
  EXPECT_EQ(long_text->response->status, 200);  // truncated, not refused

  const json slack = h.Truth()["slack"];
  ASSERT_EQ(slack["accepted"].size(), 3u);
  EXPECT_EQ(slack["accepted"][0]["payload"]["text"], "hello");
  EXPECT_EQ(slack["accepted"][0]["path"], "/services/T1/B1/x");
  EXPECT_EQ(slack["accepted"][1]["payload"]["text"], "via form");
  EXPECT_EQ(slack["accepted"][2]["truncated"], true);
  EXPECT_EQ(slack["accepted"][2]["payload"]["text"].get<std::string>().size(), 40000u);
  ASSERT_EQ(slack["rejected"].size(), 1u);
  EXPECT_EQ(slack["rejected"][0]["error"], "invalid_payload");
}

TEST(SlackReceiver, FaultModesAnswerLikeSlack) {
  testing::SimHarness h;
  ASSERT_EQ(h.Control("PUT", "/faults/endpoints/slack.post",
                      {{"faults",
                        {{{"error", "channel_not_found"}, {"count", 1}},
                         {{"error", "rollup_error"}, {"count", 1}},
                         {{"error", "rate_limited"}, {"count", 1}, {"retry_after_s", 30}}}}})
                .response->status,
            200);
  auto not_found = h.Send("POST", "/slack/x", R"({"text":"a"})");
  EXPECT_EQ(not_found->response->status, 404);
  EXPECT_EQ(not_found->response->body, "channel_not_found");
  auto rollup = h.Send("POST", "/slack/x", R"({"text":"a"})");
  EXPECT_EQ(rollup->response->status, 500);
  EXPECT_EQ(rollup->response->body, "rollup_error");
  auto limited = h.Send("POST", "/slack/x", R"({"text":"a"})");
  EXPECT_EQ(limited->response->status, 429);
  EXPECT_EQ(limited->response->headers.Get("Retry-After"), "30");
  EXPECT_EQ(h.Send("POST", "/slack/x", R"({"text":"a"})")->response->status, 200);
  EXPECT_EQ(h.Truth()["slack"]["accepted"].size(), 1u);
}

}  // namespace
}  // namespace paypipe::sim
