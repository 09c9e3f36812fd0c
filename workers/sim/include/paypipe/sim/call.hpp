#pragma once

#include <functional>
#include <optional>
#include <string>

#include "paypipe/infra/http/message.hpp"
#include "paypipe/sim/errors.hpp"
#include "paypipe/sim/idempotency.hpp"

namespace paypipe::sim {

// What a provider service makes of one request before the simulator applies idempotency, fault
// injection and latency. Either `immediate` is set (authentication, routing and header errors
// are answered at once, like the real services do before any processing) or `apply` runs the
// operation and returns its answer.
struct Call {
  std::string endpoint;  // fault-plan name, e.g. "toss.confirm"
  Provider provider = Provider::kToss;
  std::optional<infra::http::Response> immediate;

  IdempotencyStore* idempotency = nullptr;  // null: the request carried no Idempotency-Key
  std::string idempotency_scope;            // what the store matches on
  std::string idempotency_key;              // the raw key, for the ledger

  // Answer this documented error instead of running (e.g. TossPayments-Test-Code).
  std::optional<std::string> forced_error;

  std::function<infra::http::Response()> apply;
  // Called when an injected error is answered instead of applying; lets a service record what
  // the provider would (a card refusal aborts the payment, for example).
  std::function<void(const std::string& code)> on_rejected;

  [[nodiscard]] static Call Answer(std::string endpoint, Provider provider,
                                   infra::http::Response response) {
    Call call;
    call.endpoint = std::move(endpoint);
    call.provider = provider;
    call.immediate = std::move(response);
    return call;
  }
};

}  // namespace paypipe::sim
