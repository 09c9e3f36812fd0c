#pragma once

// The storefront and its customers for `paypipe demo`: registers checkouts with the gateway,
// has the simulated PG open a payment session for each (what the customer's payment window
// does), and asks the gateway to confirm it, the way a storefront's success redirect does:
// some with a tampered amount, some twice (a double click).

#include <chrono>
#include <cstdint>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

namespace paypipe::demo {

struct DriveOptions {
  std::string gateway_url;  // http://host:port of `paypipe gateway`
  std::string sim_url;      // http://host:port of `paypipe sim` (control API under /_sim)
  std::string api_token;    // PAYPIPE_API_TOKEN of the gateway
  std::string partner_id = "demo-partner";
  std::string order_prefix = "demo";  // order ids are <prefix>-<n>
  int checkouts = 2000;
  int concurrency = 16;  // storefront requests in flight
  // Orders started per second; 0: as fast as the gateway answers (the pipeline then works off a
  // backlog, and latencies include the time spent in it).
  int rate_per_second = 0;
  std::uint64_t seed = 42;
  // Per mille of orders confirmed with another amount than the checkout's (refused, alerted).
  int wrong_amount_per_mille = 20;
  // Per mille of confirms sent twice (the same request: the gateway publishes the same message).
  int double_confirm_per_mille = 50;
};

// What the storefront did for one order and what it was answered (0: no answer).
struct OrderTrace {
  std::string order_id;
  std::string payment_key;  // empty when no payment session was opened
  std::int64_t amount = 0;
  bool wrong_amount = false;
  bool confirmed_twice = false;
  std::int64_t confirm_sent_unix_us = 0;
  int checkout_status = 0;
  int confirm_status = 0;
};

struct DriveResult {
  std::vector<OrderTrace> orders;
  // "POST /v1/checkouts 201" -> count, one entry per route and answer status.
  std::map<std::string, std::int64_t> answers;
  std::int64_t transport_errors = 0;
  std::int64_t retried_requests = 0;  // 503s and transport errors sent again
  std::chrono::milliseconds elapsed{0};
};

// Drives `options.checkouts` orders with `options.concurrency` threads. Blocking; returns early
// (with the orders done so far) when `stop` is requested. Thread safe: touches nothing shared.
[[nodiscard]] DriveResult Drive(const DriveOptions& options, std::stop_token stop);

}  // namespace paypipe::demo
