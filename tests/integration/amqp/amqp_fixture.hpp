#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/infra/amqp/admin.hpp"
#include "paypipe/infra/amqp/consumer.hpp"
#include "paypipe/infra/amqp/errors.hpp"
#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/infra/amqp/url.hpp"
#include "paypipe/testing/rabbitmq.hpp"

namespace paypipe::infra::amqp::test {

using namespace std::chrono_literals;

// Reconnect quickly: tests wait for reconnects and must not sit in long backoffs.
inline ConnectionOptions FastConnectionOptions() {
  ConnectionOptions options;
  options.connect_timeout = 2s;
  options.rpc_timeout = 10s;
  options.backoff.initial = 50ms;
  options.backoff.max = 500ms;
  options.connection_name = "paypipe-amqp-test";
  return options;
}

inline AmqpUrl ParseOrDie(const std::string& text) {
  auto url = AmqpUrl::Parse(text);
  if (!url.ok()) throw std::runtime_error(url.error().ToString());
  return *url;
}

inline OutgoingMessage Message(std::string exchange, std::string routing_key, std::string id,
                               std::string body = R"({"v":1})") {
  OutgoingMessage message;
  message.exchange = std::move(exchange);
  message.routing_key = std::move(routing_key);
  message.properties.message_id = std::move(id);
  message.body = std::move(body);
  return message;
}

// Everything a test needs on its own vhost: the vhost (deleted last), its URL and an Admin.
class AmqpTest : public ::testing::Test {
 protected:
  AmqpTest() : url_(ParseOrDie(vhost_.amqp_url())), admin_(url_, FastConnectionOptions()) {}

  QueueSpec QuorumQueue(std::string name, FieldTable arguments = {}) {
    arguments.Set("x-queue-type", std::string("quorum"));
    QueueSpec spec;
    spec.name = std::move(name);
    spec.arguments = std::move(arguments);
    return spec;
  }

  void DeclareQuorumQueue(const std::string& name, FieldTable arguments = {}) {
    auto declared = admin_.DeclareQueue(QuorumQueue(name, std::move(arguments)));
    ASSERT_TRUE(declared.ok()) << declared.error().ToString();
  }

  std::uint32_t ReadyMessages(const std::string& queue) {
    auto counts = admin_.InspectQueue(queue);
    EXPECT_TRUE(counts.ok()) << counts.error().ToString();
    return counts.ok() ? counts->messages : 0;
  }

  PublisherOptions FastPublisherOptions() {
    PublisherOptions options;
    options.connection = FastConnectionOptions();
    options.publish_timeout = 10s;
    return options;
  }

  ConsumerOptions FastConsumerOptions(std::vector<std::string> queues, std::uint16_t prefetch) {
    ConsumerOptions options;
    options.connection = FastConnectionOptions();
    options.queues = std::move(queues);
    options.prefetch = prefetch;
    return options;
  }

  // Next() until a delivery arrives or `timeout` passes; fails the test on errors.
  std::optional<Delivery> NextDelivery(Consumer& consumer, std::chrono::milliseconds timeout = 5s) {
    auto delivery = consumer.Next(timeout);
    EXPECT_TRUE(delivery.ok()) << delivery.error().ToString();
    if (!delivery.ok()) return std::nullopt;
    return std::move(*delivery);
  }

  // Connections to this test's vhost, once the management API lists at least `expected` (it
  // learns about new connections with a delay). Fails the test after 20 s.
  std::vector<std::string> WaitForConnections(std::size_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto names = vhost_.api().ConnectionNames(vhost_.name());
      if (names.size() >= expected) return names;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "the management API never listed " << expected << " connections";
    return {};
  }

  paypipe::testing::rabbitmq::ScopedVhost vhost_;
  AmqpUrl url_;
  Admin admin_;
};

}  // namespace paypipe::infra::amqp::test
