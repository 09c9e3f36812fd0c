#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "paypipe/pg/pg_mapping.hpp"

namespace paypipe::pg {
namespace {

using domain::CallDelivery;
using domain::Money;
using domain::PaymentStatus;
using domain::PgProvider;
using nlohmann::json;

TEST(IdempotencyKeys, DerivedFromTheOperationAndStableAcrossAttempts) {
  EXPECT_EQ(ConfirmIdempotencyKey(messages::Provider::kToss, "tgen_1"),
            "paypipe-confirm:toss:tgen_1");
  EXPECT_EQ(ConfirmIdempotencyKey(messages::Provider::kToss, "tgen_1"),
            ConfirmIdempotencyKey(messages::Provider::kToss, "tgen_1"));
  EXPECT_NE(ConfirmIdempotencyKey(messages::Provider::kToss, "tgen_1"),
            ConfirmIdempotencyKey(messages::Provider::kToss, "tgen_2"));
  EXPECT_NE(ConfirmIdempotencyKey(messages::Provider::kToss, "k"),
            AutoCancelIdempotencyKey(messages::Provider::kToss, "k"));
  // A 200-character payment key still fits Toss's 300-character limit.
  EXPECT_LE(ConfirmIdempotencyKey(messages::Provider::kPortOneV1, std::string(200, 'k')).size(),
            300u);
}

// "tx-c1 3000 (tax-free 300)" per cancel, in the PG's order.
std::vector<std::string> CancelsOf(const PgPayment& payment) {
  std::vector<std::string> out;
  for (const auto& cancel : payment.observed.cancels) {
    out.push_back(cancel.transaction_key + " " + std::to_string(cancel.amount.krw()) +
                  " (tax-free " + std::to_string(cancel.tax_free_amount.krw()) + ")");
  }
  return out;
}
using Lines = std::vector<std::string>;

TEST(ParseIsoInstant, ReadsOffsetsZuluAndKstWithoutOffset) {
  const auto kst = ParseIsoInstant("2026-03-01T10:00:00+09:00");
  const auto utc = ParseIsoInstant("2026-03-01T01:00:00Z");
  const auto bare = ParseIsoInstant("2026-03-01T10:00:00.65327");
  ASSERT_TRUE(kst && utc && bare);
  EXPECT_EQ(*kst, *utc);
  EXPECT_EQ(*bare - *kst, std::chrono::microseconds(653270));
  EXPECT_FALSE(ParseIsoInstant("2026-02-30T10:00:00Z"));
  EXPECT_FALSE(ParseIsoInstant("yesterday"));
}

TEST(ParseTossPayment, MapsADonePayment) {
  const json body = {{"paymentKey", "tgen_1"},
                     {"orderId", "order-000042"},
                     {"status", "DONE"},
                     {"method", "카드"},
                     {"totalAmount", 15000},
                     {"balanceAmount", 15000},
                     {"approvedAt", "2026-03-01T10:00:00+09:00"},
                     {"lastTransactionKey", "txrd_a01"},
                     {"cancels", nullptr}};
  auto payment = ParseTossPayment(body);
  ASSERT_TRUE(payment.ok()) << payment.error().ToString();
  EXPECT_EQ(payment->observed.status, PaymentStatus::kDone);
  EXPECT_EQ(payment->observed.total, Money::Krw(15000));
  EXPECT_EQ(payment->observed.balance, Money::Krw(15000));
  EXPECT_TRUE(payment->observed.approved_at.has_value());
  EXPECT_EQ(payment->order_id, "order-000042");
  EXPECT_EQ(payment->last_transaction_key, "txrd_a01");
}

TEST(ParseTossPayment, ReadsEachCancelAndTheCancelTimeOfAnEmptiedBalance) {
  const json body = {{"status", "CANCELED"},
                     {"totalAmount", 10000},
                     {"balanceAmount", 0},
                     {"approvedAt", "2026-03-01T10:00:00+09:00"},
                     {"cancels",
                      {{{"cancelAmount", 3000},
                        {"taxFreeAmount", 300},
                        {"transactionKey", "tx-c1"},
                        {"canceledAt", "2026-03-01T23:59:59+09:00"}},
                       {{"cancelAmount", 7000},
                        {"taxFreeAmount", 0},
                        {"transactionKey", "tx-c2"},
                        {"canceledAt", "2026-03-02T00:00:01+09:00"}}}}};
  auto payment = ParseTossPayment(body);
  ASSERT_TRUE(payment.ok()) << payment.error().ToString();
  EXPECT_EQ(CancelsOf(*payment), (Lines{"tx-c1 3000 (tax-free 300)", "tx-c2 7000 (tax-free 0)"}));
  const auto& cancels = payment->observed.cancels;
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[0].canceled_at, ParseIsoInstant("2026-03-01T14:59:59Z"));
  EXPECT_EQ(payment->observed.canceled_at, cancels[1].canceled_at);

