#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "paypipe/infra/http_client/client.hpp"
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
  std::mutex mutex_;
  std::vector<std::unique_ptr<infra::http_client::Client>> idle_;
};

}  // namespace paypipe::sim
