#include "paypipe/domain/pg_mapping.hpp"

#include <array>
#include <utility>

namespace paypipe::domain {
namespace {

using S = PaymentStatus;

template <std::size_t N>
std::optional<S> Lookup(const std::array<std::pair<std::string_view, S>, N>& table,
                        std::string_view status) {
  for (const auto& [name, mapped] : table) {
    if (name == status) return mapped;
  }
  return std::nullopt;
}

Error Unrecognized(PgProvider provider, std::string_view status) {
  return Error::Permanent(std::string(kPgStatusUnrecognized),
                          std::string(ToString(provider)) + " payment status '" +
                              std::string(status) + "' is not one paypipe knows");
}

struct CodeClass {
  std::string_view code;
  PgErrorClass error_class;
};

// Toss publishes no retryable flag; the classes follow each code's documented meaning.
constexpr std::array<CodeClass, 20> kTossCodes = {{
    {"PROVIDER_ERROR", PgErrorClass::kTransient},  // a 400 that succeeds when sent again
    {"FAILED_INTERNAL_SYSTEM_PROCESSING", PgErrorClass::kTransient},
    {"FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", PgErrorClass::kTransient},
    {"COMMON_ERROR", PgErrorClass::kTransient},
    {"FORBIDDEN_CONSECUTIVE_REQUEST", PgErrorClass::kTransient},
    {"IDEMPOTENT_REQUEST_PROCESSING", PgErrorClass::kTransient},  // 409: first still running
    {"FAILED_REFUND_PROCESS", PgErrorClass::kTransient},
    {"UNKNOWN_PAYMENT_ERROR", PgErrorClass::kUnknownOutcome},
    {"ALREADY_PROCESSED_PAYMENT", PgErrorClass::kAlreadyProcessed},
    // A cancel the PG already holds is not a failure of ours: look up and apply it.
    {"ALREADY_CANCELED_PAYMENT", PgErrorClass::kAlreadyProcessed},
    {"ALREADY_REFUND_PAYMENT", PgErrorClass::kAlreadyProcessed},
    {"EXCEED_MAX_AMOUNT", PgErrorClass::kDeclined},
    {"BELOW_MINIMUM_AMOUNT", PgErrorClass::kDeclined},
    {"NOT_FOUND_PAYMENT_SESSION", PgErrorClass::kDeclined},
    {"NOT_FOUND_PAYMENT", PgErrorClass::kDeclined},
    {"NOT_CANCELABLE_AMOUNT", PgErrorClass::kDeclined},
    {"NOT_CANCELABLE_PAYMENT", PgErrorClass::kDeclined},
    {"NOT_MATCHES_REFUNDABLE_AMOUNT", PgErrorClass::kDeclined},
    {"REFUND_REJECTED", PgErrorClass::kDeclined},
    {"EXCEED_MAX_REFUND_DUE", PgErrorClass::kDeclined},
}};

// Toss families: REJECT_CARD_COMPANY, REJECT_ACCOUNT_PAYMENT, INVALID_CARD_EXPIRATION, ...
constexpr std::array<std::string_view, 2> kTossDeclinedPrefixes = {"REJECT_", "INVALID_"};

// PortOne V2 error `type`s.
constexpr std::array<CodeClass, 11> kPortOneV2Codes = {{
    {"PG_PROVIDER", PgErrorClass::kTransient},  // 502: the PG behind PortOne failed
    {"IDEMPOTENCY_OUTSTANDING_REQUEST", PgErrorClass::kTransient},  // 409: first still running
    {"PAYMENT_ALREADY_CANCELLED", PgErrorClass::kAlreadyProcessed},
    {"ALREADY_PAID", PgErrorClass::kAlreadyProcessed},
    {"PAYMENT_NOT_PAID", PgErrorClass::kDeclined},
    {"CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN", PgErrorClass::kDeclined},
    {"CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT", PgErrorClass::kDeclined},
    {"PAYMENT_NOT_FOUND", PgErrorClass::kDeclined},
    {"UNAUTHORIZED", PgErrorClass::kDeclined},
    {"FORBIDDEN", PgErrorClass::kDeclined},
    {"INVALID_REQUEST", PgErrorClass::kDeclined},
}};

template <std::size_t N>
std::optional<PgErrorClass> ClassOf(const std::array<CodeClass, N>& table, std::string_view code) {
  for (const CodeClass& entry : table) {
    if (entry.code == code) return entry.error_class;
  }
  return std::nullopt;
}

std::optional<PgErrorClass> ClassOfCode(PgProvider provider, std::string_view code) {
  if (code.empty()) return std::nullopt;
  switch (provider) {
    case PgProvider::kToss:
      if (auto known = ClassOf(kTossCodes, code)) return known;
      for (std::string_view prefix : kTossDeclinedPrefixes) {
        if (code.starts_with(prefix)) return PgErrorClass::kDeclined;
      }
      return std::nullopt;
    case PgProvider::kPortOneV2:
      return ClassOf(kPortOneV2Codes, code);
    case PgProvider::kPortOneV1:
      // V1 answers {code: -1, message: <Korean text>}: nothing stable to decide by.
      return std::nullopt;
  }
  return std::nullopt;
}

PgErrorClass ClassOfHttpStatus(PgProvider provider, std::optional<int> http_status) {
  if (!http_status) return PgErrorClass::kUnknownOutcome;
  const int status = *http_status;
  if (status >= 500 || status == 429 || status == 408) return PgErrorClass::kTransient;
  // V1 access tokens live 30 minutes: a 401 means "get a new token and send again".
  if (status == 401 && provider == PgProvider::kPortOneV1) return PgErrorClass::kTransient;
  return PgErrorClass::kDeclined;
}

}  // namespace

const char* ToString(PgProvider provider) {
  switch (provider) {
    case PgProvider::kToss:
      return "Toss";
    case PgProvider::kPortOneV1:
      return "PortOne V1";
    case PgProvider::kPortOneV2:
      return "PortOne V2";
  }
  return "unknown PG";
}

Result<PaymentStatus> MapTossStatus(std::string_view status) {
  static constexpr std::array<std::pair<std::string_view, S>, 8> kTable = {{
      {"READY", S::kReady},
      {"IN_PROGRESS", S::kInProgress},
      {"WAITING_FOR_DEPOSIT", S::kWaitingForDeposit},
      {"DONE", S::kDone},
      {"PARTIAL_CANCELED", S::kPartialCanceled},
      {"CANCELED", S::kCanceled},
      {"ABORTED", S::kAborted},
      {"EXPIRED", S::kExpired},
  }};
  if (auto mapped = Lookup(kTable, status)) return *mapped;
  return Unrecognized(PgProvider::kToss, status);
}

Result<PaymentStatus> MapPortOneV2Status(std::string_view status) {
  static constexpr std::array<std::pair<std::string_view, S>, 8> kTable = {{
      {"READY", S::kReady},
      {"PENDING", S::kInProgress},
      {"PAY_PENDING", S::kInProgress},
      {"VIRTUAL_ACCOUNT_ISSUED", S::kWaitingForDeposit},
      {"PAID", S::kDone},
      {"PARTIAL_CANCELLED", S::kPartialCanceled},
      {"CANCELLED", S::kCanceled},
      {"FAILED", S::kFailed},
  }};
  if (auto mapped = Lookup(kTable, status)) return *mapped;
  return Unrecognized(PgProvider::kPortOneV2, status);
}

Result<MappedPayment> MapPortOneV1Payment(const PortOneV1Payment& payment) {
  if (payment.cancel_amount.IsNegative() || payment.amount.IsNegative() ||
      payment.cancel_amount > payment.amount) {
    return Error::Permanent(std::string(kPaymentObservationInconsistent),
                            "PortOne V1 payment of " + payment.amount.Format() + " with " +
                                payment.cancel_amount.Format() + " canceled");
  }
  auto balance = payment.amount.Minus(payment.cancel_amount);
  if (!balance.ok()) return Fail(balance.error());
  S status = S::kUnknown;
  if (payment.status == "ready") {
    status = payment.virtual_account == VirtualAccount::kIssued ? S::kWaitingForDeposit : S::kReady;
  } else if (payment.status == "paid") {
    // V1 keeps a partly canceled payment "paid"; only a full cancel makes it "cancelled".
    status = payment.cancel_amount.IsZero() ? S::kDone
             : balance->IsZero()            ? S::kCanceled
                                            : S::kPartialCanceled;
  } else if (payment.status == "cancelled") {
    status = S::kCanceled;
  } else if (payment.status == "failed") {
    status = S::kFailed;
  } else {
    return Unrecognized(PgProvider::kPortOneV1, payment.status);
  }
  return MappedPayment{status, *balance};
}

const char* ToString(PgErrorClass error_class) {
  switch (error_class) {
    case PgErrorClass::kTransient:
      return "transient";
    case PgErrorClass::kUnknownOutcome:
      return "unknown_outcome";
    case PgErrorClass::kAlreadyProcessed:
      return "already_processed";
    case PgErrorClass::kDeclined:
      return "declined";
  }
  return "unknown";
}

PgErrorClass ClassifyPgFailure(PgProvider provider, const PgCallFailure& failure) {
  switch (failure.delivery) {
    case CallDelivery::kNotSent:
      return PgErrorClass::kTransient;
    case CallDelivery::kSentNoResponse:
      return PgErrorClass::kUnknownOutcome;
    case CallDelivery::kResponded:
      break;
  }
  if (auto by_code = ClassOfCode(provider, failure.code)) return *by_code;
  return ClassOfHttpStatus(provider, failure.http_status);
}

const char* AttemptOutcome(PgErrorClass error_class) {
  switch (error_class) {
    case PgErrorClass::kTransient:
      return "TRANSIENT";
    case PgErrorClass::kUnknownOutcome:
    case PgErrorClass::kAlreadyProcessed:
      return "UNKNOWN";
    case PgErrorClass::kDeclined:
      return "FAILED";
  }
  return "UNKNOWN";
}

Error ToError(PgProvider provider, const PgCallFailure& failure) {
  const PgErrorClass error_class = ClassifyPgFailure(provider, failure);
  std::string code;
  if (failure.delivery == CallDelivery::kNotSent) {
    code = kPgUnreachable;
  } else if (failure.delivery == CallDelivery::kSentNoResponse) {
    code = kPgNoResponse;
  } else if (!failure.code.empty()) {
    code = failure.code;
  } else if (failure.http_status) {
    code = "PG_HTTP_" + std::to_string(*failure.http_status);
  } else {
    code = kPgNoResponse;
  }
  std::string message = std::string(ToString(provider)) + " " + ToString(error_class);
  if (failure.http_status) message += " (HTTP " + std::to_string(*failure.http_status) + ")";
  if (!failure.message.empty()) message += ": " + failure.message;
  if (error_class == PgErrorClass::kDeclined) {
    return Error::Permanent(std::move(code), std::move(message));
  }
  return Error::Transient(std::move(code), std::move(message));
}

}  // namespace paypipe::domain
