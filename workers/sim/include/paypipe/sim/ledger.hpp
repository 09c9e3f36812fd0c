#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "paypipe/sim/clock.hpp"
#include "paypipe/sim/errors.hpp"

namespace paypipe::sim {

struct ConfirmRecord {
  std::string payment_key;
  std::string order_id;
  std::int64_t amount = 0;
  std::string idempotency_key;
};

struct CancelRecord {
  Provider provider = Provider::kToss;
  std::string payment_id;  // paymentKey, imp_uid or paymentId
  std::string order_id;
  std::int64_t amount = 0;
  std::int64_t balance_after = 0;
  std::string idempotency_key;  // empty when the request carried none
  std::string cancel_id;        // transactionKey / cancellation id
  std::string reason;
};

struct ChargeRecord {
  std::string billing_key;
  std::string customer_key;
  std::string payment_key;
  std::string order_id;
  std::int64_t amount = 0;
  std::string idempotency_key;
};

struct FaultRecord {
  std::string endpoint;
  std::string kind;  // "error", "timeout_before_apply", "timeout_after_apply", "test_code"
  std::string code;
  bool applied = false;                // the request changed the sim's state
  bool answered = false;               // the client got an answer at all
  std::optional<int> withheld_status;  // what the client would have got
  std::string idempotency_key;
};

struct WebhookDeliveryRecord {
  std::string id;        // one per delivery (a duplicated event has two)
  std::string event_id;  // one per event: webhook-id for Standard Webhooks
  Provider provider = Provider::kToss;
  std::string event_type;
  std::string url;
  std::string subject;  // the payment the event is about
  bool duplicate = false;
  bool out_of_order = false;
};

// The sim's truth: what the PGs actually did and what they sent, for tests to compare paypipe's
// books against. Payments themselves live in the provider states and are added to the snapshot
// by the simulator. Thread-safe.
class TruthLedger {
 public:
  explicit TruthLedger(const Clock& clock) : clock_(clock) {}

  void CountRequest(const std::string& endpoint);
  void RecordReplay(const std::string& endpoint, const std::string& idempotency_key);
  void RecordConflict(const std::string& endpoint, const std::string& idempotency_key);
  void RecordConfirm(const ConfirmRecord& record);
  void RecordCancel(const CancelRecord& record);
  void RecordCharge(const ChargeRecord& record);
  void RecordFault(const FaultRecord& record);

  void RecordWebhookQueued(const WebhookDeliveryRecord& record);
  void RecordWebhookAttempt(const std::string& id, int attempt, std::optional<int> status,
                            const std::string& error, std::int64_t duration_ms);
  // "pending", "delivered", "failed" (retries exhausted), "gone" (410), "dropped", "unrouted".
  void RecordWebhookState(const std::string& id, const std::string& state);

  void RecordSlackAccepted(const std::string& path, const nlohmann::json& payload, bool truncated);
  void RecordSlackRejected(const std::string& path, const std::string& error);

  // {"confirms", "cancels", "billing_charges", "faults", "webhooks", "slack", "requests", ...}
  [[nodiscard]] nlohmann::json Snapshot() const;
  // Counts and sums only: cheap to fetch after a benchmark that recorded millions of entries.
  [[nodiscard]] nlohmann::json Summary() const;
  void Clear();

 private:
  // Entries are kept as plain structs, not JSON trees: a benchmark run records hundreds of
  // thousands of them, and JSON objects cost several times the memory.
  template <typename T>
  struct Stamped {
    T record;
    TimePoint at;
  };
  struct KeyedEvent {
    std::string endpoint;
    std::string idempotency_key;
  };
  struct Attempt {
    int attempt = 0;
    std::optional<int> status;
    std::string error;
    std::int64_t duration_ms = 0;
    TimePoint at;
  };
  struct Delivery {
    WebhookDeliveryRecord record;
    TimePoint queued_at;
    std::string state = "pending";
    std::vector<Attempt> attempts;
  };
  struct SlackMessage {
    std::string path;
    std::string payload;  // serialised JSON
    bool truncated = false;
  };
  struct SlackRejection {
    std::string path;
    std::string error;
  };

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> requests_;
  std::vector<Stamped<KeyedEvent>> replays_;
  std::vector<Stamped<KeyedEvent>> conflicts_;
  std::vector<Stamped<ConfirmRecord>> confirms_;
  std::vector<Stamped<CancelRecord>> cancels_;
  std::vector<Stamped<ChargeRecord>> charges_;
  std::vector<Stamped<FaultRecord>> faults_;
  std::vector<Delivery> webhooks_;
  std::unordered_map<std::string, std::size_t> webhook_index_;
  std::vector<Stamped<SlackMessage>> slack_accepted_;
  std::vector<Stamped<SlackRejection>> slack_rejected_;
};

}  // namespace paypipe::sim
