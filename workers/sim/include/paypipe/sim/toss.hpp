#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http/message.hpp"
#include "paypipe/sim/call.hpp"
#include "paypipe/sim/clock.hpp"
#include "paypipe/sim/idempotency.hpp"
#include "paypipe/sim/ledger.hpp"
#include "paypipe/sim/random.hpp"
#include "paypipe/sim/webhook_event.hpp"

namespace paypipe::sim {

struct TossConfig {
  std::vector<std::string> secret_keys = {"test_sk_sim"};
  // IN_PROGRESS payments not confirmed within this become EXPIRED (Toss: 10 minutes).
  std::chrono::seconds session_ttl{600};
};

struct TossCancel {
  std::int64_t amount = 0;
  std::int64_t tax_free_amount = 0;
  std::int64_t refundable_after = 0;
  std::string reason;
  std::string transaction_key;
  TimePoint canceled_at;
};

struct TossPayment {
  std::string payment_key;
  std::string order_id;
  std::string order_name;
  std::string type = "NORMAL";  // NORMAL, BILLING
  std::string method = "카드";
  std::string status;  // IN_PROGRESS, DONE, CANCELED, PARTIAL_CANCELED, ABORTED, EXPIRED, ...
  std::int64_t total_amount = 0;
  std::int64_t balance_amount = 0;
  std::int64_t tax_free_amount = 0;
  bool partial_cancelable = true;
  TimePoint requested_at;
  std::optional<TimePoint> approved_at;
  std::string last_transaction_key;  // empty: null
  std::string secret;                // virtual accounts only
  std::vector<TossCancel> cancels;
  std::optional<std::pair<std::string, std::string>> failure;  // code, message
  std::string customer_key;
  std::string billing_key;
  // Virtual account.
  std::string account_number;
  std::string bank;
  std::string customer_name;
  TimePoint due_date;
};

// Toss Payments core API v1 as the sim serves it: Basic auth with configured secret keys,
// Idempotency-Key replay, TossPayments-Test-Code, payments, cancels, billing and virtual
// accounts, and PAYMENT_STATUS_CHANGED / DEPOSIT_CALLBACK webhooks on state changes.
// Thread-safe: one mutex over the payment maps, held for a lookup and an update.
class TossService {
 public:
  TossService(TossConfig config, const Clock& clock, SeededRandom& ids, TruthLedger& ledger,
              WebhookSink& webhooks);

  // `path` is the request path below the Toss base, e.g. "/v1/payments/confirm".
  [[nodiscard]] Call Route(const infra::http::Request& request, std::string_view path);

  // Control calls. A storefront customer authenticates with the Toss widget before the merchant
  // confirms; CreateSession stands for that step: {orderId, amount, orderName?, method?,
  // paymentKey?, taxFreeAmount?, partialCancelable?} -> an IN_PROGRESS payment.
  [[nodiscard]] domain::Result<nlohmann::json> CreateSession(const nlohmann::json& body);
  // The customer pays into the virtual account: WAITING_FOR_DEPOSIT -> DONE.
  [[nodiscard]] domain::Result<nlohmann::json> Deposit(std::string_view payment_key);
  // The bank reverses a deposit: DONE -> WAITING_FOR_DEPOSIT.
  [[nodiscard]] domain::Result<nlohmann::json> DepositError(std::string_view payment_key);

  [[nodiscard]] nlohmann::json Snapshot() const;
  // {"DONE": n, "CANCELED": n, ...}
  [[nodiscard]] nlohmann::json StatusCounts() const;
  void Clear();
  [[nodiscard]] IdempotencyStore& idempotency() { return idempotency_; }

 private:
  [[nodiscard]] std::optional<infra::http::Response> Authenticate(
      const infra::http::Request& request, std::string& secret_key) const;

  [[nodiscard]] infra::http::Response Confirm(const std::string& body, const std::string& key);
  [[nodiscard]] infra::http::Response Get(const std::string& payment_key);
  [[nodiscard]] infra::http::Response GetByOrder(const std::string& order_id);
  [[nodiscard]] infra::http::Response Cancel(const std::string& payment_key,
                                             const std::string& body, const std::string& key);
  [[nodiscard]] infra::http::Response IssueBillingKey(const std::string& body);
  [[nodiscard]] infra::http::Response ChargeBillingKey(const std::string& billing_key,
                                                       const std::string& body,
                                                       const std::string& key);
  [[nodiscard]] infra::http::Response IssueVirtualAccount(const std::string& body);
  void RejectConfirm(const std::string& body, const std::string& code);

  // Callers hold mutex_.
  [[nodiscard]] TossPayment* FindLocked(const std::string& payment_key);
  void ExpireIfDueLocked(TossPayment& payment);
  void InsertLocked(TossPayment payment);
  void EmitStatusChangedLocked(const TossPayment& payment);
  void EmitDepositCallbackLocked(const TossPayment& payment);
  [[nodiscard]] nlohmann::json PaymentJson(const TossPayment& payment) const;
  [[nodiscard]] std::string NewPaymentKey();
  [[nodiscard]] std::string NewTransactionKey();

  const TossConfig config_;
  const Clock& clock_;
  SeededRandom& ids_;
  TruthLedger& ledger_;
  WebhookSink& webhooks_;
  IdempotencyStore idempotency_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, TossPayment> payments_;  // by paymentKey
  std::unordered_map<std::string, std::string> by_order_;  // orderId -> paymentKey
  std::vector<std::string> creation_order_;
  struct BillingKey {
    std::string customer_key;
    TimePoint authenticated_at;
  };
  std::unordered_map<std::string, BillingKey> billing_keys_;
};

}  // namespace paypipe::sim
