// The stage runtime against real RabbitMQ and MariaDB, with the test-echo stage.
#include <set>

#include "paypipe/testing/runtime_fixture.hpp"

namespace paypipe::runtime::test {
namespace {

std::string HeaderString(const infra::amqp::Delivery& delivery, std::string_view key) {
  return std::string(delivery.properties.headers.FindString(key).value_or(""));
}

TEST_F(RuntimeTest, EveryMessageHasOneEffectAndOneFollowUp) {
  constexpr int kMessages = 200;
  StartWorker(Options(3));
  std::vector<OutboundMessage> messages;
  for (int i = 0; i < kMessages; ++i) messages.push_back(EchoMessage(TestId(i)));
  Publish(messages);

  const auto echoed = Drain(kSinkQueue, kMessages, 60s);
  ASSERT_EQ(echoed.size(), static_cast<std::size_t>(kMessages));
  std::set<std::string> echo_of;
  std::set<std::string> follow_up_ids;
  for (const auto& delivery : echoed) {
    EXPECT_EQ(delivery.properties.type, test_stage::kEchoedType);
    echo_of.insert(nlohmann::json::parse(delivery.body).at("echo_of").get<std::string>());
    follow_up_ids.insert(delivery.properties.message_id);
    EXPECT_FALSE(delivery.properties.correlation_id.empty());
  }
  EXPECT_EQ(echo_of.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(follow_up_ids.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(EffectRows(), kMessages);
  EXPECT_EQ(MaxEffectsPerMessage(), 1);
  EXPECT_TRUE(Eventually([&] { return UnpublishedOutbox() == 0; }));
  EXPECT_TRUE(Eventually([&] { return Stats().acked.load() == kMessages; }));
  EXPECT_EQ(Ready(topology::WorkQueueName(test_stage::kEchoStageName)), 0u);
  EXPECT_EQ(Ready(topology::DeadLetterQueueName(test_stage::kEchoStageName)), 0u);
}

TEST_F(RuntimeTest, DuplicateDeliveryHasOneEffect) {
  StartWorker(Options(1));
  const std::string id = TestId(7);
  Publish({EchoMessage(id)});
  ASSERT_EQ(Drain(kSinkQueue, 1).size(), 1u);
  Publish({EchoMessage(id)});

  ASSERT_TRUE(Eventually([&] { return Stats().inbox_duplicates.load() == 1; }));
  EXPECT_EQ(EffectsOf(id), 1);
  // The follow-up was already published, so the duplicate publishes nothing new.
  EXPECT_TRUE(Drain(kSinkQueue, 1, 2s).empty());
}

TEST_F(RuntimeTest, DuplicateRepublishesAnUnpublishedFollowUp) {
  // Process one message, then pretend its follow-up was never published: the duplicate's
  // redelivery must publish it (the relay is off, so only the duplicate path can do it).
  WorkerOptions options = Options(1);
  options.run_relay = false;
  StartWorker(options);
  const std::string id = TestId(8);
  Publish({EchoMessage(id)});
  const auto first = Drain(kSinkQueue, 1);
  ASSERT_EQ(first.size(), 1u);
  // The row is marked after the confirm, which may come after the follow-up was consumed.
  ASSERT_TRUE(Eventually([&] { return UnpublishedOutbox() == 0; }));
  ASSERT_EQ(db_->Execute("UPDATE outbox SET published_at = NULL").value(), 1u);

  Publish({EchoMessage(id)});
  const auto again = Drain(kSinkQueue, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].properties.message_id, first[0].properties.message_id);
  EXPECT_EQ(EffectsOf(id), 1);
  EXPECT_TRUE(Eventually([&] { return UnpublishedOutbox() == 0; }));
}

TEST_F(RuntimeTest, PoisonMessagesAreDeadLetteredWhileOthersFlow) {
  StartWorker(Options(2));
  OutboundMessage garbled = EchoMessage(TestId(100));
  garbled.message.body = "{not json";
  OutboundMessage unknown_type = EchoMessage(TestId(101));
  unknown_type.message.type = "test.nobody-knows";
  OutboundMessage unknown_version = EchoMessage(TestId(102), {{"schema_version", 99}});
  OutboundMessage permanent = EchoMessage(TestId(103), {{"fail", "permanent"}});
  OutboundMessage throws = EchoMessage(TestId(104), {{"fail", "throw"}});
  std::vector<OutboundMessage> messages = {garbled, unknown_type, unknown_version, permanent,
                                           throws};
  for (int i = 0; i < 20; ++i) messages.push_back(EchoMessage(TestId(i)));
  Publish(messages);

  const auto dead = Drain(topology::DeadLetterQueueName(test_stage::kEchoStageName), 5);
  ASSERT_EQ(dead.size(), 5u);
  std::map<std::string, std::string> code_of;
  for (const auto& delivery : dead) {
    EXPECT_EQ(HeaderString(delivery, kDeadLetterStageHeader), test_stage::kEchoStageName);
    EXPECT_EQ(HeaderString(delivery, kDeadLetterKindHeader), "permanent");
    EXPECT_FALSE(HeaderString(delivery, kDeadLetterMessageHeader).empty());
    EXPECT_EQ(delivery.properties.headers.FindInt(kDeadLetterAttemptsHeader), 1);
    code_of[delivery.properties.message_id] = HeaderString(delivery, kDeadLetterCodeHeader);
  }
  EXPECT_EQ(code_of[TestId(100)], kMalformedBody);
  EXPECT_EQ(code_of[TestId(101)], kUnknownMessageType);
  EXPECT_EQ(code_of[TestId(102)], kUnsupportedSchemaVersion);
  EXPECT_EQ(code_of[TestId(103)], test_stage::kRequestedPermanent);
  EXPECT_EQ(code_of[TestId(104)], kStageException);
  // The body reaches the parking lot unchanged, so it can be inspected and replayed.
  for (const auto& delivery : dead) {
    if (delivery.properties.message_id == TestId(100)) {
      EXPECT_EQ(delivery.body, "{not json");
    }
  }

  EXPECT_EQ(Drain(kSinkQueue, 20).size(), 20u);
  EXPECT_EQ(EffectRows(), 20);
  EXPECT_TRUE(Eventually([&] { return Stats().dead_lettered.load() == 5; }));
}

TEST_F(RuntimeTest, TransientFailuresGoThroughEveryRetryTierThenDeadLetter) {
  StartWorker(Options(1));
  const std::string id = TestId(200);
  const auto started = std::chrono::steady_clock::now();
  Publish({EchoMessage(id, {{"fail", "transient"}})});

  // Two 1 s tiers: attempts 1, 2 and 3, then the parking lot.
  const auto dead =
      Drain(topology::DeadLetterQueueName(test_stage::kEchoStageName), 1, 30s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(dead[0].properties.message_id, id);
  EXPECT_EQ(HeaderString(dead[0], kDeadLetterCodeHeader), test_stage::kRequestedTransient);
  EXPECT_EQ(dead[0].properties.headers.FindInt(kDeadLetterAttemptsHeader), 3);
  EXPECT_EQ(dead[0].properties.headers.FindInt(kAttemptHeader), 2);
  EXPECT_EQ(Stats().retried.load(), 2u);
  EXPECT_EQ(EffectsOf(id), 0);
  EXPECT_EQ(Ready(topology::RetryQueueName(test_stage::kEchoStageName, 1)), 0u);
  EXPECT_EQ(Ready(topology::RetryQueueName(test_stage::kEchoStageName, 2)), 0u);
}

TEST_F(RuntimeTest, RelayPublishesOrphanedOutboxRows) {
  // A row committed by a worker that died before publishing it.
  const auto inserted = db_->Execute(
      "INSERT INTO outbox (message_id, source_consumer, source_message_id, exchange, routing_key, "
      "type, correlation_id, headers, body, created_at) VALUES (?, 'test-echo', ?, "
      "'paypipe.work', ?, "
      "'test.echoed', 'corr', '{\"x-attempt\":0}', '{\"schema_version\":1}', "
      "NOW(6) - INTERVAL 5 SECOND)",
      {TestId(300), TestId(299), std::string(test_stage::kSinkRoutingKey)});
  ASSERT_TRUE(inserted.ok()) << inserted.error().ToString();
  StartWorker(Options(1));

  const auto published = Drain(kSinkQueue, 1);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].properties.message_id, TestId(300));
  EXPECT_TRUE(Eventually([&] { return UnpublishedOutbox() == 0; }));
  // Counted once the relay's transaction committed, a moment after the row shows as marked.
  EXPECT_TRUE(Eventually([&] { return worker_->relay_stats().published.load() >= 1u; }));
}

TEST_F(RuntimeTest, StopFinishesWithinTheGracePeriod) {
  StartWorker(Options(2));
  std::vector<OutboundMessage> messages;
  for (int i = 0; i < 50; ++i) messages.push_back(EchoMessage(TestId(i)));
  Publish(messages);
  ASSERT_TRUE(Eventually([&] { return EffectRows() > 0; }));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(worker_->Stop(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  worker_.reset();

  // What the stopped worker left is processed by the next one, still once each.
  StartWorker(Options(2));
  EXPECT_EQ(Drain(kSinkQueue, 50, 30s).size(), 50u);
  EXPECT_EQ(EffectRows(), 50);
  EXPECT_EQ(MaxEffectsPerMessage(), 1);
}

}  // namespace
}  // namespace paypipe::runtime::test
