#pragma once

// Blocking clients of the PG APIs the payment stages call: Toss (confirm, look-up by paymentKey
// and by orderId), PortOne V2 (look-up) and PortOne V1 (token + look-up). Every call returns a
// PgReply that says how far it got and what came back, whatever happened, so that the caller can
// record it (payment_attempts) before deciding.
//
// Thread safety: none (one http_client::Client underneath). Make one per call or per thread.
// Never call from inside a database transaction.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "paypipe/domain/money.hpp"
#include "paypipe/domain/pg_mapping.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/http_client/pool.hpp"

namespace paypipe::pg {

struct PgSettings {
  std::string toss_api_base = "https://api.tosspayments.com";
  std::string toss_secret_key;  // empty: Toss calls fail with PG_NOT_CONFIGURED
  std::string portone_api_base = "https://api.portone.io";
  std::string portone_api_secret;
  std::string portone_v1_api_base = "https://api.iamport.kr";
  std::string portone_imp_key;
  std::string portone_imp_secret;
  // Each call's limit: well below the AMQP heartbeat, which is not serviced during the call.
  std::chrono::milliseconds timeout{10'000};
};

// payment_attempts.kind
enum class CallKind { kConfirm, kLookup };
[[nodiscard]] const char* ToString(CallKind kind);

struct PgRequest {
  CallKind kind = CallKind::kLookup;
  std::string method;
  std::string endpoint;  // path without host or secrets
  std::string body;      // no secrets
  std::string idempotency_key;
};

// One call's result as it happened.
struct PgReply {
  domain::PgProvider provider = domain::PgProvider::kToss;
  PgRequest request;
  domain::CallDelivery delivery = domain::CallDelivery::kNotSent;
  std::optional<int> http_status;
  std::string response;    // body as received (empty without a response)
  std::string error_code;  // transport failure code (http_client), empty when answered
  std::string error_message;
  std::chrono::milliseconds latency{0};

  [[nodiscard]] bool Succeeded() const {
    return delivery == domain::CallDelivery::kResponded && http_status && *http_status >= 200 &&
           *http_status < 300;
  }
};

class PgClient {
 public:
  explicit PgClient(PgSettings settings);

  [[nodiscard]] PgReply TossConfirm(const std::string& payment_key, const std::string& order_id,
                                    domain::Money amount, const std::string& idempotency_key);
  [[nodiscard]] PgReply TossLookup(const std::string& payment_key);
  [[nodiscard]] PgReply TossLookupByOrder(const std::string& order_id);
  [[nodiscard]] PgReply PortOneV2Lookup(const std::string& payment_id);
  // Gets a token first; a failed token call is returned as the reply.
  [[nodiscard]] PgReply PortOneV1Lookup(const std::string& imp_uid);

 private:
  [[nodiscard]] PgReply Call(domain::PgProvider provider, PgRequest request,
                             const std::string& base, infra::http::Headers headers);

  PgSettings settings_;
  infra::http_client::Client http_;
};

// PG clients kept for reuse from any thread (one call at a time each) over kept-alive connections.
class PgClientPool : public infra::http_client::Pool<PgClient> {
 public:
  explicit PgClientPool(PgSettings settings)
      : Pool([settings = std::move(settings)] { return std::make_unique<PgClient>(settings); }) {}
};

}  // namespace paypipe::pg
