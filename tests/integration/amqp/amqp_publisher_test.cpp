#include <gtest/gtest.h>

#include <vector>

#include "amqp_fixture.hpp"

namespace paypipe::infra::amqp::test {
namespace {

class AmqpPublisher : public AmqpTest {
 protected:
  static FieldTable RejectPublishWhenFull() {
    return {{"x-max-length", std::int64_t{1}}, {"x-overflow", std::string("reject-publish")}};
  }

  // Publishes single messages to a reject-publish queue until the broker nacks one; returns how
  // many were stored before that.
  std::uint32_t FillUntilNacked(Publisher& publisher, const std::string& queue) {
    std::uint32_t stored = 0;
    for (int i = 0; i < 10; ++i) {
      const OutgoingMessage message = Message("", queue, "fill-" + std::to_string(i));
      const PublishBatchResult result = publisher.PublishBatch({&message, 1});
      EXPECT_FALSE(result.error) << result.error->ToString();
      if (result.outcomes[0].status == PublishStatus::kNacked) return stored;
      EXPECT_EQ(result.outcomes[0].status, PublishStatus::kConfirmed);
      ++stored;
    }
    ADD_FAILURE() << "the broker never refused a message for the full queue " << queue;
    return stored;
  }
};

TEST_F(AmqpPublisher, ConfirmsEveryMessageOfABatchStoredInAQuorumQueue) {
  DeclareQuorumQueue("work");
  Publisher publisher(url_, FastPublisherOptions());
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(Message("", "work", "m-" + std::to_string(i)));

  const PublishBatchResult result = publisher.PublishBatch(batch);

  ASSERT_FALSE(result.error) << result.error->ToString();
  ASSERT_EQ(result.outcomes.size(), batch.size());
  EXPECT_TRUE(result.AllConfirmed());
  EXPECT_EQ(result.Count(PublishStatus::kConfirmed), 500U);
  EXPECT_EQ(ReadyMessages("work"), 500U);
  EXPECT_EQ(publisher.reconnects(), 0U);
}

TEST_F(AmqpPublisher, SeveralBatchesOnOneChannelAreEachFullyConfirmed) {
  DeclareQuorumQueue("work");
  Publisher publisher(url_, FastPublisherOptions());
  for (int round = 0; round < 5; ++round) {
    std::vector<OutgoingMessage> batch;
    for (int i = 0; i < 50; ++i) {
      batch.push_back(Message("", "work", std::to_string(round) + "-" + std::to_string(i)));
    }
    const PublishBatchResult result = publisher.PublishBatch(batch);
    ASSERT_TRUE(result.AllConfirmed()) << round;
  }
  EXPECT_TRUE(publisher.Publish(Message("", "work", "single")).ok());
  EXPECT_EQ(ReadyMessages("work"), 251U);
}

TEST_F(AmqpPublisher, AnEmptyBatchPublishesNothing) {
  Publisher publisher(url_, FastPublisherOptions());
  const PublishBatchResult result = publisher.PublishBatch({});
  EXPECT_TRUE(result.outcomes.empty());
  EXPECT_FALSE(result.error);
}

TEST_F(AmqpPublisher, NacksAMessageForAFullRejectPublishQuorumQueue) {
  DeclareQuorumQueue("full", RejectPublishWhenFull());
  Publisher publisher(url_, FastPublisherOptions());

  const std::uint32_t stored = FillUntilNacked(publisher, "full");

  // A quorum queue notices the overflow after the enqueue that crosses the limit, so it holds
  // x-max-length + 1 at most.
  EXPECT_LE(stored, 2U);
  EXPECT_EQ(ReadyMessages("full"), stored);
  const domain::Status single = publisher.Publish(Message("", "full", "one-more"));
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.error().code, kErrNacked);
  EXPECT_EQ(single.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(ReadyMessages("full"), stored);
}

TEST_F(AmqpPublisher, ReportsAnUnroutableMandatoryMessageAsReturnedDespiteTheAck) {
  Publisher publisher(url_, FastPublisherOptions());
  const OutgoingMessage lost = Message("", "no-such-queue", "lost");

  const PublishBatchResult result = publisher.PublishBatch({&lost, 1});
  ASSERT_EQ(result.outcomes.size(), 1U);
  EXPECT_EQ(result.outcomes[0].status, PublishStatus::kReturned);
  EXPECT_EQ(result.outcomes[0].reply_code, 312);
  EXPECT_EQ(result.outcomes[0].reply_text, "NO_ROUTE");
  EXPECT_FALSE(result.error);

  const domain::Status single = publisher.Publish(lost);
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.error().code, kErrUnroutable);
  EXPECT_EQ(single.error().kind, domain::ErrorKind::kPermanent);
}

TEST_F(AmqpPublisher, MapsMixedOutcomesOfOneBatchToTheirMessages) {
  DeclareQuorumQueue("work");
  DeclareQuorumQueue("full", RejectPublishWhenFull());
  Publisher publisher(url_, FastPublisherOptions());
  const std::uint32_t stored = FillUntilNacked(publisher, "full");

  // The same message id on a routed and an unroutable message: the return must still be
  // matched to the unroutable one.
  const std::vector<OutgoingMessage> batch = {
      Message("", "work", "a"),    Message("", "nowhere", "b"), Message("", "full", "c"),
      Message("", "work", "d"),    Message("", "nowhere", "d"), Message("", "full", "f"),
      Message("", "nowhere", "g"), Message("", "work", "h")};
  const std::vector<PublishStatus> expected = {
      PublishStatus::kConfirmed, PublishStatus::kReturned, PublishStatus::kNacked,
      PublishStatus::kConfirmed, PublishStatus::kReturned, PublishStatus::kNacked,
      PublishStatus::kReturned,  PublishStatus::kConfirmed};

  const PublishBatchResult result = publisher.PublishBatch(batch);
  ASSERT_FALSE(result.error) << result.error->ToString();
  ASSERT_EQ(result.outcomes.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(result.outcomes[i].status, expected[i])
        << "message " << i << " got " << ToString(result.outcomes[i].status);
  }
  EXPECT_EQ(ReadyMessages("work"), 3U);
  EXPECT_EQ(ReadyMessages("full"), stored);
}

TEST_F(AmqpPublisher, AMissingExchangeIsPermanentNotFoundAndThePublisherRecovers) {
  DeclareQuorumQueue("work");
  Publisher publisher(url_, FastPublisherOptions());
  const OutgoingMessage stray = Message("no-such-exchange", "work", "stray");

  const PublishBatchResult result = publisher.PublishBatch({&stray, 1});
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, kErrNotFound);
  EXPECT_EQ(result.error->kind, domain::ErrorKind::kPermanent);
  EXPECT_NE(result.error->message.find("no-such-exchange"), std::string::npos)
      << result.error->message;
  EXPECT_EQ(result.outcomes[0].status, PublishStatus::kUnknown);

