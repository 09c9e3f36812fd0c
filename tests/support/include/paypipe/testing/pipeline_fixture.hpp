#pragma once

// Shared by the end-to-end tests: the pipeline as separate processes — `paypipe sim`, `paypipe
// gateway`, `paypipe worker STAGES` — against a vhost with the production topology and a
// database migrated by the real migrator, the calls a test makes to them as storefront and PG
// (HTTP, the sim's control API), what it reads back (SQL, queue depths, /metrics), and the check
// that the pipeline has come to rest.

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/metrics/text_reader.hpp"
#include "paypipe/testing/process.hpp"
#include "paypipe/testing/runtime_fixture.hpp"

namespace paypipe::testing {

inline constexpr std::string_view kE2eApiToken = "e2e-api-token";
inline constexpr std::string_view kE2eTossKey = "test_sk_e2e";
inline constexpr std::string_view kE2ePartner = "e2e-partner";

// `base` with `overrides` applied: an entry NAME=value replaces base's NAME, or is added.
[[nodiscard]] inline std::vector<std::string> WithEnvironment(
    std::vector<std::string> base, const std::vector<std::string>& overrides) {
  for (const std::string& entry : overrides) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (std::string& existing : base) {
      if (existing.starts_with(name)) {
        existing = entry;
        replaced = true;
      }
    }
    if (!replaced) base.push_back(entry);
  }
  return base;
}