  json fractional = body;
  fractional["cancels"][0]["taxFreeAmount"] = 0.5;
  EXPECT_EQ(ParseTossPayment(fractional).error().code, kPgResponseMalformed);
}

TEST(ParseTossPayment, RefusesFractionalAmountsAndUnknownStatuses) {
  EXPECT_EQ(ParseTossPayment({{"status", "DONE"}, {"totalAmount", 1.5}, {"balanceAmount", 1}})
                .error()
                .code,
            kPgResponseMalformed);
  EXPECT_FALSE(
      ParseTossPayment({{"status", "WEIRD"}, {"totalAmount", 1}, {"balanceAmount", 1}}).ok());
}

TEST(ParsePortOneV2Payment, BalanceIsTotalMinusCancelled) {
  const json body = {{"id", "pay-1"},
                     {"status", "PARTIAL_CANCELLED"},
                     {"amount", {{"total", 10000}, {"cancelled", 4000}}},
                     {"paidAt", "2026-03-01T01:00:00.000Z"}};
  auto payment = ParsePortOneV2Payment(body);
  ASSERT_TRUE(payment.ok()) << payment.error().ToString();
  EXPECT_EQ(payment->observed.status, PaymentStatus::kPartialCanceled);
  EXPECT_EQ(payment->observed.balance, Money::Krw(6000));
}

TEST(ParsePortOneV1Payment, PaidWithCancelAmountIsPartiallyCanceled) {
  auto payment = ParsePgPayment(PgProvider::kPortOneV1, json{{"code", 0},
                                                             {"response",
                                                              {{"imp_uid", "imp_1"},
                                                               {"merchant_uid", "order-1"},
                                                               {"status", "paid"},
                                                               {"amount", 5000},
                                                               {"cancel_amount", 1000},
                                                               {"paid_at", 1772326800}}}}
                                                            .dump());
  ASSERT_TRUE(payment.ok()) << payment.error().ToString();
  EXPECT_EQ(payment->observed.status, PaymentStatus::kPartialCanceled);
  EXPECT_EQ(payment->observed.balance, Money::Krw(4000));
  EXPECT_EQ(payment->order_id, "order-1");
}

TEST(ParsePortOneV2Payment, ReadsEachCancellation) {
  const json body = {
      {"id", "pay-1"},
      {"status", "CANCELLED"},
      {"amount", {{"total", 10000}, {"cancelled", 10000}}},
      {"paidAt", "2026-03-01T01:00:00.000Z"},
      {"cancelledAt", "2026-03-01T15:00:01.000Z"},
      {"cancellations",
       {{{"id", "cn-1"},
         {"totalAmount", 3000},
         {"taxFreeAmount", 300},
         {"cancelledAt", "2026-03-01T14:59:59.000Z"}},
        {{"id", "cn-2"}, {"totalAmount", 7000}, {"cancelledAt", "2026-03-01T15:00:01.000Z"}}}}};
  auto payment = ParsePortOneV2Payment(body);
  ASSERT_TRUE(payment.ok()) << payment.error().ToString();
  EXPECT_EQ(CancelsOf(*payment), (Lines{"cn-1 3000 (tax-free 300)", "cn-2 7000 (tax-free 0)"}));
  ASSERT_EQ(payment->observed.cancels.size(), 2u);
  EXPECT_EQ(payment->observed.cancels[0].canceled_at, ParseIsoInstant("2026-03-01T14:59:59Z"));
}

TEST(ParsePortOneV1Payment, EachCancelIsNamedByItsCancellationIdNotThePaymentsPgTid) {
  auto payment = ParsePgPayment(PgProvider::kPortOneV1, json{{"code", 0},
                                                             {"response",
                                                              {{"imp_uid", "imp_1"},
                                                               {"merchant_uid", "order-1"},
                                                               {"status", "cancelled"},
                                                               {"amount", 5000},
                                                               {"cancel_amount", 5000},
                                                               {"paid_at", 1772326800},
                                                               {"cancelled_at", 1772330400},
                                                               {"cancel_history",
                                                                {{{"pg_tid", "tid-1"},
                                                                  {"amount", 1000},
                                                                  {"cancelled_at", 1772328600},
                                                                  {"cancellation_id", "cn_a"}},
                                                                 {{"pg_tid", "tid-1"},
                                                                  {"amount", 4000},
                                                                  {"cancelled_at", 1772330400},
                                                                  {"cancellation_id", "cn_b"}}}}}}}
                                                            .dump());
  ASSERT_TRUE(payment.ok()) << payment.error().ToString();
  EXPECT_EQ(CancelsOf(*payment), (Lines{"cn_a 1000 (tax-free 0)", "cn_b 4000 (tax-free 0)"}));
  ASSERT_EQ(payment->observed.cancels.size(), 2u);
  EXPECT_EQ(payment->observed.cancels[0].canceled_at,
            domain::Instant(std::chrono::seconds(1772328600)));
}

TEST(PgPaymentJson, CancelsRoundTripAndAnEarlierFormWithoutTaxFreeStillReads) {
  auto payment = ParseTossPayment({{"status", "PARTIAL_CANCELED"},
                                   {"totalAmount", 10000},
                                   {"balanceAmount", 7000},
                                   {"approvedAt", "2026-03-01T10:00:00+09:00"},
                                   {"cancels",
                                    {{{"cancelAmount", 3000},
                                      {"taxFreeAmount", 300},
                                      {"transactionKey", "tx-c1"},
                                      {"canceledAt", "2026-03-01T23:59:59+09:00"}}}}});
  ASSERT_TRUE(payment.ok());
  const json prepared = ToJson(*payment);
  auto back = PgPaymentFromJson(prepared);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(ToJson(*back), prepared);
  EXPECT_EQ(back->observed.cancels.at(0).tax_free_amount, Money::Krw(300));

  json earlier = prepared;
  earlier["cancels"][0].erase("tax_free_amount");
  auto old = PgPaymentFromJson(earlier);
  ASSERT_TRUE(old.ok()) << old.error().ToString();
  EXPECT_EQ(old->observed.cancels.at(0).tax_free_amount, Money::Zero());
  EXPECT_EQ(old->observed.cancels.at(0).amount, Money::Krw(3000));
}

TEST(PgPaymentJson, RoundTrips) {
  auto payment = ParseTossPayment({{"status", "DONE"},
                                   {"totalAmount", 100},
                                   {"balanceAmount", 100},
                                   {"approvedAt", "2026-03-01T10:00:00+09:00"},
                                   {"orderId", "order-1"}});
  ASSERT_TRUE(payment.ok());
  auto back = PgPaymentFromJson(ToJson(*payment));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(*payment));
}

