#include "paypipe/sim/errors.hpp"

#include <array>
#include <nlohmann/json.hpp>

namespace paypipe::sim {
namespace {

struct KnownError {
  std::string_view code;
  int status;
  std::string_view message;
};

// Toss Payments error codes with the HTTP status its documentation lists for them
// (docs.tosspayments.com/reference/error-codes). Decide by code, not status: PROVIDER_ERROR is a
// transient 400.
constexpr std::array kTossErrors = {
    KnownError{"ALREADY_PROCESSED_PAYMENT", 400,
               "This is a payment that has already been processed."},
    KnownError{"PROVIDER_ERROR", 400,
               "This is temporary error. Please try again in a few minutes."},
    KnownError{"EXCEED_MAX_CARD_INSTALLMENT_PLAN", 400,
               "Maximum number of installment months exceeded."},
    KnownError{"INVALID_REQUEST", 400, "The bad request."},
    KnownError{"NOT_ALLOWED_POINT_USE", 400,
               "Card point payment failed because the card cannot be used points."},
    KnownError{"INVALID_API_KEY", 400, "Incorrect secret key."},
    KnownError{"INVALID_REJECT_CARD", 400, "Refer to card issuer/decline."},
    KnownError{"BELOW_MINIMUM_AMOUNT", 400,
               "Payment can be made from 100 won or more by credit card."},
    KnownError{"INVALID_CARD_EXPIRATION", 400,
               "Please check the card expiration date information again."},
    KnownError{"INVALID_STOPPED_CARD", 400, "This is a suspended card."},
    KnownError{"EXCEED_MAX_DAILY_PAYMENT_COUNT", 400, "Exceeded maximum daily payment count."},
    KnownError{"INVALID_CARD_INSTALLMENT_PLAN", 400, "Invalid installment plan."},
    KnownError{"EXCEED_MAX_PAYMENT_AMOUNT", 400, "Exceeded maximum payment amount."},
    KnownError{"INVALID_CARD_LOST_OR_STOLEN", 400, "This is a lost or stolen card."},
    KnownError{"INVALID_CARD_NUMBER", 400, "Please check the card number again."},
    KnownError{"CARD_PROCESSING_ERROR", 400, "There was an error processing the card."},
    KnownError{"EXCEED_MAX_AMOUNT", 400, "The transaction amount exceeds the limit."},
    KnownError{"NOT_AVAILABLE_PAYMENT", 400, "This payment is not available at this time."},
    KnownError{"UNAPPROVED_ORDER_ID", 400, "The order id has not been approved yet."},
    KnownError{"DUPLICATED_ORDER_ID", 400, "This order id has already been approved or canceled."},
    KnownError{"NOT_MATCHES_CUSTOMER_KEY", 400,
               "The customer key does not match the billing authorization."},
    KnownError{"INVALID_BILLING_AUTH", 400, "Invalid billing authorization."},
    KnownError{"ALREADY_CANCELED_PAYMENT", 400, "This is a previously canceled payment."},
    KnownError{"INVALID_REFUND_ACCOUNT_INFO", 400, "Refund account information does not match."},
    KnownError{"INVALID_REFUND_ACCOUNT_NUMBER", 400, "Invalid refund account number."},
    KnownError{"INVALID_BANK", 400, "Invalid bank."},
    KnownError{"NOT_MATCHES_REFUNDABLE_AMOUNT", 400, "The refundable amount does not match."},
    KnownError{"REFUND_REJECTED", 400, "The refund was rejected."},
    KnownError{"ALREADY_REFUND_PAYMENT", 400, "This payment has already been refunded."},
    KnownError{"FORBIDDEN_BANK_REFUND_REQUEST", 400,
               "The bank does not allow refunds to this account."},
    KnownError{"UNAUTHORIZED_KEY", 401, "Unauthorized secret key or client key."},
    KnownError{"REJECT_ACCOUNT_PAYMENT", 403, "The balance is insufficient."},
    KnownError{"REJECT_CARD_PAYMENT", 403,
               "Rejected due to credit limit exceeded or insufficient balance."},
    KnownError{"REJECT_CARD_COMPANY", 403, "Payment approval was rejected by the card company."},
    KnownError{"FORBIDDEN_REQUEST", 403, "Forbidden request."},
    KnownError{"REJECT_TOSSPAY_INVALID_ACCOUNT", 403, "The selected account is not valid."},
    KnownError{"EXCEED_MAX_AUTH_COUNT", 403, "Exceeded maximum number of authentications."},
    KnownError{"EXCEED_MAX_ONE_DAY_AMOUNT", 403, "Exceeded the daily transaction limit."},
    KnownError{"NOT_AVAILABLE_BANK", 403, "This bank is not available at this time."},
    KnownError{"INVALID_PASSWORD", 403, "Invalid payment password."},
    KnownError{"INCORRECT_BASIC_AUTH_FORMAT", 403,
               "Incorrect basic auth format. Encode 'secretKey:' including the colon."},
    KnownError{"FDS_ERROR", 403, "The payment was stopped by risk detection."},
    KnownError{"NOT_CANCELABLE_AMOUNT", 403, "This is an amount that cannot be canceled."},
    KnownError{"FORBIDDEN_CONSECUTIVE_REQUEST", 403,
               "Consecutive requests are forbidden. Please try again later."},
    KnownError{"NOT_CANCELABLE_PAYMENT", 403, "This is a payment that cannot be canceled."},
    KnownError{"EXCEED_MAX_REFUND_DUE", 403, "The refund period has expired."},
    KnownError{"NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT", 403,
               "Partial refunds are not allowed while waiting for deposit."},
    KnownError{"NOT_ALLOWED_PARTIAL_REFUND", 403,
               "Partial refunds are not allowed for this payment."},
    KnownError{"NOT_FOUND_PAYMENT", 404, "Payment not found."},
    KnownError{"NOT_FOUND_PAYMENT_SESSION", 404,
               "The payment session has expired or does not exist."},
    KnownError{"NOT_FOUND", 404, "Not found."},
    KnownError{"IDEMPOTENT_REQUEST_PROCESSING", 409,
               "A request with this Idempotency-Key is being processed. Try again later."},
    KnownError{"FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500,
               "Payment failed due to an internal error."},
    KnownError{"FAILED_INTERNAL_SYSTEM_PROCESSING", 500,
               "Internal system error. Please try again."},
    KnownError{"UNKNOWN_PAYMENT_ERROR", 500, "Payment failed for an unknown reason."},
    KnownError{"FAILED_REFUND_PROCESS", 500, "Refund processing failed. Please try again."},
    KnownError{"FAILED_METHOD_HANDLING_CANCEL", 500,
               "Cancel processing failed for this payment method."},
    KnownError{"FAILED_PARTIAL_REFUND", 500, "Partial refund failed."},
    KnownError{"COMMON_ERROR", 500, "A temporary error occurred. Please try again."},
};

// PortOne V2 error types with their documented statuses.
constexpr std::array kPortOneV2Errors = {
    KnownError{"INVALID_REQUEST", 400, "The request is invalid."},
    KnownError{"UNAUTHORIZED", 401, "Authorization failed."},
    KnownError{"FORBIDDEN", 403, "The request is forbidden."},
    KnownError{"PAYMENT_NOT_FOUND", 404, "Payment not found."},
    KnownError{"PAYMENT_ALREADY_CANCELLED", 409, "The payment has already been cancelled."},
    KnownError{"PAYMENT_NOT_PAID", 409, "The payment has not been paid."},
    KnownError{"CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN", 409,
               "The cancellable amount does not match currentCancellableAmount."},
    KnownError{"CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT", 409,
               "The cancel amount exceeds the cancellable amount."},
    KnownError{"CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT", 409,
               "The tax-free cancel amount exceeds the cancellable tax-free amount."},
    KnownError{"IDEMPOTENCY_OUTSTANDING_REQUEST", 409,
               "A request with this Idempotency-Key is still being processed."},
    KnownError{"PG_PROVIDER", 502, "The PG provider returned an error."},
};

// PortOne V1 (iamport) answers business refusals with HTTP 200 and code 1; these names are the
// sim's own, since V1 has no error codes beyond the numeric `code`.
constexpr std::array kPortOneV1Errors = {
    KnownError{"INVALID_REQUEST", 400, "Invalid request."},
    KnownError{"UNAUTHORIZED", 401, "Unauthorized"},
    KnownError{"NOT_FOUND", 404, "Payment not found."},
    KnownError{"CANCEL_REFUSED", 200, "Cancel refused."},
    KnownError{"PG_ERROR", 200, "The PG refused the cancel."},
    KnownError{"INTERNAL_ERROR", 500, "Internal server error."},
    KnownError{"SERVICE_UNAVAILABLE", 503, "Service unavailable."},
};

// Slack incoming-webhook answers: the body is the error name.
constexpr std::array kSlackErrors = {
    KnownError{"invalid_payload", 400, "invalid_payload"},
    KnownError{"user_not_found", 400, "user_not_found"},
    KnownError{"no_text", 400, "no_text"},
    KnownError{"action_prohibited", 403, "action_prohibited"},
    KnownError{"channel_not_found", 404, "channel_not_found"},
    KnownError{"no_service", 404, "no_service"},
    KnownError{"channel_is_archived", 410, "channel_is_archived"},
    KnownError{"rate_limited", 429, "rate_limited"},
    KnownError{"rollup_error", 500, "rollup_error"},
};

template <std::size_t N>
const KnownError* Find(const std::array<KnownError, N>& table, std::string_view code) {
  for (const auto& entry : table) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

const KnownError* Lookup(Provider provider, std::string_view code) {
  switch (provider) {
    case Provider::kToss:
    case Provider::kControl:
      return Find(kTossErrors, code);
    case Provider::kPortOneV1:
      return Find(kPortOneV1Errors, code);
    case Provider::kPortOneV2:
      return Find(kPortOneV2Errors, code);
    case Provider::kSlack:
      return Find(kSlackErrors, code);
  }
  return nullptr;
}

}  // namespace

std::string_view ToString(Provider provider) {
  switch (provider) {
    case Provider::kToss:
      return "toss";
    case Provider::kPortOneV1:
      return "portone_v1";
    case Provider::kPortOneV2:
      return "portone_v2";
    case Provider::kSlack:
      return "slack";
    case Provider::kControl:
      return "control";
  }
  return "unknown";
}

std::optional<int> KnownErrorStatus(Provider provider, std::string_view code) {
  if (const KnownError* known = Lookup(provider, code)) return known->status;
  return std::nullopt;
}

infra::http::Response JsonResponse(int status, const std::string& body) {
  return infra::http::Response::Json(status, body);
}

infra::http::Response ErrorResponse(Provider provider, std::string_view code,
                                    std::string_view message, std::optional<int> status) {
  const KnownError* known = Lookup(provider, code);
  const int http_status = status.value_or(known != nullptr ? known->status : 400);
  std::string text(message);
  if (text.empty()) text = known != nullptr ? std::string(known->message) : std::string(code);
  nlohmann::json body;
  switch (provider) {
    case Provider::kToss:
    case Provider::kControl:
      body = {{"code", code}, {"message", text}};
      break;
    case Provider::kPortOneV2:
      body = {{"type", code}, {"message", text}};
      break;
    case Provider::kPortOneV1:
      // A refusal answered with 200 carries code 1; transport-level failures carry -1.
      body = {{"code", http_status == 200 ? 1 : -1}, {"message", text}, {"response", nullptr}};
      break;
    case Provider::kSlack:
      return infra::http::Response::Text(http_status, std::string(code));
  }
  return infra::http::Response::Json(http_status, body.dump());
}

}  // namespace paypipe::sim
