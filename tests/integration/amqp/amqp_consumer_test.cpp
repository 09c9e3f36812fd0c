#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "amqp_fixture.hpp"

namespace paypipe::infra::amqp::test {
namespace {

class AmqpConsumer : public AmqpTest {
 protected:
  void PublishAll(const std::string& queue, int count, const std::string& prefix = "m-") {
    Publisher publisher(url_, FastPublisherOptions());
    std::vector<OutgoingMessage> batch;
    for (int i = 0; i < count; ++i) batch.push_back(Message("", queue, prefix + std::to_string(i)));
    const PublishBatchResult result = publisher.PublishBatch(batch);
    ASSERT_TRUE(result.AllConfirmed()) << (result.error ? result.error->ToString() : "");
  }
};

TEST_F(AmqpConsumer, ATimeoutReturnsNothingAndKeepsTheConnection) {
  DeclareQuorumQueue("work");
  Consumer consumer(url_, FastConsumerOptions({"work"}, 4));
  auto nothing = consumer.Next(200ms);
  ASSERT_TRUE(nothing.ok()) << nothing.error().ToString();
  EXPECT_FALSE(nothing->has_value());
  EXPECT_TRUE(consumer.connected());
  const std::uint64_t generation = consumer.generation();

  PublishAll("work", 1);
  auto delivery = NextDelivery(consumer);
  ASSERT_TRUE(delivery);
  EXPECT_EQ(delivery->tag.generation, generation);
  EXPECT_EQ(consumer.reconnects(), 0U);
  EXPECT_TRUE(consumer.Ack(delivery->tag).ok());
}

TEST_F(AmqpConsumer, PrefetchBoundsTheUnackedDeliveriesInFlight) {
  DeclareQuorumQueue("work");
  PublishAll("work", 10);
  Consumer consumer(url_, FastConsumerOptions({"work"}, 3));

  std::vector<Delivery> held;
  while (true) {
    auto next = consumer.Next(held.size() < 3 ? 5s : 500ms);
    ASSERT_TRUE(next.ok()) << next.error().ToString();
    if (!next->has_value()) break;
    held.push_back(std::move(**next));
    ASSERT_LE(held.size(), 3U) << "more deliveries than the prefetch allows";
  }
  EXPECT_EQ(held.size(), 3U);

  // Acking one frees exactly one slot.
  ASSERT_TRUE(consumer.Ack(held.front().tag).ok());
  auto one_more = NextDelivery(consumer);
  ASSERT_TRUE(one_more);
  auto none = consumer.Next(500ms);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(AmqpConsumer, AnAckedMessageIsGoneAndAnUnackedOneReturnsToTheQueue) {
  DeclareQuorumQueue("work");
  PublishAll("work", 2);
  {
    Consumer consumer(url_, FastConsumerOptions({"work"}, 1));
    auto first = NextDelivery(consumer);
    ASSERT_TRUE(first);
    ASSERT_TRUE(consumer.Ack(first->tag).ok());
    auto second = NextDelivery(consumer);
    ASSERT_TRUE(second);
    // Not acked: the broker requeues it when the connection closes.
  }
  Consumer again(url_, FastConsumerOptions({"work"}, 5));
  auto redelivered = NextDelivery(again);
  ASSERT_TRUE(redelivered);
  EXPECT_TRUE(redelivered->redelivered);
  EXPECT_EQ(redelivered->properties.message_id, "m-1");
  ASSERT_TRUE(again.Ack(redelivered->tag).ok());
  auto none = again.Next(500ms);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "the acked message came back";
}

TEST_F(AmqpConsumer, NackWithoutRequeueDeadLettersToTheDlx) {
  ExchangeSpec dlx;
  dlx.name = "test.dlx";
  ASSERT_TRUE(admin_.DeclareExchange(dlx).ok());
  DeclareQuorumQueue("work.dlq");
  ASSERT_TRUE(admin_.Bind("work.dlq", "test.dlx", "work").ok());
  DeclareQuorumQueue("work", {{"x-dead-letter-exchange", std::string("test.dlx")}});
  PublishAll("work", 2);

  Consumer consumer(url_, FastConsumerOptions({"work"}, 2));
  auto nacked = NextDelivery(consumer);
  auto rejected = NextDelivery(consumer);
  ASSERT_TRUE(nacked && rejected);
  ASSERT_TRUE(consumer.Nack(nacked->tag, Requeue::kNo).ok());
  ASSERT_TRUE(consumer.Reject(rejected->tag, Requeue::kNo).ok());

  Consumer dead_letters(url_, FastConsumerOptions({"work.dlq"}, 10));
  std::set<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto delivery = NextDelivery(dead_letters);
    ASSERT_TRUE(delivery) << "dead letter " << i << " missing";
    EXPECT_EQ(delivery->queue, "work.dlq");
    EXPECT_EQ(delivery->exchange, "test.dlx");
    EXPECT_EQ(delivery->body, R"({"v":1})");
    ids.insert(delivery->properties.message_id);
    ASSERT_TRUE(dead_letters.Ack(delivery->tag).ok());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"m-0", "m-1"}));
  auto none = consumer.Next(300ms);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "a message nacked without requeue came back";
}