PgReply Answered(PgProvider provider, int status, const json& body) {
  PgReply reply;
  reply.provider = provider;
  reply.delivery = CallDelivery::kResponded;
  reply.http_status = status;
  reply.response = body.dump();
  return reply;
}

TEST(FailureOf, TossDeclineTimeoutAndUnknownErrorAreClassifiedByTheDomain) {
  const auto declined = FailureOf(
      Answered(PgProvider::kToss, 403, {{"code", "REJECT_CARD_PAYMENT"}, {"message", "no"}}));
  EXPECT_EQ(declined.code, "REJECT_CARD_PAYMENT");
  EXPECT_EQ(domain::ClassifyPgFailure(PgProvider::kToss, declined),
            domain::PgErrorClass::kDeclined);
  const auto unknown =
      FailureOf(Answered(PgProvider::kToss, 500, {{"code", "UNKNOWN_PAYMENT_ERROR"}}));
  EXPECT_EQ(domain::ClassifyPgFailure(PgProvider::kToss, unknown),
            domain::PgErrorClass::kUnknownOutcome);
  PgReply timed_out;
  timed_out.delivery = CallDelivery::kSentNoResponse;
  EXPECT_EQ(domain::ClassifyPgFailure(PgProvider::kToss, FailureOf(timed_out)),
            domain::PgErrorClass::kUnknownOutcome);
  const auto v2 = FailureOf(Answered(PgProvider::kPortOneV2, 404, {{"type", "PAYMENT_NOT_FOUND"}}));
  EXPECT_EQ(v2.code, "PAYMENT_NOT_FOUND");
}

}  // namespace
}  // namespace paypipe::pg
