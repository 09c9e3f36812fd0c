#include "paypipe/demo/driver.hpp"

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "paypipe/infra/http_client/client.hpp"

namespace paypipe::demo {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// One draw per order and purpose, independent of thread scheduling: the same seed drives the
// same orders.
std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::int64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Counters {
  std::mutex mutex;
  std::map<std::string, std::int64_t> answers;
  std::int64_t transport_errors = 0;
  std::int64_t retried = 0;
};

// One storefront thread: its own HTTP client (keep-alive connections to gateway and sim).
class Storefront {
 public:
  Storefront(const DriveOptions& options, Counters& counters)
      : options_(options), counters_(counters) {}

  void Run(OrderTrace& order, std::uint64_t draw) {
    const json checkout = {{"orderId", order.order_id},
                           {"orderName", "demo order " + order.order_id},
                           {"amount", order.amount},
                           {"partnerId", options_.partner_id},
                           {"customerId", "demo-customer-" + std::to_string(draw % 500)},
                           {"provider", "toss"}};
    order.checkout_status = Gateway("/v1/checkouts", checkout);
    if (order.checkout_status != 201 && order.checkout_status != 200) return;

    // The customer pays in the PG's window: the sim opens an authenticated session.
    const json session = {
        {"orderId", order.order_id}, {"amount", order.amount}, {"orderName", "demo order"}};
    auto opened = Send(options_.sim_url + "/_sim/toss/sessions", session, {});
    Count("POST /_sim/toss/sessions", opened.ok() ? opened->status : 0);
    if (!opened.ok() || opened->status != 201) return;
    const json answer = json::parse(opened->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("paymentKey")) return;
    order.payment_key = answer["paymentKey"].get<std::string>();

    // The success redirect: the storefront asks paypipe to confirm.
    const json confirm = {{"provider", "toss"},
                          {"paymentKey", order.payment_key},
                          {"orderId", order.order_id},
                          {"amount", order.wrong_amount ? order.amount + 1000 : order.amount}};
    order.confirm_sent_unix_us = NowUnixMicros();
    order.confirm_status = Gateway("/v1/payments/confirm", confirm);
    if (order.confirmed_twice) (void)Gateway("/v1/payments/confirm", confirm);
  }

 private:
  domain::Result<infra::http::Response> Send(const std::string& url, const json& body,
                                             const std::string& token) {
    infra::http_client::ClientRequest request;
    request.method = "POST";
    request.url = url;
    request.body = body.dump();
    request.headers.Set("Content-Type", "application/json");
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    request.total_timeout = 15s;
    return client_.Send(request);
  }

  // A gateway call as a careful storefront makes it: a 503 or no answer is sent again (the
  // gateway's answers to a repeated checkout or confirm are idempotent).
  int Gateway(const std::string& path, const json& body) {
    int status = 0;
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(200ms * attempt);
        std::lock_guard lock(counters_.mutex);
        ++counters_.retried;
      }
      auto response = Send(options_.gateway_url + path, body, options_.api_token);
      if (!response.ok()) {
        std::lock_guard lock(counters_.mutex);
        ++counters_.transport_errors;
        continue;
      }
      status = response->status;
      if (status != 503) break;
    }
    Count("POST " + path, status);
    return status;
  }

  void Count(const std::string& route, int status) {
    std::lock_guard lock(counters_.mutex);
    ++counters_.answers[route + " " + std::to_string(status)];
  }

  const DriveOptions& options_;
  Counters& counters_;
  infra::http_client::Client client_;
};

}  // namespace

DriveResult Drive(const DriveOptions& options, std::stop_token stop) {
  const auto started = std::chrono::steady_clock::now();
  DriveResult result;
  result.orders.resize(static_cast<std::size_t>(std::max(options.checkouts, 0)));
  for (std::size_t i = 0; i < result.orders.size(); ++i) {
    OrderTrace& order = result.orders[i];
    const std::uint64_t draw = SplitMix64(options.seed * 1'000'003 + i);
    order.order_id = options.order_prefix + "-" + std::to_string(i + 1);
    order.amount = 1000 + static_cast<std::int64_t>(draw % 4990) * 100;  // 1,000..499,900 KRW
    order.wrong_amount = static_cast<int>(SplitMix64(draw) % 1000) < options.wrong_amount_per_mille;
    order.confirmed_twice =
        static_cast<int>(SplitMix64(draw + 1) % 1000) < options.double_confirm_per_mille;
  }

  Counters counters;
  std::atomic<std::size_t> next{0};
  const auto schedule_start = std::chrono::steady_clock::now();
  std::vector<std::jthread> threads;
  for (int t = 0; t < std::max(options.concurrency, 1); ++t) {
    threads.emplace_back([&] {
      Storefront storefront(options, counters);
      for (std::size_t i = next++; i < result.orders.size() && !stop.stop_requested(); i = next++) {
        if (options.rate_per_second > 0) {
          std::this_thread::sleep_until(
              schedule_start + std::chrono::microseconds(static_cast<std::int64_t>(i) * 1'000'000 /
                                                         options.rate_per_second));
        }
        storefront.Run(result.orders[i], SplitMix64(options.seed * 1'000'003 + i));
      }
    });
  }
  threads.clear();  // joins

  result.answers = std::move(counters.answers);
  result.transport_errors = counters.transport_errors;
  result.retried_requests = counters.retried;
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace paypipe::demo
