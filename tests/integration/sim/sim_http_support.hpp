#pragma once

// Helpers for the sim's integration tests: a sim served on 127.0.0.1:0, a libcurl client to talk
// to it, a webhook receiver whose answers a test scripts, and bounded waits.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/http_server/server.hpp"
#include "paypipe/sim/server.hpp"

namespace paypipe::sim::test {

using namespace std::chrono_literals;
using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kTossKey = "test_sk_integration";
inline constexpr const char* kV2Secret = "portone-integration-secret";
inline constexpr const char* kWebhookSecretOld = "whsec_b2xkLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdA==";
inline constexpr const char* kWebhookSecretNew = "whsec_bmV3LXNlY3JldC1mb3Itcm90YXRpb24tdGVzdA==";

inline std::string TossAuth(const std::string& key = kTossKey) {
  return "Basic " + infra::crypto::Base64Encode(key + ":");
}

// Polls `condition` every millisecond until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A client of the sim. Not thread-safe (one libcurl handle): make one per thread.
class SimClient {
 public:
  explicit SimClient(std::string base) : base_(std::move(base)) {}

  domain::Result<infra::http::Response> Send(const std::string& method, const std::string& path,
                                             const std::string& body = "",
                                             const Headers& headers = {},
                                             std::chrono::milliseconds timeout = 5s) {
    infra::http_client::ClientRequest request;
    request.method = method;
    request.url = base_ + path;
    request.body = body;
    request.total_timeout = timeout;
    for (const auto& [name, value] : headers) request.headers.Add(name, value);
    if (!body.empty() && !request.headers.Get("Content-Type")) {
      request.headers.Add("Content-Type", "application/json");
    }
    return client_.Send(request);
  }

  // A request that must be answered; fails the test otherwise.
  infra::http::Response Must(const std::string& method, const std::string& path,
                             const std::string& body = "", const Headers& headers = {}) {
    auto response = Send(method, path, body, headers);
    EXPECT_TRUE(response.ok()) << method << " " << path << ": "
                               << (response.ok() ? "" : response.error().ToString());
    return response.ok() ? *response : infra::http::Response::Text(599, "");
  }

  infra::http::Response Toss(const std::string& method, const std::string& path,
                             const json& body = nullptr, Headers headers = {}) {
    headers.emplace_back("Authorization", TossAuth());
    return Must(method, "/toss" + path, body.is_null() ? "" : body.dump(), headers);
  }

  json Control(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto response = Must(method, "/_sim" + path, body.is_null() ? "" : body.dump());
    EXPECT_LT(response.status, 300) << path << ": " << response.body;
    return json::parse(response.body, nullptr, false);
  }

  json Ledger() { return Control("GET", "/ledger"); }

  // An IN_PROGRESS Toss payment; returns its paymentKey.
  std::string Session(const std::string& order_id, std::int64_t amount) {
    return Control("POST", "/toss/sessions", {{"orderId", order_id}, {"amount", amount}})
        .at("paymentKey");
  }
  // A DONE Toss payment; returns its paymentKey.
  std::string Paid(const std::string& order_id, std::int64_t amount) {
    const std::string key = Session(order_id, amount);
    auto confirmed = Toss("POST", "/v1/payments/confirm",
                          {{"paymentKey", key}, {"orderId", order_id}, {"amount", amount}});
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    return key;
  }

 private:
  std::string base_;
  infra::http_client::Client client_;
};

// One request a receiver got.
struct Received {
  std::string path;
  infra::http::Headers headers;
  std::string body;
  std::chrono::steady_clock::time_point at;
};

// An HTTP endpoint that plays the merchant: records every webhook and answers from a script
// (the last answer repeats), or never answers while hanging.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    auto server = infra::http_server::Server::Start(
        {}, [this](infra::http::Request request, infra::http_server::Responder responder) {
          std::unique_lock lock(mutex_);
          received_.push_back({std::string(request.path()), request.headers, request.body,
                               std::chrono::steady_clock::now()});
          changed_.notify_all();
          if (hang_) {
            held_.push_back(std::move(responder));
            return;
          }
          int status = 200;
          if (!script_.empty()) {
            status = script_.front();
            if (script_.size() > 1) script_.erase(script_.begin());
          }
          lock.unlock();
          responder.Respond(infra::http::Response::Text(status, status == 200 ? "ok" : "no"));
        });
    EXPECT_TRUE(server.ok());
    server_ = std::move(*server);
  }
  ~WebhookReceiver() {
    {
      std::lock_guard lock(mutex_);
      held_.clear();
    }
    server_->Stop(0ms);
  }

  [[nodiscard]] std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  void Script(std::vector<int> statuses) {
    std::lock_guard lock(mutex_);
    script_ = std::move(statuses);
  }
  void Hang(bool hang) {
    std::lock_guard lock(mutex_);
    hang_ = hang;
  }
  [[nodiscard]] std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Waits until at least `count` requests have arrived.
  bool WaitForCount(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> received_;
  std::vector<int> script_;
  bool hang_ = false;
  std::vector<infra::http_server::Responder> held_;
  std::unique_ptr<infra::http_server::Server> server_;
};

// A sim on 127.0.0.1:<free port> per test, reachable through client().
class SimTest : public ::testing::Test {
 protected:
  static SimOptions DefaultOptions() {
    SimOptions options;
    options.seed = 20240425;
    options.toss.secret_keys = {kTossKey};
    options.portone_v2.api_secrets = {kV2Secret};
    options.webhooks.portone_v2_secrets = {kWebhookSecretOld};
    options.webhooks.time_scale = 0.0005;  // one minute -> 30 ms
    options.webhooks.timeout = 2s;
    return options;
  }

  // `clock`: the sim's time (a FakeClock to place PG events at chosen instants); by default the
  // host's. It must outlive the sim.
  void StartSim(SimOptions options = DefaultOptions(), const Clock* clock = nullptr) {
    SimServerOptions server_options;
    server_options.sim = std::move(options);
    auto server = SimServer::Start(std::move(server_options), clock ? *clock : clock_);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<SimClient>(server_->base_url());
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop(1s);
    server_.reset();
  }

  SimClient& client() { return *client_; }
  SimServer& server() { return *server_; }
  [[nodiscard]] std::string base_url() const { return server_->base_url(); }

 private:
  // libcurl's global set-up precedes every client and thread of the test, and outlives them.
  infra::http_client::CurlGlobal curl_;
  infra::clock::SystemClock clock_;
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<SimClient> client_;
};

}  // namespace paypipe::sim::test
