#pragma once

// Fakes for testing the sim without sockets or threads: a scheduler that runs delayed tasks only
// when told to, a webhook transport that records and answers from a script, and a fixture that
// drives Simulator::Handle directly.

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/http/message.hpp"
#include "paypipe/infra/http_server/handler.hpp"
#include "paypipe/sim/scheduler.hpp"
#include "paypipe/sim/simulator.hpp"
#include "paypipe/sim/webhooks.hpp"

namespace paypipe::sim::testing {

class ManualScheduler final : public Scheduler {
 public:
  void RunAfter(std::chrono::milliseconds delay, std::function<void()> task) override {
    std::lock_guard lock(mutex_);
    tasks_.emplace(std::pair{delay, ++sequence_}, std::move(task));
  }
  // Runs every waiting task, shortest delay first (tasks they add run too).
  std::size_t RunAll() {
    std::size_t ran = 0;
    while (true) {
      std::function<void()> task;
      {
        std::lock_guard lock(mutex_);
        if (tasks_.empty()) return ran;
        auto node = tasks_.extract(tasks_.begin());
        task = std::move(node.mapped());
      }
      task();
      ++ran;
    }
  }
  // Runs only the tasks whose delay is at most `limit`.
  std::size_t RunUpTo(std::chrono::milliseconds limit) {
    std::size_t ran = 0;
    while (true) {
      std::function<void()> task;
      {
        std::lock_guard lock(mutex_);
        if (tasks_.empty() || tasks_.begin()->first.first > limit) return ran;
        auto node = tasks_.extract(tasks_.begin());
        task = std::move(node.mapped());
      }
      task();
      ++ran;
    }
  }
  [[nodiscard]] std::size_t waiting() {
    std::lock_guard lock(mutex_);
    return tasks_.size();
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<std::chrono::milliseconds, std::uint64_t>, std::function<void()>> tasks_;
  std::uint64_t sequence_ = 0;
};

struct SentWebhook {
  std::string url;
  infra::http::Headers headers;
  std::string body;
};

class RecordingTransport final : public WebhookTransport {
 public:
  TransportResult Post(const std::string& url, const infra::http::Headers& headers,
                       const std::string& body, Millis) override {
    std::lock_guard lock(mutex_);
    sent_.push_back({url, headers, body});
    if (script_.empty()) return {200, ""};
    TransportResult answer = script_.front();
    if (script_.size() > 1) script_.erase(script_.begin());
    return answer;
  }
  // Answers in this order; the last one repeats.
  void Script(std::vector<TransportResult> answers) {
    std::lock_guard lock(mutex_);
    script_ = std::move(answers);
  }
  [[nodiscard]] std::vector<SentWebhook> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  void Forget() {
    std::lock_guard lock(mutex_);
    sent_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<SentWebhook> sent_;
  std::vector<TransportResult> script_;
};

inline std::string TossAuth(const std::string& secret_key) {
  return "Basic " + infra::crypto::Base64Encode(secret_key + ":");
}

struct Reply {
  std::optional<infra::http::Response> response;
  [[nodiscard]] bool answered() const { return response.has_value(); }
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(response->body); }
};

class SimHarness {
 public:
  static constexpr const char* kTossKey = "test_sk_unit";
  static constexpr const char* kV2Secret = "portone-unit-secret";

  explicit SimHarness(SimOptions options = DefaultOptions()) {
    sim_ = std::make_unique<Simulator>(std::move(options), clock_, scheduler_, transport_);
  }

  [[nodiscard]] static SimOptions DefaultOptions() {
    SimOptions options;
    options.seed = 7;
    options.toss.secret_keys = {kTossKey};
    options.portone_v2.api_secrets = {kV2Secret};
    options.webhooks.toss_url = "http://receiver.test/toss";
    options.webhooks.portone_v1_url = "http://receiver.test/portone-v1";
    options.webhooks.portone_v2_url = "http://receiver.test/portone-v2";
    return options;
  }

  // Sends a request; the reply is filled in whenever the sim answers (maybe only after
  // scheduler().RunAll()).
  std::shared_ptr<Reply> Send(const std::string& method, const std::string& target,
                              const std::string& body = "",
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    infra::http::Request request;
    request.method = method;
    request.target = target;
    request.body = body;
    for (auto& [name, value] : headers) request.headers.Add(name, value);
    if (!body.empty() && !request.headers.Get("Content-Type")) {
      request.headers.Add("Content-Type", "application/json");
    }
    auto reply = std::make_shared<Reply>();
    sim_->Handle(std::move(request), infra::http_server::Responder::WithCallback(
                                         [reply](infra::http::Response response) {
                                           reply->response = std::move(response);
                                         }));
    return reply;
  }

  // A Toss call with valid auth that must be answered at once.
  Reply Toss(const std::string& method, const std::string& path, const std::string& body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Authorization", TossAuth(kTossKey));
    auto reply = Send(method, "/toss" + path, body, std::move(headers));
    return *reply;
  }

  Reply Control(const std::string& method, const std::string& path, const nlohmann::json& body) {
    return *Send(method, "/_sim" + path, body.is_null() ? "" : body.dump());
  }

  // An IN_PROGRESS Toss payment ready to confirm; returns its paymentKey.
  std::string Session(const std::string& order_id, std::int64_t amount) {
    Reply reply = Control("POST", "/toss/sessions", {{"orderId", order_id}, {"amount", amount}});
    return reply.json().at("paymentKey").get<std::string>();
  }

  // A DONE Toss payment; returns its paymentKey.
  std::string Paid(const std::string& order_id, std::int64_t amount) {
    const std::string key = Session(order_id, amount);
    Reply reply =
        Toss("POST", "/v1/payments/confirm",
             nlohmann::json{{"paymentKey", key}, {"orderId", order_id}, {"amount", amount}}.dump());
    return key;
  }

  [[nodiscard]] nlohmann::json Truth() const { return sim_->Truth(); }

  Simulator& sim() { return *sim_; }
  infra::clock::FakeClock& clock() { return clock_; }
  ManualScheduler& scheduler() { return scheduler_; }
  RecordingTransport& transport() { return transport_; }

 private:
  infra::clock::FakeClock clock_;
  ManualScheduler scheduler_;
  RecordingTransport transport_;
  std::unique_ptr<Simulator> sim_;
};

}  // namespace paypipe::sim::testing
