#include "paypipe/runtime/envelope.hpp"

#include <gtest/gtest.h>

namespace paypipe::runtime {
namespace {

const std::vector<MessageTypeSpec> kAccepted = {{"payment.confirm", {1, 2}}};

WireMessage Valid() {
  WireMessage m;
  m.message_id = "6f1c2f1e-8a43-4a39-9d2f-3f1e8c0c7a11";
  m.correlation_id = "order-1";
  m.type = "payment.confirm";
  m.timestamp = 1700000000;
  m.body = R"({"schema_version":1,"orderId":"order-1","amount":1000})";
  m.headers["traceparent"] = std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  m.headers["x-attempt"] = std::int64_t{2};
  return m;
}

TEST(Envelope, ParsesAValidMessage) {
  auto parsed = ParseEnvelope(Valid(), kAccepted);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->message_id.str(), "6f1c2f1e-8a43-4a39-9d2f-3f1e8c0c7a11");
  EXPECT_EQ(parsed->schema_version, 1);
  EXPECT_EQ(parsed->attempt, 2);
  EXPECT_EQ(parsed->body["amount"], 1000);
  EXPECT_EQ(parsed->trace.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(Envelope, UnknownTypeIsPermanentForTheParkingLot) {
  WireMessage m = Valid();
  m.type = "payment.teleport";
  auto parsed = ParseEnvelope(m, kAccepted);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(parsed.error().code, kUnknownMessageType);
}

TEST(Envelope, UnsupportedSchemaVersionIsPermanent) {
  WireMessage m = Valid();
  m.body = R"({"schema_version":3})";
  auto parsed = ParseEnvelope(m, kAccepted);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, kUnsupportedSchemaVersion);
  m.body = R"({"schema_version":"1"})";
  EXPECT_EQ(ParseEnvelope(m, kAccepted).error().code, kMalformedBody);
  m.body = R"({"schema_version":-1})";
  EXPECT_EQ(ParseEnvelope(m, kAccepted).error().code, kUnsupportedSchemaVersion);
}

TEST(Envelope, GarbledBodiesAreMalformedNotCrashes) {
  const std::vector<std::string> bodies = {"",     "{",          "[1,2]",       "\"text\"",
                                           "null", "{\"a\":\xff}", R"({"amount":1})"};
  for (const std::string& body : bodies) {
    WireMessage m = Valid();
    m.body = body;
    auto parsed = ParseEnvelope(m, kAccepted);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code, kMalformedBody) << body;
    EXPECT_EQ(parsed.error().kind, domain::ErrorKind::kPermanent);
  }
}

TEST(Envelope, MissingMessageIdCannotBeDeduplicated) {
  WireMessage m = Valid();
  m.message_id.clear();
  EXPECT_EQ(ParseEnvelope(m, kAccepted).error().code, kMissingMessageId);
}

TEST(Envelope, AttemptHeaderToleratesStringsAndGarbage) {
  WireMessage m = Valid();
  m.headers["x-attempt"] = std::string("4");
  EXPECT_EQ(AttemptOf(m), 4);
  m.headers["x-attempt"] = std::string("four");
  EXPECT_EQ(AttemptOf(m), 0);
  m.headers["x-attempt"] = std::int64_t{-3};
  EXPECT_EQ(AttemptOf(m), 0);
  m.headers.erase("x-attempt");
  EXPECT_EQ(AttemptOf(m), 0);
}

TEST(Envelope, DerivedIdsAreDeterministicAndDistinct) {
  const std::string a0 = DerivedMessageId("in-1", "confirm", 0);
  EXPECT_EQ(a0, DerivedMessageId("in-1", "confirm", 0));
  EXPECT_NE(a0, DerivedMessageId("in-1", "confirm", 1));
  EXPECT_NE(a0, DerivedMessageId("in-2", "confirm", 0));
  EXPECT_NE(a0, DerivedMessageId("in-1", "cancel-retry", 0));
  EXPECT_EQ(a0.size(), 36u);
}

TEST(Envelope, DeriveCarriesTraceCorrelationAndResetsAttempt) {
  auto in = ParseEnvelope(Valid(), kAccepted);
  ASSERT_TRUE(in.ok());
  OutgoingMessage next{"alert.slack", "notify-slack", {{"text", "hi"}}, "", "paypipe.work"};
  OutboundMessage out = Derive(*in, "confirm", 0, next, 1700000100);
  EXPECT_EQ(out.exchange, "paypipe.work");
  EXPECT_EQ(out.routing_key, "notify-slack");
  EXPECT_EQ(out.message.message_id, DerivedMessageId(in->message_id.str(), "confirm", 0));
  EXPECT_EQ(out.message.correlation_id, "order-1");
  EXPECT_EQ(out.message.type, "alert.slack");
  EXPECT_EQ(out.message.timestamp, 1700000100);
  EXPECT_EQ(std::get<std::int64_t>(out.message.headers.at("x-attempt")), 0);
  auto trace = TraceContext::Parse(std::get<std::string>(out.message.headers.at("traceparent")));
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->trace_id, in->trace.trace_id);
  EXPECT_NE(trace->parent_id, in->trace.parent_id);
  auto body = nlohmann::json::parse(out.message.body);
  EXPECT_EQ(body["schema_version"], 1);
  EXPECT_EQ(body["text"], "hi");
  // The same inputs give byte-identical messages: a rerun writes identical outbox rows.
  EXPECT_EQ(out, Derive(*in, "confirm", 0, next, 1700000100));
}

TEST(Envelope, RetryCopyIncrementsAttemptAndTargetsTheTier) {
  OutboundMessage out = ForRetry(Valid(), "confirm", "1m", 3);
  EXPECT_EQ(out.exchange, "paypipe.retry");
  EXPECT_EQ(out.routing_key, "confirm.1m");
  EXPECT_EQ(std::get<std::int64_t>(out.message.headers.at("x-attempt")), 3);
  EXPECT_EQ(out.message.message_id, Valid().message_id);
  EXPECT_EQ(out.message.body, Valid().body);
}

TEST(Envelope, DeadLetterCopyNamesStageErrorAndAttempts) {
  OutboundMessage out = ForDeadLetter(
      Valid(), "confirm", domain::Error::Permanent("AMOUNT_MISMATCH", "1000 != 900"), 3);
  EXPECT_EQ(out.exchange, "paypipe.dlx");
  EXPECT_EQ(out.routing_key, "confirm");
  const auto& h = out.message.headers;
  EXPECT_EQ(std::get<std::string>(h.at("x-paypipe-stage")), "confirm");
  EXPECT_EQ(std::get<std::string>(h.at("x-paypipe-error-kind")), "permanent");
  EXPECT_EQ(std::get<std::string>(h.at("x-paypipe-error-code")), "AMOUNT_MISMATCH");
  EXPECT_EQ(std::get<std::string>(h.at("x-paypipe-error-message")), "1000 != 900");
  EXPECT_EQ(std::get<std::int64_t>(h.at("x-paypipe-attempts")), 3);
  EXPECT_EQ(out.message.message_id, Valid().message_id);
}

}  // namespace
}  // namespace paypipe::runtime
