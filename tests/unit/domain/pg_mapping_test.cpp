#include "paypipe/domain/pg_mapping.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace paypipe::domain {
namespace {

using S = PaymentStatus;
using C = PgErrorClass;

TEST(PgStatusMapping, TossStatusesAreOurVocabulary) {
  const std::vector<std::pair<std::string_view, S>> cases = {
      {"READY", S::kReady},
      {"IN_PROGRESS", S::kInProgress},
      {"WAITING_FOR_DEPOSIT", S::kWaitingForDeposit},
      {"DONE", S::kDone},
      {"PARTIAL_CANCELED", S::kPartialCanceled},
      {"CANCELED", S::kCanceled},
      {"ABORTED", S::kAborted},
      {"EXPIRED", S::kExpired},
  };
  for (const auto& [text, status] : cases) {
    const auto mapped = MapTossStatus(text);
    ASSERT_TRUE(mapped.ok()) << text;
    EXPECT_EQ(*mapped, status) << text;
  }
}

TEST(PgStatusMapping, StatusesTossNeverReportsAreRefusedByName) {
  for (std::string_view text : {"FAILED", "UNKNOWN", "done", "CANCELLED", "PAID", ""}) {
    const auto mapped = MapTossStatus(text);
    ASSERT_FALSE(mapped.ok()) << text;
    EXPECT_EQ(mapped.error().code, kPgStatusUnrecognized);
    EXPECT_EQ(mapped.error().kind, ErrorKind::kPermanent);
    EXPECT_NE(mapped.error().message.find("'" + std::string(text) + "'"), std::string::npos);
    EXPECT_NE(mapped.error().message.find("Toss"), std::string::npos);
  }
}

TEST(PgStatusMapping, PortOneV2StatusesMapOneToOne) {
  const std::vector<std::pair<std::string_view, S>> cases = {
      {"READY", S::kReady},
      {"PENDING", S::kInProgress},
      {"PAY_PENDING", S::kInProgress},
      {"VIRTUAL_ACCOUNT_ISSUED", S::kWaitingForDeposit},
      {"PAID", S::kDone},
      {"PARTIAL_CANCELLED", S::kPartialCanceled},
      {"CANCELLED", S::kCanceled},
      {"FAILED", S::kFailed},
  };
  for (const auto& [text, status] : cases) {
    const auto mapped = MapPortOneV2Status(text);
    ASSERT_TRUE(mapped.ok()) << text;
    EXPECT_EQ(*mapped, status) << text;
  }
  for (std::string_view text : {"paid", "CANCELED", "DONE", "REFUNDED", ""}) {
    const auto mapped = MapPortOneV2Status(text);
    ASSERT_FALSE(mapped.ok()) << text;
    EXPECT_EQ(mapped.error().code, kPgStatusUnrecognized);
    EXPECT_NE(mapped.error().message.find("PortOne V2"), std::string::npos);
  }
}

MappedPayment V1(std::string_view status, std::int64_t amount, std::int64_t canceled,
                 VirtualAccount account = VirtualAccount::kNotIssued) {
  const auto mapped =
      MapPortOneV1Payment({status, Money::Krw(amount), Money::Krw(canceled), account});
  EXPECT_TRUE(mapped.ok()) << status << ": " << mapped.error().ToString();
  return mapped.ok() ? *mapped : MappedPayment{};
}

TEST(PgStatusMapping, PortOneV1ReadsAmountsToTellPartialCancels) {
  EXPECT_EQ(V1("ready", 15000, 0).status, S::kReady);
  EXPECT_EQ(V1("ready", 15000, 0, VirtualAccount::kIssued).status, S::kWaitingForDeposit);

  const MappedPayment paid = V1("paid", 15000, 0);
  EXPECT_EQ(paid.status, S::kDone);
  EXPECT_EQ(paid.balance, Money::Krw(15000));

  // V1 keeps a partly canceled payment "paid".
  const MappedPayment partly = V1("paid", 15000, 4001);
  EXPECT_EQ(partly.status, S::kPartialCanceled);
  EXPECT_EQ(partly.balance, Money::Krw(10999));

  const MappedPayment emptied = V1("paid", 15000, 15000);
  EXPECT_EQ(emptied.status, S::kCanceled);
  EXPECT_TRUE(emptied.balance.IsZero());

  const MappedPayment cancelled = V1("cancelled", 15000, 15000);
  EXPECT_EQ(cancelled.status, S::kCanceled);
  EXPECT_TRUE(cancelled.balance.IsZero());

  EXPECT_EQ(V1("failed", 15000, 0).status, S::kFailed);
}

TEST(PgStatusMapping, PortOneV1RefusesUnknownStatusesAndImpossibleAmounts) {
  for (std::string_view text : {"PAID", "canceled", "vbank_issued", ""}) {
    const auto mapped = MapPortOneV1Payment({text, Money::Krw(100), Money::Zero()});
    ASSERT_FALSE(mapped.ok()) << text;
    EXPECT_EQ(mapped.error().code, kPgStatusUnrecognized);
    EXPECT_NE(mapped.error().message.find("PortOne V1"), std::string::npos);
  }
  const auto over = MapPortOneV1Payment({"paid", Money::Krw(100), Money::Krw(101)});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, kPaymentObservationInconsistent);
  const auto negative = MapPortOneV1Payment({"paid", Money::Krw(100), Money::Krw(-1)});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, kPaymentObservationInconsistent);
}

