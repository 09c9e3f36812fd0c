#pragma once

#include <string>

#include "paypipe/sim/errors.hpp"

namespace paypipe::sim {

// One event a provider sends to the merchant. The body is fixed when the event happens; headers
// (transmission time, retry count, signatures) are made per attempt by the sender.
struct WebhookEvent {
  Provider provider = Provider::kToss;
  std::string event_type;  // "PAYMENT_STATUS_CHANGED", "DEPOSIT_CALLBACK", "Transaction.Paid", ...
  std::string subject;     // the payment it is about, for the ledger
  std::string body;
  std::string content_type = "application/json";
};

// Where services hand events after a state change. Must not block: implementations queue.
class WebhookSink {
 public:
  virtual ~WebhookSink() = default;
  virtual void Emit(WebhookEvent event) = 0;
};

}  // namespace paypipe::sim
