#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "amqp_fixture.hpp"

namespace paypipe::infra::amqp::test {
namespace {

// Reconnects provoked by force-closing connections through the management API (connection.close
// 320 CONNECTION_FORCED), which leaves the broker running for the other tests.
class AmqpReconnect : public AmqpTest {
 protected:
  // Closes every connection to this test's vhost once `expected` of them are listed.
  void CloseAllConnections(std::size_t expected) {
    if (WaitForConnections(expected).size() < expected) return;
    EXPECT_GE(vhost_.api().CloseConnections(vhost_.name()), expected);
  }
};

TEST_F(AmqpReconnect, AnAckFromBeforeAReconnectIsRefusedAndTheMessageIsRedelivered) {
  DeclareQuorumQueue("work");
  {
    Publisher publisher(url_, FastPublisherOptions());
    ASSERT_TRUE(publisher.Publish(Message("", "work", "only")).ok());
  }
  Consumer consumer(url_, FastConsumerOptions({"work"}, 1));
  auto first = NextDelivery(consumer);
  ASSERT_TRUE(first);
  const std::uint64_t first_generation = consumer.generation();

  CloseAllConnections(2);  // the admin's and the consumer's

  std::optional<Delivery> again;
  for (int i = 0; i < 100 && !again; ++i) {
    auto next = consumer.Next(200ms);
    if (!next.ok()) {
      EXPECT_EQ(next.error().kind, domain::ErrorKind::kTransient) << next.error().ToString();
      continue;
    }
    if (next->has_value()) again = std::move(**next);
  }
  ASSERT_TRUE(again) << "no redelivery after the reconnect";
  EXPECT_EQ(again->properties.message_id, "only");
  EXPECT_TRUE(again->redelivered);
  EXPECT_GT(consumer.generation(), first_generation);
  EXPECT_EQ(consumer.reconnects(), 1U);

  // Tag numbers restart on the new channel: the old tag names the redelivered message there.
  EXPECT_EQ(again->tag.value, first->tag.value);
  const domain::Status stale = consumer.Ack(first->tag);
  ASSERT_FALSE(stale.ok()) << "an old-generation ack was sent on the new channel";
  EXPECT_TRUE(IsStaleDelivery(stale.error())) << stale.error().ToString();
  EXPECT_EQ(stale.error().kind, domain::ErrorKind::kTransient);

  ASSERT_TRUE(consumer.Ack(again->tag).ok());
  auto none = consumer.Next(500ms);
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_FALSE(none->has_value());
}

TEST_F(AmqpReconnect, APublisherReconnectsAndConfirmsAfterItsConnectionIsClosed) {
  DeclareQuorumQueue("work");
  Publisher publisher(url_, FastPublisherOptions());
  ASSERT_TRUE(publisher.Publish(Message("", "work", "before")).ok());

  CloseAllConnections(2);  // the admin's and the publisher's

  // The close may be noticed before the next publish (then it reconnects first) or while waiting
  // for its confirm (then the outcome is kUnknown and the caller republishes).
  const OutgoingMessage after = Message("", "work", "after");
  bool confirmed = false;
  for (int attempt = 0; attempt < 10 && !confirmed; ++attempt) {
    const PublishBatchResult result = publisher.PublishBatch({&after, 1});
    confirmed = result.outcomes[0].status == PublishStatus::kConfirmed;
    if (!confirmed) {
      EXPECT_EQ(result.outcomes[0].status, PublishStatus::kUnknown);
      ASSERT_TRUE(result.error);
      EXPECT_EQ(result.error->kind, domain::ErrorKind::kTransient) << result.error->ToString();
    }
  }
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(publisher.reconnects(), 1U);
  EXPECT_GE(ReadyMessages("work"), 2U);
}

TEST_F(AmqpReconnect, KeepAliveNoticesAClosedConnection) {
  Publisher publisher(url_, FastPublisherOptions());
  ASSERT_TRUE(publisher.Connect(5s).ok());
  ASSERT_TRUE(publisher.KeepAlive().ok());

  CloseAllConnections(1);  // the publisher's (the admin has not connected)

  bool noticed = false;
  for (int i = 0; i < 50 && !noticed; ++i) {
    const domain::Status status = publisher.KeepAlive();
    if (!status.ok()) {
      EXPECT_EQ(status.error().code, kErrConnectionLost) << status.error().ToString();
      noticed = true;
    } else {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(noticed);
  EXPECT_FALSE(publisher.connected());
  EXPECT_TRUE(publisher.Connect(5s).ok());
  EXPECT_EQ(publisher.reconnects(), 1U);
}

TEST_F(AmqpReconnect, AnnouncesTheCapabilitiesThatMakeTheBrokerReportInsteadOfStayingSilent) {
  Publisher publisher(url_, FastPublisherOptions());
  ASSERT_TRUE(publisher.Connect(5s).ok());
  const std::vector<std::string> names = WaitForConnections(1);
  ASSERT_EQ(names.size(), 1U);
  const std::vector<std::string> capabilities = vhost_.api().ClientCapabilities(names.front());
  for (const char* wanted : {"consumer_cancel_notify", "connection.blocked",
                             "authentication_failure_close", "publisher_confirms", "basic.nack"}) {
    EXPECT_NE(std::find(capabilities.begin(), capabilities.end(), wanted), capabilities.end())
        << wanted;
  }
}

}  // namespace
}  // namespace paypipe::infra::amqp::test