  // The channel was closed by the broker; the next batch reopens it and counts tags from 1.
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(Message("", "work", "m-" + std::to_string(i)));
  EXPECT_TRUE(publisher.PublishBatch(batch).AllConfirmed());
  EXPECT_EQ(publisher.reconnects(), 0U) << "a channel error must not cost the connection";
  EXPECT_EQ(ReadyMessages("work"), 20U);
}

TEST_F(AmqpPublisher, SendsEveryPropertyAndHeader) {
  DeclareQuorumQueue("work");
  Publisher publisher(url_, FastPublisherOptions());
  OutgoingMessage message = Message("", "work", "id-1", R"({"amount":1000})");
  message.properties.correlation_id = "order-7";
  message.properties.type = "payment.confirm";
  message.properties.timestamp = std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000));
  message.properties.expiration = std::chrono::milliseconds(600'000);
  message.properties.headers.Set(std::string(kHeaderAttempt), std::int64_t{3});
  message.properties.headers.Set(
      std::string(kHeaderTraceparent),
      std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  message.properties.headers.Set("x-negative", std::int64_t{-42});
  message.properties.headers.Set("x-flag", true);
  ASSERT_TRUE(publisher.Publish(message).ok());

  Consumer consumer(url_, FastConsumerOptions({"work"}, 1));
  auto delivery = NextDelivery(consumer);
  ASSERT_TRUE(delivery);
  EXPECT_EQ(delivery->queue, "work");
  EXPECT_EQ(delivery->exchange, "");
  EXPECT_EQ(delivery->routing_key, "work");
  EXPECT_FALSE(delivery->redelivered);
  EXPECT_EQ(delivery->body, R"({"amount":1000})");
  const MessageProperties& p = delivery->properties;
  EXPECT_EQ(p.message_id, "id-1");
  EXPECT_EQ(p.correlation_id, "order-7");
  EXPECT_EQ(p.type, "payment.confirm");
  EXPECT_EQ(p.content_type, "application/json");
  EXPECT_EQ(p.timestamp, message.properties.timestamp);
  EXPECT_EQ(p.expiration, std::chrono::milliseconds(600'000));
  EXPECT_EQ(p.headers.FindInt(kHeaderAttempt), 3);
  EXPECT_EQ(p.headers.FindString(kHeaderTraceparent),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(p.headers.FindInt("x-negative"), -42);
  EXPECT_EQ(p.headers.FindBool("x-flag"), true);
  EXPECT_TRUE(consumer.Ack(delivery->tag).ok());
}

TEST_F(AmqpPublisher, AnUnreachableBrokerIsTransientAndEveryOutcomeUnknown) {
  AmqpUrl nowhere = url_;
  nowhere.port = 1;  // nothing listens there
  PublisherOptions options = FastPublisherOptions();
  options.publish_timeout = 300ms;
  Publisher publisher(nowhere, options);
  const std::vector<OutgoingMessage> batch = {Message("", "q", "a"), Message("", "q", "b")};

  const auto started = std::chrono::steady_clock::now();
  const PublishBatchResult result = publisher.PublishBatch(batch);
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, kErrUnreachable);
  EXPECT_EQ(result.error->kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(result.Count(PublishStatus::kUnknown), 2U);
  EXPECT_FALSE(publisher.connected());
  EXPECT_LT(took, 3s) << "the publish timeout bounds the call";
}

TEST_F(AmqpPublisher, AWrongPasswordIsAPermanentAuthFailureThatDoesNotLeakThePassword) {
  AmqpUrl wrong = url_;
  wrong.password = "not-the-Password-42";
  Publisher publisher(wrong, FastPublisherOptions());
  const domain::Status status = publisher.Connect(2s);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, kErrAuthFailed);
  EXPECT_EQ(status.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(status.error().message.find("not-the-Password-42"), std::string::npos)
      << status.error().message;
}

TEST_F(AmqpPublisher, AMissingVhostIsAPermanentAuthFailure) {
  AmqpUrl wrong = url_;
  wrong.vhost = vhost_.name() + "-missing";
  Publisher publisher(wrong, FastPublisherOptions());
  const domain::Status status = publisher.Connect(2s);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, kErrAuthFailed) << status.error().ToString();
  EXPECT_EQ(status.error().kind, domain::ErrorKind::kPermanent);
}

}  // namespace
}  // namespace paypipe::infra::amqp::test
