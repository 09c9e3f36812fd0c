#pragma once

#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/http_client/pool.hpp"
#include "paypipe/sim/webhooks.hpp"

namespace paypipe::sim {

// Webhook delivery over the shared libcurl client. A Client serves one thread at a time, so
// idle clients are pooled and each Post borrows one: keep-alive connections to the receiver are
// reused across attempts.
class CurlWebhookTransport final : public WebhookTransport {
 public:
  [[nodiscard]] TransportResult Post(const std::string& url, const infra::http::Headers& headers,
                                     const std::string& body, Millis timeout) override;

 private:
  infra::http_client::Pool<infra::http_client::Client> clients_{[] {
    infra::http_client::ClientOptions options;
    options.user_agent = "paypipe-sim";
    return std::make_unique<infra::http_client::Client>(options);
  }};
};

}  // namespace paypipe::sim