PgCallFailure Responded(int status, std::string code) {
  return PgCallFailure{CallDelivery::kResponded, status, std::move(code), "message"};
}

struct CodeCase {
  std::string code;
  int http_status;
  C expected;
};

TEST(PgErrorClassification, TossCodesFromTheDocumentation) {
  const std::vector<CodeCase> cases = {
      // Transient: retry with the same Idempotency-Key.
      {"PROVIDER_ERROR", 400, C::kTransient},
      {"FAILED_INTERNAL_SYSTEM_PROCESSING", 500, C::kTransient},
      {"FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500, C::kTransient},
      {"COMMON_ERROR", 400, C::kTransient},
      {"FORBIDDEN_CONSECUTIVE_REQUEST", 400, C::kTransient},
      {"IDEMPOTENT_REQUEST_PROCESSING", 409, C::kTransient},
      {"FAILED_REFUND_PROCESS", 500, C::kTransient},
      // Unknown outcome: look it up.
      {"UNKNOWN_PAYMENT_ERROR", 500, C::kUnknownOutcome},
      // Already done: look it up and apply.
      {"ALREADY_PROCESSED_PAYMENT", 400, C::kAlreadyProcessed},
      {"ALREADY_CANCELED_PAYMENT", 400, C::kAlreadyProcessed},
      {"ALREADY_REFUND_PAYMENT", 400, C::kAlreadyProcessed},
      // Final.
      {"REJECT_CARD_COMPANY", 403, C::kDeclined},
      {"REJECT_CARD_PAYMENT", 403, C::kDeclined},
      {"REJECT_ACCOUNT_PAYMENT", 403, C::kDeclined},
      {"INVALID_CARD_EXPIRATION", 400, C::kDeclined},
      {"INVALID_STOPPED_CARD", 400, C::kDeclined},
      {"EXCEED_MAX_AMOUNT", 400, C::kDeclined},
      {"BELOW_MINIMUM_AMOUNT", 400, C::kDeclined},
      {"NOT_FOUND_PAYMENT_SESSION", 404, C::kDeclined},
      {"NOT_FOUND_PAYMENT", 404, C::kDeclined},
      {"NOT_CANCELABLE_AMOUNT", 403, C::kDeclined},
      {"NOT_CANCELABLE_PAYMENT", 403, C::kDeclined},
      {"NOT_MATCHES_REFUNDABLE_AMOUNT", 400, C::kDeclined},
      {"REFUND_REJECTED", 400, C::kDeclined},
      {"EXCEED_MAX_REFUND_DUE", 400, C::kDeclined},
  };
  for (const CodeCase& c : cases) {
    EXPECT_EQ(ClassifyPgFailure(PgProvider::kToss, Responded(c.http_status, c.code)), c.expected)
        << c.code;
  }
}

TEST(PgErrorClassification, TheCodeDecidesNotTheHttpStatus) {
  // PROVIDER_ERROR is a 400 that succeeds when sent again; a REJECT_ under a 500 stays final.
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kToss, Responded(400, "PROVIDER_ERROR")), C::kTransient);
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kToss, Responded(500, "REJECT_CARD_COMPANY")),
            C::kDeclined);
}

TEST(PgErrorClassification, UnlistedCodesFallBackToTheHttpStatus) {
  for (PgProvider provider : {PgProvider::kToss, PgProvider::kPortOneV2}) {
    EXPECT_EQ(ClassifyPgFailure(provider, Responded(500, "SOMETHING_NEW")), C::kTransient);
    EXPECT_EQ(ClassifyPgFailure(provider, Responded(503, "")), C::kTransient);
    EXPECT_EQ(ClassifyPgFailure(provider, Responded(429, "")), C::kTransient);
    EXPECT_EQ(ClassifyPgFailure(provider, Responded(408, "")), C::kTransient);
    EXPECT_EQ(ClassifyPgFailure(provider, Responded(400, "SOMETHING_NEW")), C::kDeclined);
    EXPECT_EQ(ClassifyPgFailure(provider, Responded(401, "")), C::kDeclined);
    PgCallFailure no_status{CallDelivery::kResponded, std::nullopt, "", ""};
    EXPECT_EQ(ClassifyPgFailure(provider, no_status), C::kUnknownOutcome);
  }
}

