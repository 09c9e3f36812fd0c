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

struct PortOneV1Config {
  std::string imp_key = "imp_sim_key";
  std::string imp_secret = "imp_sim_secret";
  std::chrono::seconds token_ttl{1800};  // 30 minutes
};

struct PortOneV1Cancel {
  std::int64_t amount = 0;
  std::string reason;
  std::string cancellation_id;
  std::string pg_tid;
  TimePoint cancelled_at;
};

struct PortOneV1Payment {
  std::string imp_uid;
  std::string merchant_uid;
  std::string name;
  std::string status;  // ready, paid, cancelled, failed
  std::int64_t amount = 0;
  std::int64_t cancel_amount = 0;
  TimePoint started_at;
  std::optional<TimePoint> paid_at;
  std::optional<TimePoint> cancelled_at;
  std::optional<TimePoint> failed_at;
  std::string pg_tid;
  std::vector<PortOneV1Cancel> cancels;
};

// PortOne V1 (iamport REST API): token issue, payment lookup and checksum-guarded cancel, with
// `{imp_uid, merchant_uid, status}` webhooks. Business refusals are answered like iamport does:
// HTTP 200 with `code` 1 and nothing executed. Thread-safe.
class PortOneV1Service {
 public:
  PortOneV1Service(PortOneV1Config config, const Clock& clock, SeededRandom& ids,
                   TruthLedger& ledger, WebhookSink& webhooks);

  // `path` is below the V1 base, e.g. "/payments/cancel".
  [[nodiscard]] Call Route(const infra::http::Request& request, std::string_view path);

  // Control: the customer paid in the PortOne window. {merchant_uid, amount, name?, imp_uid?,
  // status?: paid|ready|failed}.
  [[nodiscard]] domain::Result<nlohmann::json> CreatePayment(const nlohmann::json& body);
  // Control: a ready (virtual account) payment is paid.
  [[nodiscard]] domain::Result<nlohmann::json> MarkPaid(std::string_view imp_uid);

  [[nodiscard]] nlohmann::json Snapshot() const;
  [[nodiscard]] nlohmann::json StatusCounts() const;
  void Clear();

 private:
  [[nodiscard]] infra::http::Response IssueToken(const infra::http::Request& request);
  [[nodiscard]] infra::http::Response Get(const std::string& imp_uid);
  [[nodiscard]] infra::http::Response Cancel(const infra::http::Request& request);
  [[nodiscard]] bool Authorized(const infra::http::Request& request);
  [[nodiscard]] nlohmann::json PaymentJson(const PortOneV1Payment& payment) const;
  void EmitLocked(const PortOneV1Payment& payment, const std::string& status,
                  const std::string& cancellation_id);

  const PortOneV1Config config_;
  const Clock& clock_;
  SeededRandom& ids_;
  TruthLedger& ledger_;
  WebhookSink& webhooks_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, TimePoint> tokens_;           // access token -> expiry
  std::unordered_map<std::string, PortOneV1Payment> payments_;  // by imp_uid
  std::unordered_map<std::string, std::string> by_merchant_uid_;
  std::vector<std::string> creation_order_;
};

struct PortOneV2Config {
  std::vector<std::string> api_secrets = {"portone_sim_secret"};
  std::string store_id = "store-00000000-0000-0000-0000-000000000sim";
};

struct PortOneV2Cancellation {
  std::string id;
  std::string pg_cancellation_id;
  std::int64_t total_amount = 0;
  std::int64_t tax_free_amount = 0;
  std::string reason;
  TimePoint cancelled_at;
};

struct PortOneV2Payment {
  std::string id;  // paymentId, chosen by the merchant
  std::string transaction_id;
  std::string status;  // READY, PAY_PENDING, VIRTUAL_ACCOUNT_ISSUED, PAID, PARTIAL_CANCELLED, ...
  std::string order_name;
  std::int64_t total = 0;
  std::int64_t tax_free = 0;
  std::int64_t cancelled = 0;
  TimePoint requested_at;
  TimePoint status_changed_at;
  std::optional<TimePoint> paid_at;
  std::vector<PortOneV2Cancellation> cancellations;
};

// PortOne V2 REST API: payment lookup and cancel with `Authorization: PortOne <secret>`,
// quoted Idempotency-Key, `{type, message}` errors, and Standard Webhooks events. Thread-safe.
class PortOneV2Service {
 public:
  PortOneV2Service(PortOneV2Config config, const Clock& clock, SeededRandom& ids,
                   TruthLedger& ledger, WebhookSink& webhooks);

  [[nodiscard]] Call Route(const infra::http::Request& request, std::string_view path);

  // Control: {paymentId, amount, orderName?, taxFreeAmount?, status?: PAID|READY|PAY_PENDING|
  // VIRTUAL_ACCOUNT_ISSUED|FAILED}.
  [[nodiscard]] domain::Result<nlohmann::json> CreatePayment(const nlohmann::json& body);
  // Control: a pending payment (virtual account, pay pending) is paid.
  [[nodiscard]] domain::Result<nlohmann::json> MarkPaid(std::string_view payment_id);

  [[nodiscard]] nlohmann::json Snapshot() const;
  [[nodiscard]] nlohmann::json StatusCounts() const;
  void Clear();
  [[nodiscard]] const std::string& store_id() const { return config_.store_id; }

 private:
  [[nodiscard]] infra::http::Response Get(const std::string& payment_id);
  [[nodiscard]] infra::http::Response Cancel(const std::string& payment_id, const std::string& body,
                                             const std::string& key);
  [[nodiscard]] nlohmann::json PaymentJson(const PortOneV2Payment& payment) const;
  [[nodiscard]] nlohmann::json CancellationJson(const PortOneV2Cancellation& c) const;
  void EmitLocked(const PortOneV2Payment& payment, const std::string& type,
                  const std::string& cancellation_id);

  const PortOneV2Config config_;
  const Clock& clock_;
  SeededRandom& ids_;
  TruthLedger& ledger_;
  WebhookSink& webhooks_;
  IdempotencyStore idempotency_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, PortOneV2Payment> payments_;
  std::vector<std::string> creation_order_;
};

}  // namespace paypipe::sim