TEST_F(AmqpConsumer, ReadsTheQuorumDeliveryCountAsAnInteger) {
  DeclareQuorumQueue("work");
  PublishAll("work", 1);
  Consumer consumer(url_, FastConsumerOptions({"work"}, 1));

  auto first = NextDelivery(consumer);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->redelivered);
  EXPECT_EQ(first->DeliveryCount().value_or(0), 0);
  ASSERT_TRUE(consumer.Nack(first->tag, Requeue::kYes).ok());

  auto second = NextDelivery(consumer);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->redelivered);
  ASSERT_TRUE(second->DeliveryCount().has_value()) << "x-delivery-count missing or not an integer";
  EXPECT_EQ(*second->DeliveryCount(), 1);
  ASSERT_TRUE(consumer.Reject(second->tag, Requeue::kYes).ok());

  auto third = NextDelivery(consumer);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->DeliveryCount(), 2);
  ASSERT_TRUE(consumer.Ack(third->tag).ok());
}

TEST_F(AmqpConsumer, ConsumesSeveralQueuesOnOneChannel) {
  DeclareQuorumQueue("alpha");
  DeclareQuorumQueue("beta");
  PublishAll("alpha", 2, "a-");
  PublishAll("beta", 2, "b-");
  Consumer consumer(url_, FastConsumerOptions({"alpha", "beta"}, 5));

  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < 4; ++i) {
    auto delivery = NextDelivery(consumer);
    ASSERT_TRUE(delivery);
    seen.emplace(delivery->queue, delivery->properties.message_id);
    ASSERT_TRUE(consumer.Ack(delivery->tag).ok());
  }
  EXPECT_EQ(seen, (std::set<std::pair<std::string, std::string>>{
                      {"alpha", "a-0"}, {"alpha", "a-1"}, {"beta", "b-0"}, {"beta", "b-1"}}));
}

TEST_F(AmqpConsumer, AnAckTheBrokerRejectsClosesTheChannelWhichIsThenReopened) {
  DeclareQuorumQueue("work");
  PublishAll("work", 1);
  Consumer consumer(url_, FastConsumerOptions({"work"}, 1));
  auto delivery = NextDelivery(consumer);
  ASSERT_TRUE(delivery);
  const std::uint64_t generation = consumer.generation();

  // A tag the broker never issued: it answers 406 PRECONDITION_FAILED by closing the channel.
  ASSERT_TRUE(consumer.Ack(DeliveryTag{generation, delivery->tag.value + 1000}).ok());
  auto failed = consumer.Next(5s);
  ASSERT_FALSE(failed.ok()) << "the channel close was not reported";
  EXPECT_EQ(failed.error().code, kErrPreconditionFailed);
  EXPECT_EQ(failed.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_NE(failed.error().message.find("unknown delivery tag"), std::string::npos)
      << failed.error().message;

  // The unacked delivery died with the channel: its ack is refused, the broker redelivers it.
  auto redelivered = NextDelivery(consumer);
  ASSERT_TRUE(redelivered);
  EXPECT_EQ(redelivered->properties.message_id, "m-0");
  EXPECT_GT(consumer.generation(), generation);
  const domain::Status stale = consumer.Ack(delivery->tag);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(IsStaleDelivery(stale.error())) << stale.error().ToString();
  EXPECT_TRUE(consumer.Ack(redelivered->tag).ok());
  EXPECT_EQ(consumer.reconnects(), 0U) << "a channel error must not cost the connection";
}

TEST_F(AmqpConsumer, ABrokerCancelIsReportedAndTheSubscriptionComesBack) {
  DeclareQuorumQueue("work");
  Consumer consumer(url_, FastConsumerOptions({"work"}, 1));
  ASSERT_TRUE(consumer.Connect(5s).ok());
  ASSERT_TRUE(admin_.DeleteQueue("work").ok());

  auto cancelled = consumer.Next(5s);
  ASSERT_FALSE(cancelled.ok()) << "basic.cancel from the broker was not reported";
  EXPECT_EQ(cancelled.error().code, kErrConsumerCancelled);
  EXPECT_EQ(cancelled.error().kind, domain::ErrorKind::kTransient);

  // Resubscribing to a queue that does not exist is a 404.
  auto missing = consumer.Next(1s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, kErrNotFound) << missing.error().ToString();

  DeclareQuorumQueue("work");
  PublishAll("work", 1);
  std::optional<Delivery> delivery;
  for (int i = 0; i < 50 && !delivery; ++i) {
    auto next = consumer.Next(200ms);
    if (next.ok() && next->has_value()) delivery = std::move(**next);
  }
  ASSERT_TRUE(delivery) << "the subscription did not come back";
  EXPECT_EQ(delivery->queue, "work");
  EXPECT_TRUE(consumer.Ack(delivery->tag).ok());
}

TEST_F(AmqpConsumer, AConsumerWithoutQueuesIsAConfigurationError) {
  Consumer consumer(url_, FastConsumerOptions({}, 1));
  auto next = consumer.Next(1s);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, kErrConfigInvalid);
  EXPECT_EQ(next.error().kind, domain::ErrorKind::kPermanent);
}

}  // namespace
}  // namespace paypipe::infra::amqp::test