// The amqp:// URL `url` with another host and port (to reach the broker through a relay).
[[nodiscard]] inline std::string WithHostPort(const std::string& url, const std::string& host,
                                              std::uint16_t port) {
  const std::size_t at = url.find('@');
  const std::size_t path = url.find('/', at == std::string::npos ? 7 : at);
  const std::size_t authority = at == std::string::npos ? 7 : at + 1;
  return url.substr(0, authority) + host + ":" + std::to_string(port) +
         (path == std::string::npos ? std::string() : url.substr(path));
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest()
      : amqp_url_(runtime::test::ParseAmqpOrThrow(vhost_.amqp_url())),
        admin_(amqp_url_, runtime::test::FastConnectionOptions()),
        db_(database_.Connect()) {
    runtime::test::ApplySchema(*db_);
    runtime::test::DeclareTopology(admin_, runtime::topology::TopologySpec::Default());
    runtime::test::ExecuteOrThrow(
        *db_, "INSERT INTO partners (partner_id, name, fee_rate_bps, fee_vat_rate_bps) VALUES ('" +
                  std::string(kE2ePartner) + "', 'E2E Partner', 250, 1000)");
  }

  ~PipelineTest() override { StopProcesses(); }

  // SIGTERM to every process, then waits for them (a fixture whose members the processes use,
  // such as a relay, calls it in its own destructor).
  void StopProcesses() {
    for (auto* process : {worker_.get(), sim_.get(), gateway_.get()}) {
      if (process != nullptr) process->Signal(SIGTERM);
    }
    for (auto* process : {worker_.get(), sim_.get(), gateway_.get()}) {
      if (process != nullptr) (void)process->Wait(std::chrono::seconds(10));
    }
  }

  // What every process of the pipeline is started with, then `extra` (which may override).
  [[nodiscard]] std::vector<std::string> Environment(
      const std::vector<std::string>& extra = {}) const {
    return WithEnvironment(
        {"PAYPIPE_AMQP_URL=" + vhost_.amqp_url(), "PAYPIPE_MYSQL_URL=" + database_.url_string(),
         "PAYPIPE_HTTP_ADDR=127.0.0.1:0", "PAYPIPE_API_TOKEN=" + std::string(kE2eApiToken),
         "PAYPIPE_TOSS_SECRET_KEY=" + std::string(kE2eTossKey), "PAYPIPE_SHUTDOWN_GRACE=5s",
         "PAYPIPE_LOG_LEVEL=info"},
        extra);
  }

  // Waits until `process` logged `message` with its port.
  static int AwaitLoggedPort(const PaypipeProcess& process, std::string_view message) {
    std::optional<int> port;
    runtime::test::Eventually([&] { return (port = LoggedPort(process, message)).has_value(); },
                              std::chrono::seconds(15));
    if (!port) throw std::runtime_error("no '" + std::string(message) + "' in:\n" + process.Err());
    return *port;
  }

  void StartGateway(const std::vector<std::string>& extra = {}) {
    gateway_ =
        std::make_unique<PaypipeProcess>(std::vector<std::string>{"gateway"}, Environment(extra));
    gateway_url_ =
        "http://127.0.0.1:" + std::to_string(AwaitLoggedPort(*gateway_, "gateway listening"));
  }

  // `paypipe sim --http-addr 127.0.0.1:0 FLAGS...`.
  void StartSim(const std::vector<std::string>& flags, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"sim", "--http-addr", "127.0.0.1:0"};
    args.insert(args.end(), flags.begin(), flags.end());
    sim_ = std::make_unique<PaypipeProcess>(std::move(args), Environment(extra));
    if (!runtime::test::Eventually(
            [&] { return sim_->Out().find("listening") != std::string::npos; },
            std::chrono::seconds(15))) {
      throw std::runtime_error("the sim did not start:\n" + sim_->Err());
    }
    sim_url_ = nlohmann::json::parse(sim_->Out().substr(0, sim_->Out().find('\n')))["listening"];
  }

  // `paypipe worker STAGES`, against the sim's PG APIs.
  void StartWorker(const std::string& stages, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> environment = {
        "PAYPIPE_TOSS_API_BASE=" + sim_url_ + "/toss",
        "PAYPIPE_PORTONE_API_BASE=" + sim_url_ + "/portone/v2",
        "PAYPIPE_PORTONE_V1_API_BASE=" + sim_url_ + "/portone/v1"};
    environment.insert(environment.end(), extra.begin(), extra.end());
    worker_ = std::make_unique<PaypipeProcess>(std::vector<std::string>{"worker", stages},
                                               Environment(environment));
    worker_url_ = "http://127.0.0.1:" +
                  std::to_string(AwaitLoggedPort(*worker_, "serving health and metrics"));
  }

  // One HTTP call as a client of the pipeline (storefront, PG) on `client` (one per thread);
  // JSON unless `headers` say otherwise.
  static domain::Result<infra::http::Response> Send(infra::http_client::Client& client,
                                                    const std::string& method,
                                                    const std::string& url,
                                                    const std::string& body = {},
                                                    infra::http::Headers headers = {}) {
    infra::http_client::ClientRequest request;
    request.method = method;
    request.url = url;
    request.body = body;
    request.headers = std::move(headers);
    if (!body.empty() && !request.headers.Get("Content-Type")) {
      request.headers.Set("Content-Type", "application/json");
    }
    request.total_timeout = std::chrono::seconds(20);
    request.max_response_bytes = std::size_t{64} << 20;
    return client.Send(request);
  }

  // Send on the test's own client; throws on transport failures.
  infra::http::Response Http(const std::string& method, const std::string& url,
                             const std::string& body = {}, infra::http::Headers headers = {}) {
    auto response = Send(client_, method, url, body, std::move(headers));
    if (!response.ok()) throw std::runtime_error(response.error().ToString());
    return *std::move(response);
  }

  // The headers of a payment API call: JSON and the bearer token.
  static infra::http::Headers ApiHeaders() {
    infra::http::Headers headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("Authorization", "Bearer " + std::string(kE2eApiToken));
    return headers;
  }

  // The payment API of the gateway, with the bearer token.
  infra::http::Response Api(const std::string& method, const std::string& path,
                            const nlohmann::json& body = nullptr) {
    return Http(method, gateway_url_ + path, body.is_null() ? std::string() : body.dump(),
                ApiHeaders());
  }

  // The storefront's calls for one order, as JSON bodies.
  static nlohmann::json CheckoutBody(const std::string& order_id, std::int64_t amount,
                                     const std::string& provider) {
    return {{"orderId", order_id},
            {"orderName", "e2e order " + order_id},
            {"amount", amount},
            {"partnerId", std::string(kE2ePartner)},
            {"customerId", "customer-" + order_id},
            {"provider", provider}};
  }
  static nlohmann::json ConfirmBody(const std::string& order_id, const std::string& payment_key,
                                    std::int64_t amount) {
    return {{"provider", "toss"},
            {"paymentKey", payment_key},
            {"orderId", order_id},
            {"amount", amount}};
  }

  // The customer pays in Toss's window: the sim opens the payment (IN_PROGRESS); its key.
  std::string OpenTossSession(const std::string& order_id, std::int64_t amount) {
    return Sim("POST", "/toss/sessions",
               nlohmann::json{{"orderId", order_id}, {"amount", amount}}.dump())["paymentKey"];
  }

  // Whether paypipe holds the payment in `status` (polled).
  bool AwaitStatus(const std::string& payment_key, const std::string& status) {
    return runtime::test::Eventually(
        [&] {
          return Scalar("SELECT COUNT(*) FROM payments WHERE payment_key = ? AND status = ?",
                        {payment_key, status}) == 1;
        },
        std::chrono::seconds(15));
  }

  // The sim's control API (/_sim/...); a status of 300 or more throws.
  nlohmann::json Sim(const std::string& method, const std::string& path,
                     const std::string& body = {}) {
    const auto response = Http(method, sim_url_ + "/_sim" + path, body);
    if (response.status >= 300) {
      throw std::runtime_error(method + " /_sim" + path + ": " + std::to_string(response.status) +
                               " " + response.body);
    }
    return response.body.empty() ? nlohmann::json() : nlohmann::json::parse(response.body);
  }

  // The sim's Toss API, authenticated with the secret key the pipeline uses.
  infra::http::Response Toss(const std::string& method, const std::string& path,
                             const nlohmann::json& body, const std::string& idempotency_key = {}) {
    infra::http::Headers headers;
    headers.Set("Authorization",
                "Basic " + infra::crypto::Base64Encode(std::string(kE2eTossKey) + ":"));
    if (!idempotency_key.empty()) headers.Set("Idempotency-Key", idempotency_key);
    return Http(method, sim_url_ + "/toss" + path, body.dump(), std::move(headers));
  }

  // A series of `url`'s /metrics (see infra::metrics::SeriesValue).
  double Metric(const std::string& url, std::string_view series) {
    const auto response = Http("GET", url + "/metrics");
    if (response.status != 200) throw std::runtime_error("GET /metrics: " + response.body);
    return infra::metrics::SeriesValue(response.body, series);
  }

  std::int64_t Scalar(const std::string& sql, const infra::db::Params& params = {}) {
    auto rows = db_->Query(sql, params);
    if (!rows.ok()) throw std::runtime_error(rows.error().ToString() + " in " + sql);
    return rows->front().OptionalInt64(0).value_or(0);
  }

  std::uint32_t Ready(const std::string& queue) {
    auto counts = admin_.InspectQueue(queue);
    if (!counts.ok()) throw std::runtime_error(counts.error().ToString());
    return counts->messages;
  }

  // paymentKey -> status of every payment paypipe holds.
  std::map<std::string, std::string> OurPayments() {
    std::map<std::string, std::string> ours;
    auto rows = db_->Query("SELECT payment_key, status FROM payments");
    if (!rows.ok()) throw std::runtime_error(rows.error().ToString());
    for (const auto& row : *rows) ours[row.String(0)] = row.String(1);
    return ours;
  }

  // Nothing left to do: `payments` payments held and every one decided, the outbox published,
  // the PG's webhooks all delivered (dropped ones aside) and each distinct one stored once —
  // plus `other_webhooks` that did not come from the sim —, and the queues of the confirm and
  // webhook-intake stages and their retry tiers empty. Otherwise `busy_` says what still moves.
  bool Settled(std::int64_t payments, std::int64_t other_webhooks = 0) {
    const std::int64_t decided = Scalar(
        "SELECT COUNT(*) FROM payments WHERE status NOT IN ('READY', 'IN_PROGRESS', 'UNKNOWN')");
    busy_ = std::to_string(decided) + " of " + std::to_string(payments) + " payments decided";
    if (decided < payments || Scalar("SELECT COUNT(*) FROM payments") != decided) return false;
    busy_ = "outbox not published";
    if (Scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") > 0) return false;
    const nlohmann::json summary = Sim("GET", "/ledger/summary");
    busy_ = "webhooks pending at the sim";
    if (summary.value("webhooks_pending", 0) > 0) return false;
    const auto topology = runtime::topology::Expand(runtime::topology::TopologySpec::Default());
    for (const auto& queue : topology.queues) {
      const bool ours = queue.name.starts_with("paypipe.confirm") ||
                        queue.name.starts_with("paypipe.webhook-intake");
      busy_ = queue.name + " not empty";
      if (ours && !queue.name.ends_with(".dlq") && Ready(queue.name) > 0) return false;
    }
    std::int64_t distinct_webhooks = other_webhooks;
    const nlohmann::json truth = Sim("GET", "/ledger");
    for (const auto& webhook : truth["webhooks"]) {
      const std::string state = webhook.value("state", "");
      if (state == "dropped") continue;
      busy_ = "webhook " + webhook.value("id", "") + " " + state;
      if (state != "delivered") return false;
      distinct_webhooks += webhook.value("duplicate", false) ? 0 : 1;
    }
    const std::int64_t stored = Scalar("SELECT COUNT(*) FROM webhook_events");
    busy_ = std::to_string(stored) + " webhook_events for " + std::to_string(distinct_webhooks) +
            " distinct webhooks";
    return stored == distinct_webhooks;
  }

  // The end of a process's stderr, to explain a failure.
  static std::string Tail(const PaypipeProcess& process, std::size_t max = 4'000) {
    const std::string err = process.Err();
    return err.size() <= max ? err : err.substr(err.size() - max);
  }

  infra::http_client::CurlGlobal curl_;
  rabbitmq::ScopedVhost vhost_;
  mysql::ScopedDatabase database_;
  infra::amqp::AmqpUrl amqp_url_;
  infra::amqp::Admin admin_;
  std::unique_ptr<infra::db::Connection> db_;
  infra::http_client::Client client_;
  std::unique_ptr<PaypipeProcess> gateway_;
  std::unique_ptr<PaypipeProcess> sim_;
  std::unique_ptr<PaypipeProcess> worker_;
  std::string gateway_url_;
  std::string sim_url_;
  std::string worker_url_;
  std::string busy_;
};

}  // namespace paypipe::testing
