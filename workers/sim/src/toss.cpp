#include "paypipe/sim/toss.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/sim/errors.hpp"
#include "paypipe/sim/time_format.hpp"
#include "util.hpp"

namespace paypipe::sim {
namespace {

using infra::http::Request;
using infra::http::Response;
using nlohmann::json;

constexpr std::size_t kMaxIdempotencyKey = 300;  // Toss: at most 300 characters
constexpr auto kIdempotencyRetention = std::chrono::hours(24 * 15);

Response TossError(std::string_view code, std::string_view message = {}) {
  return ErrorResponse(Provider::kToss, code, message);
}

Response Invalid(const std::string& message) { return TossError("INVALID_REQUEST", message); }

domain::Error ControlError(std::string code, std::string message) {
  return domain::Error::Permanent(std::move(code), std::move(message));
}

json NullOr(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }

// Card refusals end the payment (ABORTED, with the failure recorded); transient codes such as
// PROVIDER_ERROR leave it IN_PROGRESS so that a retry can still confirm it.
bool AbortsPayment(std::string_view code) {
  static constexpr std::array<std::string_view, 11> kAborting = {
      "INVALID_REJECT_CARD",         "INVALID_CARD_EXPIRATION", "INVALID_STOPPED_CARD",
      "INVALID_CARD_LOST_OR_STOLEN", "INVALID_CARD_NUMBER",     "INVALID_PASSWORD",
      "CARD_PROCESSING_ERROR",       "BELOW_MINIMUM_AMOUNT",    "FDS_ERROR",
      "NOT_AVAILABLE_BANK",          "NOT_ALLOWED_POINT_USE"};
  if (code.starts_with("REJECT_") || code.starts_with("EXCEED_MAX_")) return true;
  return std::find(kAborting.begin(), kAborting.end(), code) != kAborting.end();
}

}  // namespace

TossService::TossService(TossConfig config, const Clock& clock, SeededRandom& ids,
                         TruthLedger& ledger, WebhookSink& webhooks)
    : config_(std::move(config)),
      clock_(clock),
      ids_(ids),
      ledger_(ledger),
      webhooks_(webhooks),
      idempotency_(clock, kIdempotencyRetention) {}

std::optional<Response> TossService::Authenticate(const Request& request,
                                                  std::string& secret_key) const {
  const auto header = request.headers.Get("Authorization");
  if (!header) return TossError("UNAUTHORIZED_KEY");
  const std::string_view value = util::Trim(*header);
  if (!domain::StartsWithIgnoringCase(value, "Basic ")) {
    return TossError("INCORRECT_BASIC_AUTH_FORMAT");
  }
  auto decoded = infra::crypto::Base64Decode(util::Trim(value.substr(6)));
  // "secretKey:" — the colon separates the key from the (empty) password and is required.
  if (!decoded.ok() || decoded->find(':') == std::string::npos) {
    return TossError("INCORRECT_BASIC_AUTH_FORMAT");
  }
  secret_key = decoded->substr(0, decoded->find(':'));
  if (std::find(config_.secret_keys.begin(), config_.secret_keys.end(), secret_key) ==
      config_.secret_keys.end()) {
    return TossError("UNAUTHORIZED_KEY");
  }
  return std::nullopt;
}

Call TossService::Route(const Request& request, std::string_view path) {
  const std::vector<std::string> seg = util::SplitPath(path);
  const bool post = request.method == "POST";
  const bool get = request.method == "GET";
  std::string endpoint;
  std::function<Response(const std::string& idempotency_key)> operation;
  const std::string body = request.body;

  const auto n = seg.size();
  if (n >= 2 && seg[0] == "v1" && seg[1] == "payments") {
    if (n == 3 && seg[2] == "confirm" && post) {
      endpoint = "toss.confirm";
      operation = [this, body](const std::string& key) { return Confirm(body, key); };
    } else if (n == 4 && seg[2] == "orders" && get) {
      endpoint = "toss.get_payment_by_order";
      operation = [this, id = seg[3]](const std::string&) { return GetByOrder(id); };
    } else if (n == 3 && get) {
      endpoint = "toss.get_payment";
      operation = [this, id = seg[2]](const std::string&) { return Get(id); };
    } else if (n == 4 && seg[3] == "cancel" && post) {
      endpoint = "toss.cancel";
      operation = [this, id = seg[2], body](const std::string& key) {
        return Cancel(id, body, key);
      };
    }
  } else if (n >= 2 && seg[0] == "v1" && seg[1] == "billing" && post) {
    if (n == 4 && seg[2] == "authorizations" && seg[3] == "issue") {
      endpoint = "toss.billing_issue";
      operation = [this, body](const std::string&) { return IssueBillingKey(body); };
    } else if (n == 3) {
      endpoint = "toss.billing_charge";
      operation = [this, id = seg[2], body](const std::string& key) {
        return ChargeBillingKey(id, body, key);
      };
    }
  } else if (n == 2 && seg[0] == "v1" && seg[1] == "virtual-accounts" && post) {
    endpoint = "toss.virtual_account";
    operation = [this, body](const std::string&) { return IssueVirtualAccount(body); };
  }
  if (!operation) {
    return Call::Answer(
        "toss.unknown", Provider::kToss,
        TossError("NOT_FOUND", "No such Toss API: " + request.method + " " + std::string(path)));
  }

  std::string secret_key;
  if (auto refused = Authenticate(request, secret_key)) {
    return Call::Answer(endpoint, Provider::kToss, std::move(*refused));
  }

  Call call;
  call.endpoint = endpoint;
  call.provider = Provider::kToss;
  if (auto test_code = request.headers.Get("TossPayments-Test-Code")) {
    call.forced_error = std::string(util::Trim(*test_code));
  }
  if (auto key = request.headers.Get("Idempotency-Key"); key && post) {
    if (key->empty() || key->size() > kMaxIdempotencyKey) {
      return Call::Answer(endpoint, Provider::kToss,
                          Invalid("Idempotency-Key must be 1-300 characters"));
    }
    call.idempotency = &idempotency_;
    call.idempotency_key = std::string(*key);
    // The match is on API key + URL + method + key; the body is deliberately not part of it.
    call.idempotency_scope =
        secret_key + '\n' + request.method + '\n' + request.target + '\n' + call.idempotency_key;
  }
  call.apply = [operation, key = call.idempotency_key] { return operation(key); };
  if (endpoint == "toss.confirm") {
    call.on_rejected = [this, body](const std::string& code) { RejectConfirm(body, code); };
  }
  return call;
}

std::string TossService::NewPaymentKey() {
  return "tsim_" + FormatKstCompact(clock_.Now()) + ids_.Alphanumeric(10);
}

std::string TossService::NewTransactionKey() { return ids_.UpperHex(32); }

TossPayment* TossService::FindLocked(const std::string& payment_key) {
  auto it = payments_.find(payment_key);
  if (it == payments_.end()) return nullptr;
  ExpireIfDueLocked(it->second);
  return &it->second;
}

void TossService::ExpireIfDueLocked(TossPayment& payment) {
  if (payment.status != "IN_PROGRESS") return;
  if (clock_.Now() - payment.requested_at < config_.session_ttl) return;
  payment.status = "EXPIRED";
  payment.failure = {"EXPIRED_PAYMENT", "The payment expired before it was confirmed."};
  EmitStatusChangedLocked(payment);
}

void TossService::InsertLocked(TossPayment payment) {
  by_order_[payment.order_id] = payment.payment_key;
  creation_order_.push_back(payment.payment_key);
  std::string key = payment.payment_key;
  payments_.emplace(std::move(key), std::move(payment));
}

json TossService::PaymentJson(const TossPayment& p) const {
  const std::int64_t vat = util::VatOf(p.total_amount - p.tax_free_amount);
  json j = {
      {"mId", "tsim"},
      {"version", "2022-11-16"},
      {"paymentKey", p.payment_key},
      {"orderId", p.order_id},
      {"orderName", p.order_name},
      {"type", p.type},
      {"method", p.method},
      {"status", p.status},
      {"currency", "KRW"},
      {"country", "KR"},
      {"totalAmount", p.total_amount},
      {"balanceAmount", p.balance_amount},
      {"suppliedAmount", p.total_amount - p.tax_free_amount - vat},
      {"vat", vat},
      {"taxFreeAmount", p.tax_free_amount},
      {"taxExemptionAmount", 0},
      {"isPartialCancelable", p.partial_cancelable},
      {"useEscrow", false},
      {"cultureExpense", false},
      {"requestedAt", FormatKst(p.requested_at)},
      {"approvedAt", p.approved_at ? json(FormatKst(*p.approved_at)) : json(nullptr)},
      {"lastTransactionKey", NullOr(p.last_transaction_key)},
      {"secret", NullOr(p.secret)},
      {"failure", p.failure ? json{{"code", p.failure->first}, {"message", p.failure->second}}
                            : json(nullptr)},
      {"receipt", {{"url", "https://sim.tosspayments.invalid/receipt/" + p.payment_key}}},
      {"checkout", {{"url", "https://sim.tosspayments.invalid/checkout/" + p.payment_key}}},
      {"discount", nullptr},
      {"easyPay", nullptr},
      {"transfer", nullptr},
      {"mobilePhone", nullptr},
      {"giftCertificate", nullptr},
      {"cashReceipt", nullptr},
      {"cashReceipts", nullptr},
      {"card", nullptr},
      {"virtualAccount", nullptr},
  };
  if (p.method == "카드" && p.approved_at) {
    j["card"] = {
        {"issuerCode", "61"},         {"acquirerCode", "31"},     {"number", "43301234****123*"},
        {"installmentPlanMonths", 0}, {"isInterestFree", false},  {"interestPayer", nullptr},
        {"approveNo", "00000000"},    {"useCardPoint", false},    {"cardType", "신용"},
        {"ownerType", "개인"},        {"acquireStatus", "READY"}, {"amount", p.total_amount}};
  }
  if (p.method == "간편결제") {
    j["easyPay"] = {{"provider", "토스페이"}, {"amount", p.total_amount}, {"discountAmount", 0}};
  }
  if (p.method == "가상계좌") {
    j["virtualAccount"] = {
        {"accountType", "일반"},
        {"accountNumber", p.account_number},
        {"bankCode", p.bank},
        {"customerName", p.customer_name},
        {"dueDate", FormatKst(p.due_date)},
        {"refundStatus", p.status == "CANCELED" && p.approved_at ? "COMPLETED" : "NONE"},
        {"expired", false},
        {"settlementStatus", p.approved_at ? "COMPLETED" : "INCOMPLETED"},
        {"refundReceiveAccount", nullptr}};
  }
  if (p.cancels.empty()) {
    j["cancels"] = nullptr;
  } else {
    json cancels = json::array();
    for (const TossCancel& c : p.cancels) {
      cancels.push_back({{"cancelAmount", c.amount},
                         {"cancelReason", c.reason},
                         {"taxFreeAmount", c.tax_free_amount},
                         {"taxExemptionAmount", 0},
                         {"refundableAmount", c.refundable_after},
                         {"easyPayDiscountAmount", 0},
                         {"canceledAt", FormatKst(c.canceled_at)},
                         {"transactionKey", c.transaction_key},
                         {"receiptKey", nullptr},
                         {"cancelStatus", "DONE"},
                         {"cancelRequestId", nullptr}});
    }
    j["cancels"] = std::move(cancels);
  }
  return j;
}

void TossService::EmitStatusChangedLocked(const TossPayment& payment) {
  const int digits = static_cast<int>(ids_.UniformInt(0, 6));
  const json body = {{"eventType", "PAYMENT_STATUS_CHANGED"},
                     {"createdAt", FormatKstNoOffset(clock_.Now(), digits)},
                     {"data", PaymentJson(payment)}};
  webhooks_.Emit({Provider::kToss, "PAYMENT_STATUS_CHANGED", payment.payment_key, body.dump()});
}

void TossService::EmitDepositCallbackLocked(const TossPayment& payment) {
  const int digits = static_cast<int>(ids_.UniformInt(0, 6));
  const json body = {{"createdAt", FormatKstNoOffset(clock_.Now(), digits)},
                     {"secret", payment.secret},
                     {"status", payment.status},
                     {"transactionKey", NullOr(payment.last_transaction_key)},
                     {"orderId", payment.order_id}};
  webhooks_.Emit({Provider::kToss, "DEPOSIT_CALLBACK", payment.payment_key, body.dump()});
}

Response TossService::Confirm(const std::string& raw, const std::string& key) {
  auto body = util::ParseObject(raw);
  if (!body) return Invalid("The body must be a JSON object");
  if (auto e = util::CheckString(*body, "paymentKey", 1, 200, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "orderId", 6, 64, true)) return Invalid(*e);
  if (auto e = util::CheckAmount(*body, "amount", 1, true)) return Invalid(*e);
  const auto payment_key = body->at("paymentKey").get<std::string>();
  const auto order_id = body->at("orderId").get<std::string>();
  const auto amount = body->at("amount").get<std::int64_t>();
  if (!util::IsValidOrderId(order_id)) return Invalid("orderId must be 6-64 of [A-Za-z0-9_-]");

  std::lock_guard lock(mutex_);
  TossPayment* p = FindLocked(payment_key);
  if (p == nullptr) return TossError("NOT_FOUND_PAYMENT_SESSION");
  if (p->status == "EXPIRED" || p->status == "ABORTED") {
    return TossError("NOT_FOUND_PAYMENT_SESSION");
  }
  if (p->status != "IN_PROGRESS") return TossError("ALREADY_PROCESSED_PAYMENT");
  if (p->order_id != order_id) return Invalid("orderId does not match the payment session");
  // The amount the customer authenticated is binding; a different amount means the merchant's
  // request was tampered with or stale, and Toss refuses it as an invalid request.
  if (p->total_amount != amount) return Invalid("amount does not match the payment session");

  p->status = "DONE";
  p->approved_at = clock_.Now();
  p->last_transaction_key = NewTransactionKey();
  ledger_.RecordConfirm({p->payment_key, p->order_id, amount, key});
  EmitStatusChangedLocked(*p);
  return JsonResponse(200, PaymentJson(*p).dump());
}

void TossService::RejectConfirm(const std::string& raw, const std::string& code) {
  if (!AbortsPayment(code)) return;
  auto body = util::ParseObject(raw);
  if (!body || !body->contains("paymentKey") || !body->at("paymentKey").is_string()) return;
  std::lock_guard lock(mutex_);
  TossPayment* p = FindLocked(body->at("paymentKey").get<std::string>());
  if (p == nullptr || p->status != "IN_PROGRESS") return;
  p->status = "ABORTED";
  const Response error = TossError(code);
  const json parsed = json::parse(error.body);
  p->failure = {code, parsed.value("message", "")};
  EmitStatusChangedLocked(*p);
}

Response TossService::Get(const std::string& payment_key) {
  std::lock_guard lock(mutex_);
  TossPayment* p = FindLocked(payment_key);
  if (p == nullptr) return TossError("NOT_FOUND_PAYMENT");
  return JsonResponse(200, PaymentJson(*p).dump());
}

Response TossService::GetByOrder(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  auto it = by_order_.find(order_id);
  if (it == by_order_.end()) return TossError("NOT_FOUND_PAYMENT");
  TossPayment* p = FindLocked(it->second);
  return JsonResponse(200, PaymentJson(*p).dump());
}

Response TossService::Cancel(const std::string& payment_key, const std::string& raw,
                             const std::string& key) {
  auto body = util::ParseObject(raw);
  if (!body) return Invalid("The body must be a JSON object");
  if (auto e = util::CheckString(*body, "cancelReason", 1, 200, true)) return Invalid(*e);
  if (auto e = util::CheckAmount(*body, "cancelAmount", 1, false)) return Invalid(*e);
  if (auto e = util::CheckAmount(*body, "taxFreeAmount", 0, false)) return Invalid(*e);
  const auto reason = body->at("cancelReason").get<std::string>();
  std::optional<std::int64_t> requested;
  if (body->contains("cancelAmount") && !body->at("cancelAmount").is_null()) {
    requested = body->at("cancelAmount").get<std::int64_t>();
  }
  const std::int64_t tax_free =
      body->contains("taxFreeAmount") && !body->at("taxFreeAmount").is_null()
          ? body->at("taxFreeAmount").get<std::int64_t>()
          : 0;

  std::lock_guard lock(mutex_);
  TossPayment* p = FindLocked(payment_key);
  if (p == nullptr) return TossError("NOT_FOUND_PAYMENT");
  if (p->status == "CANCELED") return TossError("ALREADY_CANCELED_PAYMENT");
  const bool waiting = p->status == "WAITING_FOR_DEPOSIT";
  if (!waiting && p->status != "DONE" && p->status != "PARTIAL_CANCELED") {
    return TossError("NOT_CANCELABLE_PAYMENT");
  }
  const std::int64_t amount = requested.value_or(p->balance_amount);
  if (amount > p->balance_amount) return TossError("NOT_CANCELABLE_AMOUNT");
  const bool partial = amount < p->balance_amount;
  if (partial && waiting) return TossError("NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT");
  if (partial && !p->partial_cancelable) return TossError("NOT_ALLOWED_PARTIAL_REFUND");
  if (p->method == "가상계좌" && !waiting) {
    // Money already deposited goes back to an account the customer names.
    const auto account = body->find("refundReceiveAccount");
    const bool complete = account != body->end() && account->is_object() &&
                          !util::CheckString(*account, "bank", 1, 20, true) &&
                          !util::CheckString(*account, "accountNumber", 1, 20, true) &&
                          !util::CheckString(*account, "holderName", 1, 60, true);
    if (!complete) return TossError("INVALID_REFUND_ACCOUNT_INFO");
  }

  TossCancel cancel;
  cancel.amount = amount;
  cancel.tax_free_amount = tax_free;
  cancel.reason = reason;
  cancel.transaction_key = NewTransactionKey();
  cancel.canceled_at = clock_.Now();
  p->balance_amount -= amount;
  cancel.refundable_after = p->balance_amount;
  p->cancels.push_back(cancel);
  p->last_transaction_key = cancel.transaction_key;
  p->status = p->balance_amount == 0 ? "CANCELED" : "PARTIAL_CANCELED";
  ledger_.RecordCancel({Provider::kToss, p->payment_key, p->order_id, amount, p->balance_amount,
                        key, cancel.transaction_key, reason});
  EmitStatusChangedLocked(*p);
  if (p->method == "가상계좌" && p->status == "CANCELED") EmitDepositCallbackLocked(*p);
  return JsonResponse(200, PaymentJson(*p).dump());
}

Response TossService::IssueBillingKey(const std::string& raw) {
  auto body = util::ParseObject(raw);
  if (!body) return Invalid("The body must be a JSON object");
  if (auto e = util::CheckString(*body, "authKey", 1, 300, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "customerKey", 2, 300, true)) return Invalid(*e);
  const auto customer_key = body->at("customerKey").get<std::string>();
  if (!util::IsValidCustomerKey(customer_key)) {
    return Invalid("customerKey must be 2-300 of [A-Za-z0-9-_=.@]");
  }
  const TimePoint now = clock_.Now();
  const std::string billing_key = ids_.Alphanumeric(43) + "=";
  {
    std::lock_guard lock(mutex_);
    billing_keys_[billing_key] = {customer_key, now};
  }
  const json answer = {{"mId", "tsim"},
                       {"customerKey", customer_key},
                       {"authenticatedAt", FormatKst(now)},
                       {"method", "카드"},
                       {"billingKey", billing_key},
                       {"cardCompany", "현대"},
                       {"cardNumber", "43301234****123*"},
                       {"card",
                        {{"issuerCode", "61"},
                         {"acquirerCode", "31"},
                         {"number", "43301234****123*"},
                         {"cardType", "신용"},
                         {"ownerType", "개인"}}}};
  return JsonResponse(200, answer.dump());
}

Response TossService::ChargeBillingKey(const std::string& billing_key, const std::string& raw,
                                       const std::string& key) {
  auto body = util::ParseObject(raw);
  if (!body) return Invalid("The body must be a JSON object");
  if (auto e = util::CheckString(*body, "customerKey", 2, 300, true)) return Invalid(*e);
  if (auto e = util::CheckAmount(*body, "amount", 1, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "orderId", 6, 64, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "orderName", 1, 100, true)) return Invalid(*e);
  const auto order_id = body->at("orderId").get<std::string>();
  if (!util::IsValidOrderId(order_id)) return Invalid("orderId must be 6-64 of [A-Za-z0-9_-]");
  const auto customer_key = body->at("customerKey").get<std::string>();

  std::lock_guard lock(mutex_);
  auto billing = billing_keys_.find(billing_key);
  if (billing == billing_keys_.end()) return TossError("INVALID_BILLING_AUTH");
  if (billing->second.customer_key != customer_key) return TossError("NOT_MATCHES_CUSTOMER_KEY");
  if (by_order_.contains(order_id)) return TossError("DUPLICATED_ORDER_ID");

  TossPayment p;
  p.payment_key = NewPaymentKey();
  p.order_id = order_id;
  p.order_name = body->at("orderName").get<std::string>();
  p.type = "BILLING";
  p.status = "DONE";
  p.total_amount = p.balance_amount = body->at("amount").get<std::int64_t>();
  p.requested_at = clock_.Now();
  p.approved_at = p.requested_at;
  p.last_transaction_key = NewTransactionKey();
  p.customer_key = customer_key;
  p.billing_key = billing_key;
  ledger_.RecordCharge({billing_key, customer_key, p.payment_key, order_id, p.total_amount, key});
  // Toss sends no webhook for a successful recurring charge: the answer is the only news.
  const std::string answer = PaymentJson(p).dump();
  InsertLocked(std::move(p));
  return JsonResponse(200, answer);
}

Response TossService::IssueVirtualAccount(const std::string& raw) {
  auto body = util::ParseObject(raw);
  if (!body) return Invalid("The body must be a JSON object");
  if (auto e = util::CheckAmount(*body, "amount", 1, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "orderId", 6, 64, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "orderName", 1, 100, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "customerName", 1, 100, true)) return Invalid(*e);
  if (auto e = util::CheckString(*body, "bank", 1, 20, true)) return Invalid(*e);
  if (auto e = util::CheckAmount(*body, "validHours", 1, false)) return Invalid(*e);
  const auto order_id = body->at("orderId").get<std::string>();
  if (!util::IsValidOrderId(order_id)) return Invalid("orderId must be 6-64 of [A-Za-z0-9_-]");
  const std::int64_t valid_hours = body->value("validHours", std::int64_t{168});
  if (valid_hours > 2160) return Invalid("validHours must be at most 2160");

  std::lock_guard lock(mutex_);
  if (by_order_.contains(order_id)) return TossError("DUPLICATED_ORDER_ID");
  TossPayment p;
  p.payment_key = NewPaymentKey();
  p.order_id = order_id;
  p.order_name = body->at("orderName").get<std::string>();
  p.method = "가상계좌";
  p.status = "WAITING_FOR_DEPOSIT";
  p.total_amount = p.balance_amount = body->at("amount").get<std::int64_t>();
  p.requested_at = clock_.Now();
  p.last_transaction_key = NewTransactionKey();
  p.secret = "ps_" + ids_.Alphanumeric(32);
  // Test-environment accounts start with X and cannot receive real money.
  p.account_number = "X" + std::to_string(ids_.UniformInt(1'000'000'000'000, 9'999'999'999'999));
  p.bank = body->at("bank").get<std::string>();
  p.customer_name = body->at("customerName").get<std::string>();
  p.due_date = p.requested_at + std::chrono::hours(valid_hours);
  EmitDepositCallbackLocked(p);
  const std::string answer = PaymentJson(p).dump();
  InsertLocked(std::move(p));
  return JsonResponse(200, answer);
}

domain::Result<json> TossService::CreateSession(const json& body) {
  if (!body.is_object()) return ControlError("INVALID_REQUEST", "body must be a JSON object");
  for (auto e :
       {util::CheckString(body, "orderId", 6, 64, true), util::CheckAmount(body, "amount", 1, true),
        util::CheckString(body, "orderName", 1, 100, false),
        util::CheckString(body, "method", 1, 20, false),
        util::CheckString(body, "paymentKey", 1, 200, false),
        util::CheckAmount(body, "taxFreeAmount", 0, false)}) {
    if (e) return ControlError("INVALID_REQUEST", *e);
  }
  const auto order_id = body.at("orderId").get<std::string>();
  if (!util::IsValidOrderId(order_id)) {
    return ControlError("INVALID_REQUEST", "orderId must be 6-64 of [A-Za-z0-9_-]");
  }
  TossPayment p;
  p.payment_key =
      body.contains("paymentKey") ? body.at("paymentKey").get<std::string>() : NewPaymentKey();
  p.order_id = order_id;
  p.order_name = body.value("orderName", "sim order");
  p.method = body.value("method", "카드");
  p.status = "IN_PROGRESS";
  p.total_amount = p.balance_amount = body.at("amount").get<std::int64_t>();
  p.tax_free_amount = body.value("taxFreeAmount", std::int64_t{0});
  if (p.tax_free_amount > p.total_amount) {
    return ControlError("INVALID_REQUEST", "taxFreeAmount exceeds amount");
  }
  p.partial_cancelable = body.value("partialCancelable", true);
  p.requested_at = clock_.Now();

  std::lock_guard lock(mutex_);
  if (by_order_.contains(order_id)) {
    return ControlError("DUPLICATED_ORDER_ID", "orderId already has a payment");
  }
  if (payments_.contains(p.payment_key)) {
    return ControlError("DUPLICATED_PAYMENT_KEY", "paymentKey already exists");
  }
  json answer = {{"paymentKey", p.payment_key},
                 {"orderId", p.order_id},
                 {"amount", p.total_amount},
                 {"status", p.status}};
  InsertLocked(std::move(p));
  return answer;
}

domain::Result<json> TossService::Deposit(std::string_view payment_key) {
  std::lock_guard lock(mutex_);
  TossPayment* p = FindLocked(std::string(payment_key));
  if (p == nullptr) return ControlError("NOT_FOUND_PAYMENT", "no such payment");
  if (p->status != "WAITING_FOR_DEPOSIT") {
    return ControlError("NOT_WAITING_FOR_DEPOSIT", "the payment is " + p->status);
  }
  p->status = "DONE";
  p->approved_at = clock_.Now();
  p->last_transaction_key = NewTransactionKey();
  EmitDepositCallbackLocked(*p);
  EmitStatusChangedLocked(*p);
  return PaymentJson(*p);
}

domain::Result<json> TossService::DepositError(std::string_view payment_key) {
  std::lock_guard lock(mutex_);
  TossPayment* p = FindLocked(std::string(payment_key));
  if (p == nullptr) return ControlError("NOT_FOUND_PAYMENT", "no such payment");
  if (p->method != "가상계좌" || p->status != "DONE") {
    return ControlError("NOT_DEPOSITED", "the payment is not a deposited virtual account");
  }
  p->status = "WAITING_FOR_DEPOSIT";
  p->approved_at.reset();
  p->last_transaction_key = NewTransactionKey();
  EmitDepositCallbackLocked(*p);
  return PaymentJson(*p);
}

json TossService::Snapshot() const {
  std::lock_guard lock(mutex_);
  json payments = json::array();
  for (const std::string& key : creation_order_) payments.push_back(PaymentJson(payments_.at(key)));
  json billing = json::array();
  for (const auto& [key, value] : billing_keys_) {
    billing.push_back({{"billingKey", key}, {"customerKey", value.customer_key}});
  }
  return {{"payments", std::move(payments)}, {"billing_keys", std::move(billing)}};
}

json TossService::StatusCounts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::int64_t> counts;
  for (const auto& [key, payment] : payments_) ++counts[payment.status];
  return counts;
}

void TossService::Clear() {
  std::lock_guard lock(mutex_);
  payments_.clear();
  by_order_.clear();
  creation_order_.clear();
  billing_keys_.clear();
  idempotency_.Clear();
}

}  // namespace paypipe::sim
