#include <gtest/gtest.h>

#include "amqp_fixture.hpp"

namespace paypipe::infra::amqp::test {
namespace {

class AmqpAdmin : public AmqpTest {};

TEST_F(AmqpAdmin, DeclaringTheSameQueueAgainIsIdempotent) {
  DeclareQuorumQueue("work", {{"x-delivery-limit", std::int64_t{5}}});
  auto again = admin_.DeclareQueue(QuorumQueue("work", {{"x-delivery-limit", std::int64_t{5}}}));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->messages, 0U);
  EXPECT_EQ(again->consumers, 0U);
}

TEST_F(AmqpAdmin, RedeclaringWithOtherArgumentsIs406WithTheReplyTextAndAdminStaysUsable) {
  DeclareQuorumQueue("work");
  auto mismatch = admin_.DeclareQueue(QuorumQueue("work", {{"x-max-length", std::int64_t{5}}}));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, kErrPreconditionFailed);
  EXPECT_EQ(mismatch.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_NE(mismatch.error().message.find("PRECONDITION_FAILED"), std::string::npos)
      << mismatch.error().message;
  EXPECT_NE(mismatch.error().message.find("inequivalent arg 'x-max-length'"), std::string::npos)
      << mismatch.error().message;

  // The broker closed the channel; the next call reopens it on the same connection.
  auto counts = admin_.InspectQueue("work");
  ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  EXPECT_EQ(counts->messages, 0U);
  ExchangeSpec exchange;
  exchange.name = "after.406";
  EXPECT_TRUE(admin_.DeclareExchange(exchange).ok());
  EXPECT_EQ(admin_.reconnects(), 0U);
}

TEST_F(AmqpAdmin, InspectingAMissingQueueIsNotFound) {
  auto missing = admin_.InspectQueue("does-not-exist");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, kErrNotFound);
  EXPECT_EQ(missing.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_NE(missing.error().message.find("does-not-exist"), std::string::npos);
  EXPECT_TRUE(admin_.CheckExchange("amq.direct").ok());
  const domain::Status no_exchange = admin_.CheckExchange("no.such.exchange");
  ASSERT_FALSE(no_exchange.ok());
  EXPECT_EQ(no_exchange.error().code, kErrNotFound);
}

TEST_F(AmqpAdmin, BindUnbindPurgeAndDeleteChangeRouting) {
  ExchangeSpec work;
  work.name = "paypipe.work";
  work.type = ExchangeType::kDirect;
  ASSERT_TRUE(admin_.DeclareExchange(work).ok());
  DeclareQuorumQueue("confirm");
  ASSERT_TRUE(admin_.Bind("confirm", "paypipe.work", "confirm").ok());

  Publisher publisher(url_, FastPublisherOptions());
  const OutgoingMessage message = Message("paypipe.work", "confirm", "m-1");
  EXPECT_EQ(publisher.PublishBatch({&message, 1}).outcomes[0].status, PublishStatus::kConfirmed);
  EXPECT_EQ(ReadyMessages("confirm"), 1U);

  ASSERT_TRUE(admin_.Unbind("confirm", "paypipe.work", "confirm").ok());
  EXPECT_EQ(publisher.PublishBatch({&message, 1}).outcomes[0].status, PublishStatus::kReturned);

  auto purged = admin_.Purge("confirm");
  ASSERT_TRUE(purged.ok()) << purged.error().ToString();
  EXPECT_EQ(*purged, 1U);
  EXPECT_EQ(ReadyMessages("confirm"), 0U);

  auto deleted = admin_.DeleteQueue("confirm");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(admin_.InspectQueue("confirm").error().code, kErrNotFound);
  ASSERT_TRUE(admin_.DeleteExchange("paypipe.work").ok());
  EXPECT_EQ(admin_.CheckExchange("paypipe.work").error().code, kErrNotFound);
}

TEST_F(AmqpAdmin, DeclaresAQueueWithStringIntegerAndBooleanArguments) {
  ExchangeSpec dlx;
  dlx.name = "paypipe.dlx";
  ASSERT_TRUE(admin_.DeclareExchange(dlx).ok());
  DeclareQuorumQueue("work", {{"x-dead-letter-exchange", std::string("paypipe.dlx")},
                              {"x-dead-letter-strategy", std::string("at-least-once")},
                              {"x-overflow", std::string("reject-publish")},
                              {"x-max-length", std::int64_t{100'000}},
                              {"x-delivery-limit", std::int64_t{10}}});
  QueueSpec sac;
  sac.name = "notify";
  sac.arguments = {{"x-queue-type", std::string("quorum")}, {"x-single-active-consumer", true}};
  auto declared = admin_.DeclareQueue(sac);
  ASSERT_TRUE(declared.ok()) << declared.error().ToString();
}

}  // namespace
}  // namespace paypipe::infra::amqp::test
