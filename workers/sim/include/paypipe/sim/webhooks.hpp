#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http/message.hpp"
#include "paypipe/sim/clock.hpp"
#include "paypipe/sim/faults.hpp"
#include "paypipe/sim/ledger.hpp"
#include "paypipe/sim/random.hpp"
#include "paypipe/sim/webhook_event.hpp"

namespace paypipe::sim {

// Where each provider's webhooks go and how they are sent.
struct WebhookTargets {
  std::string toss_url;
  std::string portone_v1_url;
  std::string portone_v2_url;
  // Standard Webhooks secrets ("whsec_<base64>"); every one of them signs each V2 delivery, which
  // is how a rotation with two active secrets looks to the receiver.
  std::vector<std::string> portone_v2_secrets;
  bool portone_v1_form = false;  // V1 bodies form-encoded instead of JSON
  // Multiplies every retry delay: 1.0 is the providers' real schedule (Toss retries after 1, 4,
  // 16, ... minutes); 0.001 turns minutes into 60 ms for tests and demos.
  double time_scale = 1.0;
  Millis timeout{10'000};  // Toss gives the receiver 10 s to answer 200

  // Fails when a secret is not "whsec_" + base64 or the time scale is not positive.
  [[nodiscard]] domain::Status Validate() const;
};

// The answer of one delivery attempt: a status, or no status and an error (refused, timeout).
struct TransportResult {
  std::optional<int> status;
  std::string error;
};

// Sends one webhook attempt. Called from the dispatcher's worker threads; must be thread-safe and
// must give up after `timeout`.
class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  [[nodiscard]] virtual TransportResult Post(const std::string& url,
                                             const infra::http::Headers& headers,
                                             const std::string& body, Millis timeout) = 0;
};

// Delay before retry `retry` (1 = the first retry) on the provider's real schedule, before
// scaling; nullopt once the provider gives up. Toss: 1, 4, 16, 64, 256, 1024, 4096 minutes.
// PortOne V1: 5 retries 1 minute apart. PortOne V2: 5 retries, 1, 2, 4, 8, 16 minutes with
// +-25% jitter (PortOne documents "exponential backoff with jitter", not the numbers).
[[nodiscard]] std::optional<Millis> RetryDelay(Provider provider, int retry, SeededRandom& random);

// The Standard Webhooks `webhook-signature` value: "v1,<base64>" per secret, space-separated,
// each an HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed with the base64-decoded secret.
[[nodiscard]] domain::Result<std::string> SignStandardWebhook(
    const std::vector<std::string>& secrets, const std::string& id, std::int64_t timestamp,
    const std::string& body);

// Queues webhook events, applies the webhook faults (drop, duplicate, out of order, delay) and
// delivers them with the providers' retry schedules on its own worker threads, so that a slow or
// dead receiver never holds up the API. Every delivery and attempt goes to the ledger.
// Thread-safe.
class WebhookDispatcher final : public WebhookSink {
 public:
  WebhookDispatcher(const Clock& clock, SeededRandom& ids, FaultInjector& faults,
                    TruthLedger& ledger, WebhookTransport& transport, WebhookTargets targets);
  ~WebhookDispatcher() override;

  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void Emit(WebhookEvent event) override;

  // Worker threads that deliver attempts as they fall due (by the injected clock's wall time).
  void Start(int threads);
  // Stops the workers; attempts under way finish, queued ones stay queued.
  void Stop();
  // Delivers, on the calling thread, every attempt due now. For tests with a fake clock (with no
  // workers started). Returns the number of attempts made.
  std::size_t RunDue();

  [[nodiscard]] domain::Status SetTargets(WebhookTargets targets);
  [[nodiscard]] WebhookTargets targets() const;
  // Forgets every queued delivery.
  void Clear();
  [[nodiscard]] std::size_t pending() const;

 private:
  struct Delivery {
    std::string id;        // ledger id of this delivery
    std::string event_id;  // webhook-id: shared by a duplicate and stable across retries
    Provider provider = Provider::kToss;
    std::string url;
    std::string body;
    std::string content_type;
    int retries = 0;  // attempts made so far
    bool held = false;
  };
  using QueueKey = std::pair<TimePoint, std::uint64_t>;

  void EnqueueLocked(TimePoint due, Delivery delivery);
  void ReleaseHeldLocked(const std::string& url, TimePoint after);
  [[nodiscard]] std::optional<Delivery> PopDueLocked(TimePoint now);
  void Attempt(Delivery delivery);
  void WorkerLoop();
  [[nodiscard]] infra::http::Headers HeadersFor(const Delivery& delivery, TimePoint now,
                                                const WebhookTargets& targets);

  const Clock& clock_;
  SeededRandom& ids_;
  FaultInjector& faults_;
  TruthLedger& ledger_;
  WebhookTransport& transport_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  WebhookTargets targets_;
  std::map<QueueKey, Delivery> queue_;
  std::unordered_map<std::string, std::vector<QueueKey>> held_by_url_;
  std::uint64_t sequence_ = 0;
  std::uint64_t delivery_counter_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace paypipe::sim
