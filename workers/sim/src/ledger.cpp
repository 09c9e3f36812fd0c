#include "paypipe/sim/ledger.hpp"

#include "paypipe/sim/time_format.hpp"

namespace paypipe::sim {

using nlohmann::json;

namespace {

json OptionalStatus(std::optional<int> status) { return status ? json(*status) : json(nullptr); }

}  // namespace

void TruthLedger::CountRequest(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  ++requests_[endpoint];
}

void TruthLedger::RecordReplay(const std::string& endpoint, const std::string& idempotency_key) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  replays_.push_back({{endpoint, idempotency_key}, now});
}

void TruthLedger::RecordConflict(const std::string& endpoint, const std::string& idempotency_key) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  conflicts_.push_back({{endpoint, idempotency_key}, now});
}

void TruthLedger::RecordConfirm(const ConfirmRecord& record) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  confirms_.push_back({record, now});
}

void TruthLedger::RecordCancel(const CancelRecord& record) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  cancels_.push_back({record, now});
}

void TruthLedger::RecordCharge(const ChargeRecord& record) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  charges_.push_back({record, now});
}

void TruthLedger::RecordFault(const FaultRecord& record) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  faults_.push_back({record, now});
}

void TruthLedger::RecordWebhookQueued(const WebhookDeliveryRecord& record) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  webhook_index_[record.id] = webhooks_.size();
  webhooks_.push_back({record, now, "pending", {}});
}

void TruthLedger::RecordWebhookAttempt(const std::string& id, int attempt,
                                       std::optional<int> status, const std::string& error,
                                       std::int64_t duration_ms) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  auto it = webhook_index_.find(id);
  if (it == webhook_index_.end()) return;
  webhooks_[it->second].attempts.push_back({attempt, status, error, duration_ms, now});
}

void TruthLedger::RecordWebhookState(const std::string& id, const std::string& state) {
  std::lock_guard lock(mutex_);
  auto it = webhook_index_.find(id);
  if (it == webhook_index_.end()) return;
  webhooks_[it->second].state = state;
}

void TruthLedger::RecordSlackAccepted(const std::string& path, const json& payload,
                                      bool truncated) {
  const TimePoint now = clock_.Now();
  std::string serialised = payload.dump();
  std::lock_guard lock(mutex_);
  slack_accepted_.push_back({{path, std::move(serialised), truncated}, now});
}

void TruthLedger::RecordSlackRejected(const std::string& path, const std::string& error) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  slack_rejected_.push_back({{path, error}, now});
}

