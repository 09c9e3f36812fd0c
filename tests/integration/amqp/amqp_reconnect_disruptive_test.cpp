// Restarts the shared RabbitMQ broker: runs alone (RUN_SERIAL), never beside other tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <thread>
#include <vector>

#include "amqp_fixture.hpp"

namespace paypipe::infra::amqp::test {
namespace {

constexpr int kMessages = 2'000;
constexpr std::size_t kBatchSize = 20;
// Publishing is paced to take several seconds, so that the restart lands in the middle of it.
constexpr auto kPauseBetweenBatches = 100ms;
constexpr int kRestartAfterConfirmed = 400;
constexpr auto kTimeLimit = 180s;
const std::string kQueue = "durable.work";

std::string MessageId(int index) {
  char text[32];
  std::snprintf(text, sizeof text, "msg-%05d", index);
  return text;
}

int IndexOf(const std::string& message_id) {
  int index = -1;
  if (std::sscanf(message_id.c_str(), "msg-%d", &index) != 1) return -1;
  return index >= 0 && index < kMessages ? index : -1;
}

// Whatever happens in the test, the broker is running again when it ends.
struct BrokerRunningAtExit {
  BrokerRunningAtExit() {
    static_cast<void>(paypipe::testing::rabbitmq::RequiredEnv("TEST_SERVICES_SCRIPT"));
  }
  ~BrokerRunningAtExit() {
    try {
      paypipe::testing::rabbitmq::StartBroker();
    } catch (const std::exception& error) {
      ADD_FAILURE() << "could not start the broker again: " << error.what();
    }
  }
  BrokerRunningAtExit(const BrokerRunningAtExit&) = delete;
  BrokerRunningAtExit& operator=(const BrokerRunningAtExit&) = delete;
};

struct PublisherReport {
  int confirmed = 0;
  int returned = 0;
  int republished = 0;  // nacked or unknown outcomes sent again
  int failed_batches = 0;
  std::uint64_t reconnects = 0;
};

struct ConsumerReport {
  std::vector<int> deliveries = std::vector<int>(kMessages, 0);
  int unknown_ids = 0;
  int errors = 0;
  int stale_acks = 0;
  std::uint64_t reconnects = 0;
};

TEST(AmqpReconnectDisruptive, EveryConfirmedMessageIsConsumedAcrossABrokerRestart) {
  paypipe::testing::rabbitmq::ScopedVhost vhost;  // deleted after the broker is back
  const BrokerRunningAtExit broker_guard;
  const AmqpUrl url = ParseOrDie(vhost.amqp_url());
  {
    Admin admin(url, FastConnectionOptions());
    QueueSpec queue;
    queue.name = kQueue;
    queue.arguments = {{"x-queue-type", std::string("quorum")}};
    auto declared = admin.DeclareQueue(queue);
    ASSERT_TRUE(declared.ok()) << declared.error().ToString();
  }

  const auto give_up_at = std::chrono::steady_clock::now() + kTimeLimit;
  std::atomic<int> confirmed_so_far{0};
  std::atomic<bool> stop{false};
  PublisherReport publisher_report;
  ConsumerReport consumer_report;

  std::thread publisher_thread([&] {
    PublisherOptions options;
    options.connection = FastConnectionOptions();
    options.connection.backoff.max = 1s;
    options.publish_timeout = 5s;
    Publisher publisher(url, options);
    std::deque<int> pending;
    for (int i = 0; i < kMessages; ++i) pending.push_back(i);
    std::vector<int> indexes;
    std::vector<OutgoingMessage> batch;
    while (!pending.empty() && !stop && std::chrono::steady_clock::now() < give_up_at) {
      indexes.clear();
      batch.clear();
      while (!pending.empty() && indexes.size() < kBatchSize) {
        const int index = pending.front();
        pending.pop_front();
        indexes.push_back(index);
        OutgoingMessage message = Message("", kQueue, MessageId(index));
        message.properties.type = "test.durable";
        batch.push_back(std::move(message));
      }
      const PublishBatchResult result = publisher.PublishBatch(batch);
      if (result.error) ++publisher_report.failed_batches;
      for (std::size_t i = 0; i < indexes.size(); ++i) {
        switch (result.outcomes[i].status) {
          case PublishStatus::kConfirmed:
            ++publisher_report.confirmed;
            ++confirmed_so_far;
            break;
          case PublishStatus::kReturned:
            ++publisher_report.returned;  // cannot happen: the queue exists throughout
            break;
          case PublishStatus::kNacked:
          case PublishStatus::kUnknown:
            ++publisher_report.republished;
            pending.push_back(indexes[i]);
            break;
        }
      }
      std::this_thread::sleep_for(kPauseBetweenBatches);
    }
    publisher_report.reconnects = publisher.reconnects();
  });

  std::thread consumer_thread([&] {
    Consumer consumer(url, [] {
      ConsumerOptions options;
      options.connection = FastConnectionOptions();
      options.connection.backoff.max = 1s;
      options.queues = {kQueue};
      options.prefetch = 50;
      return options;
    }());
    int distinct = 0;
    // After the last new message, keep going until the queue is quiet so that redelivered
    // duplicates get acked too.
    while (!stop && std::chrono::steady_clock::now() < give_up_at) {
      auto next = consumer.Next(distinct < kMessages ? 200ms : 2s);
      if (!next.ok()) {
        ++consumer_report.errors;
        continue;
      }
      if (!next->has_value()) {
        if (distinct == kMessages) break;
        continue;
      }
      const Delivery& delivery = **next;
      const int index = IndexOf(delivery.properties.message_id);
      if (index < 0) {
        ++consumer_report.unknown_ids;
      } else if (consumer_report.deliveries[static_cast<std::size_t>(index)]++ == 0) {
        ++distinct;
      }
      const domain::Status acked = consumer.Ack(delivery.tag);
      if (!acked.ok() && IsStaleDelivery(acked.error())) ++consumer_report.stale_acks;
    }
    consumer_report.reconnects = consumer.reconnects();
  });

  bool restarted = false;
  std::string restart_error;
  while (confirmed_so_far < kRestartAfterConfirmed &&
         std::chrono::steady_clock::now() < give_up_at) {
    std::this_thread::sleep_for(20ms);
  }
  try {
    paypipe::testing::rabbitmq::RestartBroker();
    restarted = true;
  } catch (const std::exception& error) {
    restart_error = error.what();
    stop = true;
  }
  publisher_thread.join();
  consumer_thread.join();

  ASSERT_TRUE(restarted) << restart_error;
  EXPECT_EQ(publisher_report.confirmed, kMessages)
      << "the publisher gave up with messages never confirmed";
  EXPECT_EQ(publisher_report.returned, 0);
  EXPECT_GT(publisher_report.reconnects, 0U) << "the restart did not hit the publisher";
  EXPECT_GT(consumer_report.reconnects, 0U) << "the restart did not hit the consumer";
  EXPECT_EQ(consumer_report.unknown_ids, 0);
  std::vector<int> missing;
  int duplicates = 0;
  for (int i = 0; i < kMessages; ++i) {
    const int count = consumer_report.deliveries[static_cast<std::size_t>(i)];
    if (count == 0) missing.push_back(i);
    if (count > 1) duplicates += count - 1;
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " messages never consumed, first "
                               << MessageId(missing.empty() ? 0 : missing.front());
  RecordProperty("republished", publisher_report.republished);
  RecordProperty("failed_batches", publisher_report.failed_batches);
  RecordProperty("consumer_errors", consumer_report.errors);
  RecordProperty("duplicates", duplicates);
  RecordProperty("stale_acks", consumer_report.stale_acks);

  // Everything consumed was acked: nothing is left in the queue (unacked deliveries of the
  // closed consumer would be back among the ready ones).
  Admin admin(url, FastConnectionOptions());
  auto left = admin.InspectQueue(kQueue);
  ASSERT_TRUE(left.ok()) << left.error().ToString();
  EXPECT_EQ(left->messages, 0U);
}

}  // namespace
}  // namespace paypipe::infra::amqp::test
