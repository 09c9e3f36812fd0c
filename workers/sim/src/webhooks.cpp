#include "paypipe/sim/webhooks.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "paypipe/domain/percent_encoding.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/sim/time_format.hpp"
#include "util.hpp"

namespace paypipe::sim {
namespace {

using nlohmann::json;

constexpr std::string_view kSecretPrefix = "whsec_";

domain::Result<std::string> SecretKey(const std::string& secret) {
  std::string_view encoded = secret;
  if (encoded.starts_with(kSecretPrefix)) encoded.remove_prefix(kSecretPrefix.size());
  auto key = infra::crypto::Base64Decode(encoded);
  if (!key.ok() || key->empty()) {
    return domain::Error::Permanent("INVALID_WEBHOOK_SECRET",
                                    "webhook secrets must be whsec_ followed by base64");
  }
  return key;
}

std::string FormEncode(const std::string& json_body) {
  const json parsed = json::parse(json_body);
  std::string out;
  for (const auto& [key, value] : parsed.items()) {
    if (!out.empty()) out.push_back('&');
    out += domain::PercentEncode(key) + "=" +
           domain::PercentEncode(value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

bool Succeeded(Provider provider, std::optional<int> status) {
  if (!status) return false;
  // Toss asks for exactly 200; Standard Webhooks and iamport accept any 2xx.
  if (provider == Provider::kToss) return *status == 200;
  return *status >= 200 && *status < 300;
}

}  // namespace

domain::Status WebhookTargets::Validate() const {
  for (const std::string& secret : portone_v2_secrets) {
    auto key = SecretKey(secret);
    if (!key.ok()) return key.error();
  }
  if (!(time_scale > 0)) {
    return domain::Error::Permanent("INVALID_TIME_SCALE", "time_scale must be positive");
  }
  if (timeout <= Millis(0)) {
    return domain::Error::Permanent("INVALID_TIMEOUT", "timeout must be positive");
  }
  return domain::Ok();
}

std::optional<Millis> RetryDelay(Provider provider, int retry, SeededRandom& random) {
  using std::chrono::minutes;
  if (retry < 1) return std::nullopt;
  switch (provider) {
    case Provider::kToss: {
      if (retry > 7) return std::nullopt;
      return Millis(minutes(1LL << (2 * (retry - 1))));  // 4^(retry-1) minutes
    }
    case Provider::kPortOneV1:
      if (retry > 5) return std::nullopt;
      return Millis(minutes(1));
    case Provider::kPortOneV2: {
      if (retry > 5) return std::nullopt;
      const auto base = Millis(minutes(1LL << (retry - 1)));
      const double jitter = 0.75 + 0.5 * random.Uniform01();
      return Millis(static_cast<std::int64_t>(static_cast<double>(base.count()) * jitter));
    }
    case Provider::kSlack:
    case Provider::kControl:
      return std::nullopt;
  }
  return std::nullopt;
}

domain::Result<std::string> SignStandardWebhook(const std::vector<std::string>& secrets,
                                                const std::string& id, std::int64_t timestamp,
                                                const std::string& body) {
  const std::string content = id + "." + std::to_string(timestamp) + "." + body;
  std::string header;
  for (const std::string& secret : secrets) {
    auto key = SecretKey(secret);
    if (!key.ok()) return key.error();
    if (!header.empty()) header.push_back(' ');
    header += "v1," + infra::crypto::Base64Encode(infra::crypto::HmacSha256(*key, content));
  }
  return header;
}

WebhookDispatcher::WebhookDispatcher(const Clock& clock, SeededRandom& ids, FaultInjector& faults,
                                     TruthLedger& ledger, WebhookTransport& transport,
                                     WebhookTargets targets)
    : clock_(clock),
      ids_(ids),
      faults_(faults),
      ledger_(ledger),
      transport_(transport),
      targets_(std::move(targets)) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Emit(WebhookEvent event) {
  const WebhookFaultDecision fault = faults_.DecideWebhook();
  const TimePoint now = clock_.Now();

  std::lock_guard lock(mutex_);
  Delivery delivery;
  delivery.provider = event.provider;
  switch (event.provider) {
    case Provider::kToss:
      delivery.url = targets_.toss_url;
      break;
    case Provider::kPortOneV1:
      delivery.url = targets_.portone_v1_url;
      break;
    case Provider::kPortOneV2:
      delivery.url = targets_.portone_v2_url;
      break;
    case Provider::kSlack:
    case Provider::kControl:
      break;
  }
  delivery.id = "whd_" + std::to_string(++delivery_counter_);
  delivery.event_id = "msg_" + ids_.Alphanumeric(24);
  delivery.body = std::move(event.body);
  delivery.content_type = event.content_type;
  if (event.provider == Provider::kPortOneV1 && targets_.portone_v1_form) {
    delivery.body = FormEncode(delivery.body);
    delivery.content_type = "application/x-www-form-urlencoded";
  }

  WebhookDeliveryRecord record{delivery.id,
                               delivery.event_id,
                               delivery.provider,
                               event.event_type,
                               delivery.url,
                               event.subject,
                               false,
                               fault.out_of_order};
  ledger_.RecordWebhookQueued(record);
  if (delivery.url.empty()) {
    ledger_.RecordWebhookState(delivery.id, "unrouted");
    return;
  }
  if (fault.drop) {
    ledger_.RecordWebhookState(delivery.id, "dropped");
    return;
  }

  TimePoint due = now + fault.delay;
  if (fault.out_of_order) {
    // Held back until the next event to this URL has been queued, or at most reorder_max_hold.
    delivery.held = true;
    due += faults_.plan().webhooks.reorder_max_hold;
  } else {
    ReleaseHeldLocked(delivery.url, due);
  }
  std::optional<Delivery> copy;
  if (fault.duplicate) {
    copy = delivery;
    copy->id = "whd_" + std::to_string(++delivery_counter_);
    copy->held = false;
    record.id = copy->id;
    record.duplicate = true;
    record.out_of_order = false;
    ledger_.RecordWebhookQueued(record);
  }
  EnqueueLocked(due, std::move(delivery));
  if (copy) EnqueueLocked(due, std::move(*copy));
  wake_.notify_all();
}

void WebhookDispatcher::EnqueueLocked(TimePoint due, Delivery delivery) {
  const QueueKey key{due, ++sequence_};
  if (delivery.held) held_by_url_[delivery.url].push_back(key);
  queue_.emplace(key, std::move(delivery));
}

void WebhookDispatcher::ReleaseHeldLocked(const std::string& url, TimePoint after) {
  auto held = held_by_url_.find(url);
  if (held == held_by_url_.end()) return;
  std::vector<QueueKey> keys = std::move(held->second);
  held_by_url_.erase(held);
  TimePoint due = after;
  for (const QueueKey& key : keys) {
    auto node = queue_.extract(key);
    if (node.empty()) continue;
    node.mapped().held = false;
    due += Millis(1);
    node.key() = QueueKey{due, ++sequence_};
    queue_.insert(std::move(node));
  }
}

std::optional<WebhookDispatcher::Delivery> WebhookDispatcher::PopDueLocked(TimePoint now) {
  if (queue_.empty() || queue_.begin()->first.first > now) return std::nullopt;
  auto node = queue_.extract(queue_.begin());
  Delivery delivery = std::move(node.mapped());
  if (delivery.held) {
    auto& keys = held_by_url_[delivery.url];
    std::erase(keys, node.key());
    if (keys.empty()) held_by_url_.erase(delivery.url);
  }
  return delivery;
}

infra::http::Headers WebhookDispatcher::HeadersFor(const Delivery& d, TimePoint now,
                                                   const WebhookTargets& targets) {
  infra::http::Headers headers;
  headers.Set("Content-Type", d.content_type);
  switch (d.provider) {
    case Provider::kToss:
      headers.Set("tosspayments-webhook-transmission-time", FormatKst(now));
      headers.Set("tosspayments-webhook-transmission-retried-count", std::to_string(d.retries));
      // A fresh id per attempt: Toss does not promise it is stable, so receivers must not
      // dedupe on it alone.
      headers.Set("tosspayments-webhook-transmission-id", infra::crypto::UuidV4(ids_));
      break;
    case Provider::kPortOneV2: {
      const std::int64_t timestamp = UnixSeconds(now);
      headers.Set("webhook-id", d.event_id);
      headers.Set("webhook-timestamp", std::to_string(timestamp));
      if (!targets.portone_v2_secrets.empty()) {
        auto signature =
            SignStandardWebhook(targets.portone_v2_secrets, d.event_id, timestamp, d.body);
        if (signature.ok()) headers.Set("webhook-signature", *signature);
      }
      break;
    }
    case Provider::kPortOneV1:
    case Provider::kSlack:
    case Provider::kControl:
      break;
  }
  return headers;
}

void WebhookDispatcher::Attempt(Delivery delivery) {
  const WebhookTargets targets = this->targets();
  const TimePoint now = clock_.Now();
  const infra::http::Headers headers = HeadersFor(delivery, now, targets);
  const auto started = clock_.Monotonic();
  const TransportResult result =
      transport_.Post(delivery.url, headers, delivery.body, targets.timeout);
  const auto elapsed = std::chrono::duration_cast<Millis>(clock_.Monotonic() - started).count();
  ++delivery.retries;
  ledger_.RecordWebhookAttempt(delivery.id, delivery.retries, result.status, result.error, elapsed);
  if (Succeeded(delivery.provider, result.status)) {
    ledger_.RecordWebhookState(delivery.id, "delivered");
    return;
  }
  // Standard Webhooks: 410 Gone means the endpoint is to be disabled, not retried.
  if (delivery.provider == Provider::kPortOneV2 && result.status == 410) {
    ledger_.RecordWebhookState(delivery.id, "gone");
    return;
  }
  const auto delay = RetryDelay(delivery.provider, delivery.retries, ids_);
  if (!delay) {
    ledger_.RecordWebhookState(delivery.id, "failed");
    return;
  }
  const auto scaled = Millis(std::max<std::int64_t>(
      1, std::llround(static_cast<double>(delay->count()) * targets.time_scale)));
  std::lock_guard lock(mutex_);
  EnqueueLocked(clock_.Now() + scaled, std::move(delivery));
  wake_.notify_one();
}

std::size_t WebhookDispatcher::RunDue() {
  std::size_t attempts = 0;
  while (true) {
    std::optional<Delivery> delivery;
    {
      std::lock_guard lock(mutex_);
      delivery = PopDueLocked(clock_.Now());
    }
    if (!delivery) return attempts;
    Attempt(std::move(*delivery));
    ++attempts;
  }
}

void WebhookDispatcher::WorkerLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const TimePoint now = clock_.Now();
    const TimePoint due = queue_.begin()->first.first;
    if (due > now) {
      wake_.wait_for(lock, due - now);
      continue;
    }
    std::optional<Delivery> delivery = PopDueLocked(now);
    lock.unlock();
    Attempt(std::move(*delivery));
    lock.lock();
  }
}

void WebhookDispatcher::Start(int threads) {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void WebhookDispatcher::Stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
  }
  wake_.notify_all();
  for (std::thread& worker : workers) worker.join();
}

domain::Status WebhookDispatcher::SetTargets(WebhookTargets targets) {
  PAYPIPE_RETURN_IF_ERROR(targets.Validate());
  std::lock_guard lock(mutex_);
  targets_ = std::move(targets);
  return domain::Ok();
}

WebhookTargets WebhookDispatcher::targets() const {
  std::lock_guard lock(mutex_);
  return targets_;
}

void WebhookDispatcher::Clear() {
  std::lock_guard lock(mutex_);
  queue_.clear();
  held_by_url_.clear();
}

std::size_t WebhookDispatcher::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace paypipe::sim