TEST(PgErrorClassification, TransportFailuresDependOnWhetherTheRequestLeft) {
  for (PgProvider provider : {PgProvider::kToss, PgProvider::kPortOneV1, PgProvider::kPortOneV2}) {
    EXPECT_EQ(ClassifyPgFailure(provider, {CallDelivery::kNotSent, std::nullopt, "", "refused"}),
              C::kTransient);
    EXPECT_EQ(
        ClassifyPgFailure(provider, {CallDelivery::kSentNoResponse, std::nullopt, "", "timeout"}),
        C::kUnknownOutcome);
  }
}

TEST(PgErrorClassification, PortOneV2ErrorTypes) {
  const std::vector<CodeCase> cases = {
      {"PG_PROVIDER", 502, C::kTransient},
      {"IDEMPOTENCY_OUTSTANDING_REQUEST", 409, C::kTransient},
      {"PAYMENT_ALREADY_CANCELLED", 409, C::kAlreadyProcessed},
      {"ALREADY_PAID", 409, C::kAlreadyProcessed},
      {"PAYMENT_NOT_PAID", 409, C::kDeclined},
      {"CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN", 409, C::kDeclined},
      {"CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT", 409, C::kDeclined},
      {"PAYMENT_NOT_FOUND", 404, C::kDeclined},
      {"UNAUTHORIZED", 401, C::kDeclined},
      {"FORBIDDEN", 403, C::kDeclined},
      {"INVALID_REQUEST", 400, C::kDeclined},
  };
  for (const CodeCase& c : cases) {
    EXPECT_EQ(ClassifyPgFailure(PgProvider::kPortOneV2, Responded(c.http_status, c.code)),
              c.expected)
        << c.code;
  }
  // Toss codes mean nothing to PortOne.
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kPortOneV2, Responded(400, "PROVIDER_ERROR")),
            C::kDeclined);
}

TEST(PgErrorClassification, PortOneV1IsDecidedByHttpStatus) {
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kPortOneV1, Responded(401, "")), C::kTransient)
      << "an expired 30-minute token: renew and send again";
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kPortOneV1, Responded(500, "")), C::kTransient);
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kPortOneV1, Responded(404, "")), C::kDeclined);
  // {code: -1, message: ...} with HTTP 200: a refusal in words.
  EXPECT_EQ(ClassifyPgFailure(PgProvider::kPortOneV1, Responded(200, "-1")), C::kDeclined);
}

TEST(PgErrorClassification, AttemptOutcomesAreThePaymentAttemptsVocabulary) {
  EXPECT_STREQ(AttemptOutcome(C::kTransient), "TRANSIENT");
  EXPECT_STREQ(AttemptOutcome(C::kUnknownOutcome), "UNKNOWN");
  EXPECT_STREQ(AttemptOutcome(C::kAlreadyProcessed), "UNKNOWN");
  EXPECT_STREQ(AttemptOutcome(C::kDeclined), "FAILED");
}

TEST(PgErrorClassification, ErrorsCarryThePgCodeAndTheRightKind) {
  const Error declined = ToError(PgProvider::kToss, Responded(403, "REJECT_CARD_COMPANY"));
  EXPECT_EQ(declined.kind, ErrorKind::kPermanent);
  EXPECT_EQ(declined.code, "REJECT_CARD_COMPANY");
  EXPECT_NE(declined.message.find("HTTP 403"), std::string::npos);

  const Error transient = ToError(PgProvider::kToss, Responded(400, "PROVIDER_ERROR"));
  EXPECT_EQ(transient.kind, ErrorKind::kTransient);
  EXPECT_EQ(transient.code, "PROVIDER_ERROR");

  // Unknown outcomes and "already done" are retried: the next attempt looks the payment up.
  EXPECT_EQ(ToError(PgProvider::kToss, Responded(500, "UNKNOWN_PAYMENT_ERROR")).kind,
            ErrorKind::kTransient);
  EXPECT_EQ(ToError(PgProvider::kToss, Responded(400, "ALREADY_PROCESSED_PAYMENT")).kind,
            ErrorKind::kTransient);

  EXPECT_EQ(ToError(PgProvider::kPortOneV1, Responded(503, "")).code, "PG_HTTP_503");
  const Error unreachable =
      ToError(PgProvider::kPortOneV2, {CallDelivery::kNotSent, std::nullopt, "", "refused"});
  EXPECT_EQ(unreachable.code, kPgUnreachable);
  EXPECT_EQ(unreachable.kind, ErrorKind::kTransient);
  const Error silent =
      ToError(PgProvider::kToss, {CallDelivery::kSentNoResponse, std::nullopt, "", "timeout"});
  EXPECT_EQ(silent.code, kPgNoResponse);
  EXPECT_EQ(silent.kind, ErrorKind::kTransient);
}

}  // namespace
}  // namespace paypipe::domain
