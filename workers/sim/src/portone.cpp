#include "paypipe/sim/portone.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/sim/errors.hpp"
#include "paypipe/sim/time_format.hpp"
#include "util.hpp"

namespace paypipe::sim {
namespace {

using infra::http::Request;
using infra::http::Response;
using nlohmann::json;

constexpr auto kV2IdempotencyRetention = std::chrono::hours(3);

domain::Error ControlError(std::string code, std::string message) {
  return domain::Error::Permanent(std::move(code), std::move(message));
}

json UnixOrZero(const std::optional<TimePoint>& at) { return at ? UnixSeconds(*at) : 0; }

// --- V1 -------------------------------------------------------------------------------------

Response V1Ok(json response) {
  return JsonResponse(
      200, json{{"code", 0}, {"message", nullptr}, {"response", std::move(response)}}.dump());
}

// iamport refuses business-rule violations with HTTP 200, code 1, and does nothing.
Response V1Refused(const std::string& message) {
  return ErrorResponse(Provider::kPortOneV1, "CANCEL_REFUSED", message);
}

// Form fields or JSON members of a V1 request body, as strings.
std::map<std::string, std::string> V1Params(const Request& request) {
  const auto type = request.headers.Get("Content-Type");
  if (type && domain::StartsWithIgnoringCase(*type, "application/json")) {
    std::map<std::string, std::string> out;
    auto body = util::ParseObject(request.body);
    if (!body) return out;
    for (const auto& [key, value] : body->items()) {
      if (value.is_string()) {
        out[key] = value.get<std::string>();
      } else if (!value.is_null()) {
        out[key] = value.dump();  // numbers keep their text: "1000", "1000.5"
      }
    }
    return out;
  }
  return util::ParseForm(request.body);
}

// A V1 amount: digits only (KRW has no minor unit). nullopt for anything else.
std::optional<std::int64_t> ParseWholeAmount(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// --- V2 -------------------------------------------------------------------------------------

Response V2Error(std::string_view type, std::string_view message = {}) {
  return ErrorResponse(Provider::kPortOneV2, type, message);
}

std::string_view V2WebhookType(std::string_view status) {
  if (status == "PAID") return "Transaction.Paid";
  if (status == "READY") return "Transaction.Ready";
  if (status == "PAY_PENDING") return "Transaction.PayPending";
  if (status == "VIRTUAL_ACCOUNT_ISSUED") return "Transaction.VirtualAccountIssued";
  if (status == "FAILED") return "Transaction.Failed";
  if (status == "PARTIAL_CANCELLED") return "Transaction.PartialCancelled";
  if (status == "CANCELLED") return "Transaction.Cancelled";
  return {};
}

}  // namespace

// ===== PortOne V1 =============================================================================

PortOneV1Service::PortOneV1Service(PortOneV1Config config, const Clock& clock, SeededRandom& ids,
                                   TruthLedger& ledger, WebhookSink& webhooks)
    : config_(std::move(config)), clock_(clock), ids_(ids), ledger_(ledger), webhooks_(webhooks) {}

Call PortOneV1Service::Route(const Request& request, std::string_view path) {
  const std::vector<std::string> seg = util::SplitPath(path);
  if (seg.size() == 2 && seg[0] == "users" && seg[1] == "getToken" && request.method == "POST") {
    Call call;
    call.endpoint = "portone_v1.token";
    call.provider = Provider::kPortOneV1;
    call.apply = [this, request] { return IssueToken(request); };
    return call;
  }
  std::string endpoint;
  std::function<Response()> operation;
  if (seg.size() == 2 && seg[0] == "payments" && seg[1] == "cancel" && request.method == "POST") {
    endpoint = "portone_v1.cancel";
    operation = [this, request] { return Cancel(request); };
  } else if (seg.size() == 2 && seg[0] == "payments" && request.method == "GET") {
    endpoint = "portone_v1.get_payment";
    operation = [this, id = seg[1]] { return Get(id); };
  }
  if (!operation) {
    return Call::Answer("portone_v1.unknown", Provider::kPortOneV1,
                        ErrorResponse(Provider::kPortOneV1, "NOT_FOUND", "No such API"));
  }
  if (!Authorized(request)) {
    return Call::Answer(endpoint, Provider::kPortOneV1,
                        ErrorResponse(Provider::kPortOneV1, "UNAUTHORIZED"));
  }
  Call call;
  call.endpoint = endpoint;
  call.provider = Provider::kPortOneV1;
  call.apply = std::move(operation);
  return call;
}

bool PortOneV1Service::Authorized(const Request& request) {
  auto header = request.headers.Get("Authorization");
  if (!header) header = request.headers.Get("X-ImpTokenHeader");
  if (!header) return false;
  std::string_view token = util::Trim(*header);
  if (domain::StartsWithIgnoringCase(token, "Bearer ")) token = util::Trim(token.substr(7));
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(std::string(token));
  if (it == tokens_.end()) return false;
  if (clock_.Now() >= it->second) {
    tokens_.erase(it);
    return false;
  }
  return true;
}

Response PortOneV1Service::IssueToken(const Request& request) {
  const auto params = V1Params(request);
  const auto key = params.find("imp_key");
  const auto secret = params.find("imp_secret");
  if (key == params.end() || secret == params.end() || key->second != config_.imp_key ||
      secret->second != config_.imp_secret) {
    return ErrorResponse(Provider::kPortOneV1, "UNAUTHORIZED",
                         "imp_key or imp_secret is missing or invalid");
  }
  const TimePoint now = clock_.Now();
  const TimePoint expires = now + config_.token_ttl;
  const std::string token = ids_.UpperHex(40);
  {
    std::lock_guard lock(mutex_);
    // Forget expired tokens so that a long run does not accumulate them.
    std::erase_if(tokens_, [&](const auto& entry) { return entry.second <= now; });
    tokens_[token] = expires;
  }
  return V1Ok(
      {{"access_token", token}, {"now", UnixSeconds(now)}, {"expired_at", UnixSeconds(expires)}});
}

json PortOneV1Service::PaymentJson(const PortOneV1Payment& p) const {
  json history = json::array();
  for (const PortOneV1Cancel& c : p.cancels) {
    history.push_back({{"pg_tid", c.pg_tid},
                       {"amount", c.amount},
                       {"cancelled_at", UnixSeconds(c.cancelled_at)},
                       {"reason", c.reason},
                       {"cancellation_id", c.cancellation_id},
                       {"receipt_url", "https://sim.iamport.invalid/receipt/" + c.pg_tid}});
  }
  return {{"imp_uid", p.imp_uid},
          {"merchant_uid", p.merchant_uid},
          {"pay_method", "card"},
          {"channel", "pc"},
          {"pg_provider", "tosspayments"},
          {"pg_tid", p.pg_tid},
          {"escrow", false},
          {"name", p.name},
          {"amount", p.amount},
          {"cancel_amount", p.cancel_amount},
          {"currency", "KRW"},
          {"status", p.status},
          {"started_at", UnixSeconds(p.started_at)},
          {"paid_at", UnixOrZero(p.paid_at)},
          {"failed_at", UnixOrZero(p.failed_at)},
          {"cancelled_at", UnixOrZero(p.cancelled_at)},
          {"fail_reason", p.status == "failed" ? json("card declined") : json(nullptr)},
          {"cancel_reason", p.cancels.empty() ? json(nullptr) : json(p.cancels.back().reason)},
          {"cancel_history", std::move(history)},
          {"cash_receipt_issued", false},
          {"customer_uid", nullptr}};
}

void PortOneV1Service::EmitLocked(const PortOneV1Payment& payment, const std::string& status,
                                  const std::string& cancellation_id) {
  json body = {
      {"imp_uid", payment.imp_uid}, {"merchant_uid", payment.merchant_uid}, {"status", status}};
  if (!cancellation_id.empty()) body["cancellation_id"] = cancellation_id;
  webhooks_.Emit({Provider::kPortOneV1, status, payment.imp_uid, body.dump()});
}

Response PortOneV1Service::Get(const std::string& imp_uid) {
  std::lock_guard lock(mutex_);
  auto it = payments_.find(imp_uid);
  if (it == payments_.end()) return ErrorResponse(Provider::kPortOneV1, "NOT_FOUND");
  return V1Ok(PaymentJson(it->second));
}

Response PortOneV1Service::Cancel(const Request& request) {
  const auto params = V1Params(request);
  auto param = [&](const char* name) -> std::optional<std::string> {
    auto it = params.find(name);
    if (it == params.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  std::optional<std::int64_t> amount;
  if (auto text = param("amount")) {
    amount = ParseWholeAmount(*text);
    if (!amount) return V1Refused("amount must be a whole number of KRW");
  }
  std::optional<std::int64_t> checksum;
  if (auto text = param("checksum")) {
    checksum = ParseWholeAmount(*text);
    if (!checksum) return V1Refused("checksum must be a whole number of KRW");
  }
  const std::string reason = param("reason").value_or("");

  std::lock_guard lock(mutex_);
  PortOneV1Payment* p = nullptr;
  if (auto imp_uid = param("imp_uid")) {
    auto it = payments_.find(*imp_uid);
    if (it != payments_.end()) p = &it->second;
  } else if (auto merchant_uid = param("merchant_uid")) {
    auto it = by_merchant_uid_.find(*merchant_uid);
    if (it != by_merchant_uid_.end()) p = &payments_.at(it->second);
  } else {
    return V1Refused("imp_uid or merchant_uid is required");
  }
  if (p == nullptr) return V1Refused("No payment to cancel");
  if (p->status == "cancelled") return V1Refused("The payment has already been fully cancelled");
  if (p->status != "paid") return V1Refused("Only paid payments can be cancelled");
  const std::int64_t cancellable = p->amount - p->cancel_amount;
  // The checksum states the balance the merchant believes is cancellable: if another cancel
  // happened meanwhile it differs, and nothing is executed.
  if (checksum && *checksum != cancellable) {
    return V1Refused("checksum mismatch: cancellable amount is " + std::to_string(cancellable));
  }
  const std::int64_t cancel = amount.value_or(0) == 0 ? cancellable : *amount;
  if (cancel > cancellable) return V1Refused("amount exceeds the cancellable amount");

  PortOneV1Cancel c;
  c.amount = cancel;
  c.reason = reason;
  c.cancellation_id = "cn_" + ids_.Alphanumeric(20);
  c.pg_tid = p->pg_tid;
  c.cancelled_at = clock_.Now();
  p->cancels.push_back(c);
  p->cancel_amount += cancel;
  // iamport keeps a partially cancelled payment "paid"; only a full cancel changes the status.
  if (p->cancel_amount == p->amount) {
    p->status = "cancelled";
    p->cancelled_at = c.cancelled_at;
  }
  ledger_.RecordCancel({Provider::kPortOneV1, p->imp_uid, p->merchant_uid, cancel,
                        p->amount - p->cancel_amount, "", c.cancellation_id, reason});
  EmitLocked(*p, "cancelled", c.cancellation_id);
  return V1Ok(PaymentJson(*p));
}

domain::Result<json> PortOneV1Service::CreatePayment(const json& body) {
  if (!body.is_object()) return ControlError("INVALID_REQUEST", "body must be a JSON object");
  for (auto e :
       {util::CheckString(body, "merchant_uid", 1, 80, true),
        util::CheckAmount(body, "amount", 1, true), util::CheckString(body, "name", 1, 100, false),
        util::CheckString(body, "imp_uid", 1, 80, false),
        util::CheckString(body, "status", 1, 20, false)}) {
    if (e) return ControlError("INVALID_REQUEST", *e);
  }
  const std::string status = body.value("status", "paid");
  if (status != "paid" && status != "ready" && status != "failed") {
    return ControlError("INVALID_REQUEST", "status must be paid, ready or failed");
  }
  PortOneV1Payment p;
  p.imp_uid = body.value(
      "imp_uid", "imp_" + std::to_string(ids_.UniformInt(100'000'000'000, 999'999'999'999)));
  p.merchant_uid = body.at("merchant_uid").get<std::string>();
  p.name = body.value("name", "sim order");
  p.amount = body.at("amount").get<std::int64_t>();
  p.status = status;
  p.started_at = clock_.Now();
  p.pg_tid = "tsim_" + ids_.Alphanumeric(20);
  if (status == "paid") p.paid_at = p.started_at;
  if (status == "failed") p.failed_at = p.started_at;

  std::lock_guard lock(mutex_);
  if (payments_.contains(p.imp_uid) || by_merchant_uid_.contains(p.merchant_uid)) {
    return ControlError("DUPLICATED_PAYMENT", "imp_uid or merchant_uid already exists");
  }
  // iamport sends no webhook for a failed payment.
  if (status != "failed") EmitLocked(p, status, "");
  json answer = PaymentJson(p);
  by_merchant_uid_[p.merchant_uid] = p.imp_uid;
  creation_order_.push_back(p.imp_uid);
  payments_.emplace(p.imp_uid, std::move(p));
  return answer;
}

domain::Result<json> PortOneV1Service::MarkPaid(std::string_view imp_uid) {
  std::lock_guard lock(mutex_);
  auto it = payments_.find(std::string(imp_uid));
  if (it == payments_.end()) return ControlError("NOT_FOUND", "no such payment");
  if (it->second.status != "ready") return ControlError("NOT_READY", "the payment is not ready");
  it->second.status = "paid";
  it->second.paid_at = clock_.Now();
  EmitLocked(it->second, "paid", "");
  return PaymentJson(it->second);
}

json PortOneV1Service::Snapshot() const {
  std::lock_guard lock(mutex_);
  json payments = json::array();
  for (const auto& id : creation_order_) payments.push_back(PaymentJson(payments_.at(id)));
  return {{"payments", std::move(payments)}};
}

json PortOneV1Service::StatusCounts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::int64_t> counts;
  for (const auto& [id, payment] : payments_) ++counts[payment.status];
  return counts;
}

void PortOneV1Service::Clear() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
  payments_.clear();
  by_merchant_uid_.clear();
  creation_order_.clear();
}

// ===== PortOne V2 =============================================================================

PortOneV2Service::PortOneV2Service(PortOneV2Config config, const Clock& clock, SeededRandom& ids,
                                   TruthLedger& ledger, WebhookSink& webhooks)
    : config_(std::move(config)),
      clock_(clock),
      ids_(ids),
      ledger_(ledger),
      webhooks_(webhooks),
      idempotency_(clock, kV2IdempotencyRetention) {}

Call PortOneV2Service::Route(const Request& request, std::string_view path) {
  const std::vector<std::string> seg = util::SplitPath(path);
  const std::string body = request.body;
  std::string endpoint;
  std::function<Response(const std::string&)> operation;
  if (seg.size() == 2 && seg[0] == "payments" && request.method == "GET") {
    endpoint = "portone_v2.get_payment";
    operation = [this, id = seg[1]](const std::string&) { return Get(id); };
  } else if (seg.size() == 3 && seg[0] == "payments" && seg[2] == "cancel" &&
             request.method == "POST") {
    endpoint = "portone_v2.cancel";
    operation = [this, id = seg[1], body](const std::string& key) { return Cancel(id, body, key); };
  }
  if (!operation) {
    return Call::Answer("portone_v2.unknown", Provider::kPortOneV2,
                        V2Error("INVALID_REQUEST", "No such API"));
  }

  const auto header = request.headers.Get("Authorization");
  std::string secret;
  if (header && domain::StartsWithIgnoringCase(util::Trim(*header), "PortOne ")) {
    secret = std::string(util::Trim(util::Trim(*header).substr(8)));
  }
  if (secret.empty() || std::find(config_.api_secrets.begin(), config_.api_secrets.end(), secret) ==
                            config_.api_secrets.end()) {
    return Call::Answer(endpoint, Provider::kPortOneV2, V2Error("UNAUTHORIZED"));
  }

  Call call;
  call.endpoint = endpoint;
  call.provider = Provider::kPortOneV2;
  if (auto key = request.headers.Get("Idempotency-Key"); key && request.method == "POST") {
    // A structured-field string: 16-256 printable ASCII characters inside double quotes.
    const std::string_view raw = util::Trim(*key);
    const bool quoted = raw.size() >= 2 && raw.front() == '"' && raw.back() == '"';
    const std::string_view inner = quoted ? raw.substr(1, raw.size() - 2) : raw;
    const bool printable = std::all_of(inner.begin(), inner.end(), [](char c) {
      return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
    });
    if (!quoted || inner.size() < 16 || inner.size() > 256 || !printable) {
      return Call::Answer(endpoint, Provider::kPortOneV2,
                          V2Error("INVALID_REQUEST",
                                  "Idempotency-Key must be a quoted string of 16-256 ASCII "
                                  "characters"));
    }
    call.idempotency = &idempotency_;
    call.idempotency_key = std::string(inner);
    call.idempotency_scope =
        secret + '\n' + request.method + '\n' + request.target + '\n' + call.idempotency_key;
  }
  call.apply = [operation, key = call.idempotency_key] { return operation(key); };
  return call;
}

json PortOneV2Service::CancellationJson(const PortOneV2Cancellation& c) const {
  return {{"status", "SUCCEEDED"},
          {"id", c.id},
          {"pgCancellationId", c.pg_cancellation_id},
          {"totalAmount", c.total_amount},
          {"taxFreeAmount", c.tax_free_amount},
          {"vatAmount", util::VatOf(c.total_amount - c.tax_free_amount)},
          {"reason", c.reason},
          {"cancelledAt", FormatUtcMillis(c.cancelled_at)},
          {"requestedAt", FormatUtcMillis(c.cancelled_at)},
          {"trigger", "API"}};
}

json PortOneV2Service::PaymentJson(const PortOneV2Payment& p) const {
  const std::int64_t vat = util::VatOf(p.total - p.tax_free);
  const bool paid = p.paid_at.has_value();
  json j = {{"status", p.status},
            {"id", p.id},
            {"transactionId", p.transaction_id},
            {"merchantId", "merchant-sim"},
            {"storeId", config_.store_id},
            {"version", "V2"},
            {"channel",
             {{"type", "TEST"},
              {"id", "channel-sim"},
              {"key", "channel-key-sim"},
              {"name", "sim"},
              {"pgProvider", "TOSSPAYMENTS"},
              {"pgMerchantId", "tsim"}}},
            {"method", {{"type", "PaymentMethodCard"}}},
            {"orderName", p.order_name},
            {"currency", "KRW"},
            {"amount",
             {{"total", p.total},
              {"taxFree", p.tax_free},
              {"vat", vat},
              {"supply", p.total - p.tax_free - vat},
              {"discount", 0},
              {"paid", paid ? p.total : 0},
              {"cancelled", p.cancelled},
              {"cancelledTaxFree", 0}}},
            {"customer", json::object()},
            {"isCulturalExpense", false},
            {"requestedAt", FormatUtcMillis(p.requested_at)},
            {"updatedAt", FormatUtcMillis(p.status_changed_at)},
            {"statusChangedAt", FormatUtcMillis(p.status_changed_at)}};
  if (paid) {
    j["paidAt"] = FormatUtcMillis(*p.paid_at);
    j["pgTxId"] = "tsim_" + p.transaction_id.substr(0, 12);
  }
  if (!p.cancellations.empty()) {
    json cancellations = json::array();
    for (const auto& c : p.cancellations) cancellations.push_back(CancellationJson(c));
    j["cancellations"] = std::move(cancellations);
  }
  if (p.status == "CANCELLED") j["cancelledAt"] = FormatUtcMillis(p.status_changed_at);
  if (p.status == "FAILED") {
    j["failedAt"] = FormatUtcMillis(p.status_changed_at);
    j["failure"] = {{"reason", "card declined"},
                    {"pgCode", "REJECT_CARD_COMPANY"},
                    {"pgMessage", "card declined"}};
  }
  return j;
}

void PortOneV2Service::EmitLocked(const PortOneV2Payment& payment, const std::string& type,
                                  const std::string& cancellation_id) {
  json data = {{"storeId", config_.store_id},
               {"paymentId", payment.id},
               {"transactionId", payment.transaction_id}};
  if (!cancellation_id.empty()) data["cancellationId"] = cancellation_id;
  const json body = {
      {"type", type}, {"timestamp", FormatUtcMillis(clock_.Now())}, {"data", std::move(data)}};
  webhooks_.Emit({Provider::kPortOneV2, type, payment.id, body.dump()});
}

Response PortOneV2Service::Get(const std::string& payment_id) {
  std::lock_guard lock(mutex_);
  auto it = payments_.find(payment_id);
  if (it == payments_.end()) return V2Error("PAYMENT_NOT_FOUND");
  return JsonResponse(200, PaymentJson(it->second).dump());
}

Response PortOneV2Service::Cancel(const std::string& payment_id, const std::string& raw,
                                  const std::string& key) {
  auto body = util::ParseObject(raw);
  if (!body) return V2Error("INVALID_REQUEST", "The body must be a JSON object");
  for (auto e : {util::CheckString(*body, "reason", 1, 200, true),
                 util::CheckAmount(*body, "amount", 1, false),
                 util::CheckAmount(*body, "taxFreeAmount", 0, false),
                 util::CheckAmount(*body, "currentCancellableAmount", 0, false),
                 util::CheckString(*body, "storeId", 1, 100, false)}) {
    if (e) return V2Error("INVALID_REQUEST", *e);
  }
  auto optional_amount = [&](const char* name) -> std::optional<std::int64_t> {
    if (!body->contains(name) || body->at(name).is_null()) return std::nullopt;
    return body->at(name).get<std::int64_t>();
  };
  const auto requested = optional_amount("amount");
  const auto expected = optional_amount("currentCancellableAmount");
  const std::int64_t tax_free = optional_amount("taxFreeAmount").value_or(0);
  const std::string reason = body->at("reason").get<std::string>();

  std::lock_guard lock(mutex_);
  auto it = payments_.find(payment_id);
  if (it == payments_.end()) return V2Error("PAYMENT_NOT_FOUND");
  PortOneV2Payment& p = it->second;
  if (p.status == "CANCELLED") return V2Error("PAYMENT_ALREADY_CANCELLED");
  if (p.status != "PAID" && p.status != "PARTIAL_CANCELLED") return V2Error("PAYMENT_NOT_PAID");
  const std::int64_t cancellable = p.total - p.cancelled;
  if (expected && *expected != cancellable) {
    return V2Error("CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN");
  }
  const std::int64_t amount = requested.value_or(cancellable);
  if (amount > cancellable) return V2Error("CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT");
  if (tax_free > amount)
    return V2Error("CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT");

  PortOneV2Cancellation c;
  c.id = "cancel-" + ids_.Alphanumeric(20);
  c.pg_cancellation_id = ids_.UpperHex(24);
  c.total_amount = amount;
  c.tax_free_amount = tax_free;
  c.reason = reason;
  c.cancelled_at = clock_.Now();
  p.cancellations.push_back(c);
  p.cancelled += amount;
  p.status = p.cancelled == p.total ? "CANCELLED" : "PARTIAL_CANCELLED";
  p.status_changed_at = c.cancelled_at;
  ledger_.RecordCancel(
      {Provider::kPortOneV2, p.id, p.id, amount, p.total - p.cancelled, key, c.id, reason});
  EmitLocked(p, std::string(V2WebhookType(p.status)), c.id);
  return JsonResponse(200, json{{"cancellation", CancellationJson(c)}}.dump());
}

domain::Result<json> PortOneV2Service::CreatePayment(const json& body) {
  if (!body.is_object()) return ControlError("INVALID_REQUEST", "body must be a JSON object");
  for (auto e : {util::CheckString(body, "paymentId", 1, 200, true),
                 util::CheckAmount(body, "amount", 1, true),
                 util::CheckString(body, "orderName", 1, 100, false),
                 util::CheckAmount(body, "taxFreeAmount", 0, false),
                 util::CheckString(body, "status", 1, 30, false)}) {
    if (e) return ControlError("INVALID_REQUEST", *e);
  }
  const std::string status = body.value("status", "PAID");
  if (status != "PAID" && status != "READY" && status != "PAY_PENDING" &&
      status != "VIRTUAL_ACCOUNT_ISSUED" && status != "FAILED") {
    return ControlError(
        "INVALID_REQUEST",
        "status must be PAID, READY, PAY_PENDING, VIRTUAL_ACCOUNT_ISSUED or FAILED");
  }
  PortOneV2Payment p;
  p.id = body.at("paymentId").get<std::string>();
  p.transaction_id = ids_.UpperHex(8) + "-" + ids_.UpperHex(4) + "-" + ids_.UpperHex(12);
  p.status = status;
  p.order_name = body.value("orderName", "sim order");
  p.total = body.at("amount").get<std::int64_t>();
  p.tax_free = body.value("taxFreeAmount", std::int64_t{0});
  if (p.tax_free > p.total) return ControlError("INVALID_REQUEST", "taxFreeAmount exceeds amount");
  p.requested_at = p.status_changed_at = clock_.Now();
  if (status == "PAID") p.paid_at = p.requested_at;

  std::lock_guard lock(mutex_);
  if (payments_.contains(p.id)) return ControlError("DUPLICATED_PAYMENT", "paymentId exists");
  EmitLocked(p, std::string(V2WebhookType(status)), "");
  json answer = PaymentJson(p);
  creation_order_.push_back(p.id);
  payments_.emplace(p.id, std::move(p));
  return answer;
}

domain::Result<json> PortOneV2Service::MarkPaid(std::string_view payment_id) {
  std::lock_guard lock(mutex_);
  auto it = payments_.find(std::string(payment_id));
  if (it == payments_.end()) return ControlError("PAYMENT_NOT_FOUND", "no such payment");
  PortOneV2Payment& p = it->second;
  if (p.status != "READY" && p.status != "PAY_PENDING" && p.status != "VIRTUAL_ACCOUNT_ISSUED") {
    return ControlError("PAYMENT_NOT_PENDING", "the payment is " + p.status);
  }
  p.status = "PAID";
  p.paid_at = p.status_changed_at = clock_.Now();
  EmitLocked(p, "Transaction.Paid", "");
  return PaymentJson(p);
}

json PortOneV2Service::Snapshot() const {
  std::lock_guard lock(mutex_);
  json payments = json::array();
  for (const auto& id : creation_order_) payments.push_back(PaymentJson(payments_.at(id)));
  return {{"payments", std::move(payments)}};
}

json PortOneV2Service::StatusCounts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::int64_t> counts;
  for (const auto& [id, payment] : payments_) ++counts[payment.status];
  return counts;
}

void PortOneV2Service::Clear() {
  std::lock_guard lock(mutex_);
  payments_.clear();
  creation_order_.clear();
  idempotency_.Clear();
}

}  // namespace paypipe::sim