json TruthLedger::Snapshot() const {
  std::lock_guard lock(mutex_);
  auto keyed = [](const std::vector<Stamped<KeyedEvent>>& events) {
    json out = json::array();
    for (const auto& e : events) {
      out.push_back({{"endpoint", e.record.endpoint},
                     {"idempotency_key", e.record.idempotency_key},
                     {"at", FormatUtcMillis(e.at)}});
    }
    return out;
  };
  json confirms = json::array();
  for (const auto& [r, at] : confirms_) {
    confirms.push_back({{"payment_key", r.payment_key},
                        {"order_id", r.order_id},
                        {"amount", r.amount},
                        {"idempotency_key", r.idempotency_key},
                        {"at", FormatUtcMillis(at)}});
  }
  json cancels = json::array();
  for (const auto& [r, at] : cancels_) {
    cancels.push_back({{"provider", ToString(r.provider)},
                       {"payment_id", r.payment_id},
                       {"order_id", r.order_id},
                       {"amount", r.amount},
                       {"balance_after", r.balance_after},
                       {"idempotency_key", r.idempotency_key},
                       {"cancel_id", r.cancel_id},
                       {"reason", r.reason},
                       {"at", FormatUtcMillis(at)}});
  }
  json charges = json::array();
  for (const auto& [r, at] : charges_) {
    charges.push_back({{"billing_key", r.billing_key},
                       {"customer_key", r.customer_key},
                       {"payment_key", r.payment_key},
                       {"order_id", r.order_id},
                       {"amount", r.amount},
                       {"idempotency_key", r.idempotency_key},
                       {"at", FormatUtcMillis(at)}});
  }
  json faults = json::array();
  for (const auto& [r, at] : faults_) {
    faults.push_back({{"endpoint", r.endpoint},
                      {"kind", r.kind},
                      {"code", r.code},
                      {"applied", r.applied},
                      {"answered", r.answered},
                      {"withheld_status", OptionalStatus(r.withheld_status)},
                      {"idempotency_key", r.idempotency_key},
                      {"at", FormatUtcMillis(at)}});
  }
  json webhooks = json::array();
  for (const Delivery& d : webhooks_) {
    json attempts = json::array();
    for (const Attempt& a : d.attempts) {
      attempts.push_back({{"attempt", a.attempt},
                          {"status", OptionalStatus(a.status)},
                          {"error", a.error},
                          {"duration_ms", a.duration_ms},
                          {"at", FormatUtcMillis(a.at)}});
    }
    webhooks.push_back({{"id", d.record.id},
                        {"event_id", d.record.event_id},
                        {"provider", ToString(d.record.provider)},
                        {"event_type", d.record.event_type},
                        {"url", d.record.url},
                        {"subject", d.record.subject},
                        {"duplicate", d.record.duplicate},
                        {"out_of_order", d.record.out_of_order},
                        {"state", d.state},
                        {"attempts", std::move(attempts)},
                        {"at", FormatUtcMillis(d.queued_at)}});
  }
  json accepted = json::array();
  for (const auto& [m, at] : slack_accepted_) {
    accepted.push_back({{"path", m.path},
                        {"payload", json::parse(m.payload)},
                        {"truncated", m.truncated},
                        {"at", FormatUtcMillis(at)}});
  }
  json rejected = json::array();
  for (const auto& [m, at] : slack_rejected_) {
    rejected.push_back({{"path", m.path}, {"error", m.error}, {"at", FormatUtcMillis(at)}});
  }
  return {{"requests", requests_},
          {"idempotent_replays", keyed(replays_)},
          {"idempotency_conflicts", keyed(conflicts_)},
          {"confirms", std::move(confirms)},
          {"cancels", std::move(cancels)},
          {"billing_charges", std::move(charges)},
          {"faults", std::move(faults)},
          {"webhooks", std::move(webhooks)},
          {"slack", {{"accepted", std::move(accepted)}, {"rejected", std::move(rejected)}}}};
}

json TruthLedger::Summary() const {
  std::lock_guard lock(mutex_);
  std::int64_t cancelled = 0;
  for (const auto& c : cancels_) cancelled += c.record.amount;
  std::int64_t charged = 0;
  for (const auto& c : charges_) charged += c.record.amount;
  std::map<std::string, std::int64_t> fault_kinds;
  std::int64_t applied_unanswered = 0;
  for (const auto& f : faults_) {
    ++fault_kinds[f.record.kind];
    if (f.record.applied && !f.record.answered) ++applied_unanswered;
  }
  std::map<std::string, std::int64_t> webhook_states;
  std::int64_t attempts = 0;
  for (const Delivery& d : webhooks_) {
    ++webhook_states[d.state];
    attempts += static_cast<std::int64_t>(d.attempts.size());
  }
  return {{"requests", requests_},
          {"idempotent_replays", replays_.size()},
          {"idempotency_conflicts", conflicts_.size()},
          {"confirms", confirms_.size()},
          {"cancels", {{"count", cancels_.size()}, {"amount", cancelled}}},
          {"billing_charges", {{"count", charges_.size()}, {"amount", charged}}},
          {"faults", {{"by_kind", fault_kinds}, {"applied_unanswered", applied_unanswered}}},
          {"webhooks", {{"by_state", webhook_states}, {"attempts", attempts}}},
          {"slack", {{"accepted", slack_accepted_.size()}, {"rejected", slack_rejected_.size()}}}};
}

void TruthLedger::Clear() {
  std::lock_guard lock(mutex_);
  requests_.clear();
  replays_.clear();
  conflicts_.clear();
  confirms_.clear();
  cancels_.clear();
  charges_.clear();
  faults_.clear();
  webhooks_.clear();
  webhook_index_.clear();
  slack_accepted_.clear();
  slack_rejected_.clear();
}

}  // namespace paypipe::sim
