#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "message_refusals.hpp"
#include "paypipe/messages/alert_slack.hpp"
#include "paypipe/messages/origin.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages {
namespace {

using nlohmann::json;

SlackAlert Alert() {
  SlackAlert alert;
  alert.severity = AlertSeverity::kCritical;
  alert.title = "Payment still UNKNOWN after every look-up";
  alert.text = "Payment pay-1 of order order-000042 (toss) is still UNKNOWN.\nCheck it at the PG.";
  alert.dedupe_key = "reconcile-exhausted:7";
  alert.fields = {{"orderId", "order-000042"}, {"paymentKey", "pay-1"}, {"attempts", 6}};
  return alert;
}

TEST(SlackAlertMessage, RoundTripsThroughTheWireToNotifySlack) {
  const auto wire = BuildSlackAlert(Alert(), OriginMessageId(kAlertSlackType, "reconcile:7"),
                                    "order-000042", 1'700'000'000);
  EXPECT_EQ(wire.exchange, "paypipe.work");
  EXPECT_EQ(wire.routing_key, "notify-slack");
  EXPECT_EQ(wire.message.type, "alert.slack");
  EXPECT_EQ(wire.message.message_id, OriginMessageId("alert.slack", "reconcile:7"));
  EXPECT_EQ(wire.message.correlation_id, "order-000042");
  auto envelope = runtime::ParseEnvelope(wire.message, {SlackAlertSpec()});
  ASSERT_TRUE(envelope.ok()) << envelope.error().ToString();
  EXPECT_EQ(envelope->body.at("severity"), "critical");
  EXPECT_EQ(envelope->body.at("dedupe_key"), "reconcile-exhausted:7");
  EXPECT_EQ(envelope->body.at("fields").at("attempts"), 6);
  const auto parsed = ParseSlackAlert(envelope->body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, Alert());
}

TEST(SlackAlertMessage, StagesEmitItThroughTheirOutbox) {
  const runtime::OutgoingMessage out = ToOutgoing(Alert());
  EXPECT_EQ(out.type, "alert.slack");
  EXPECT_EQ(out.routing_key, "notify-slack");
  EXPECT_EQ(out.correlation_id, "");
  EXPECT_EQ(ToOutgoing(Alert(), "order-9").correlation_id, "order-9");
  EXPECT_EQ(*ParseSlackAlert(out.body), Alert());
}

TEST(SlackAlertMessage, SeveritiesHaveWireNames) {
  for (const AlertSeverity severity :
       {AlertSeverity::kInfo, AlertSeverity::kWarning, AlertSeverity::kCritical}) {
    EXPECT_EQ(AlertSeverityFromString(ToString(severity)), severity);
  }
  EXPECT_EQ(AlertSeverityFromString("CRITICAL"), std::nullopt);
}

TEST(SlackAlertMessage, TextMayBeEmptyOrLeftOutAndFieldsLeftOut) {
  json body = ToJson(Alert());
  body.erase("text");
  body.erase("fields");
  const auto parsed = ParseSlackAlert(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->text, "");
  EXPECT_EQ(parsed->fields, json::object());
}

TEST(SlackAlertMessage, RefusalsNameTheField) {
  test::ExpectEachRefusedNamingTheField(ParseSlackAlert, kAlertSlackType, ToJson(Alert()),
                                        {{"severity", "urgent"},
                                         {"severity", nullptr},
                                         {"title", ""},
                                         {"title", "two\nlines"},
                                         {"title", std::string(256, 't')},
                                         {"text", "bell\a"},
                                         {"text", std::string(3001, 'x')},
                                         {"dedupe_key", ""},
                                         {"dedupe_key", "has space"},
                                         {"dedupe_key", std::string(192, 'k')},
                                         {"fields", json::array()},
                                         {"fields", json{{"amount", 1.5}}},
                                         {"fields", json{{"nested", json::object()}}},
                                         {"fields", json{{"", "empty name"}}},
                                         {"schema_version", 2}});
  EXPECT_FALSE(ParseSlackAlert(json::array()).ok());
}

}  // namespace
}  // namespace paypipe::messages
