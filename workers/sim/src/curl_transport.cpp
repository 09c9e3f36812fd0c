#include "curl_transport.hpp"

namespace paypipe::sim {

TransportResult CurlWebhookTransport::Post(const std::string& url,
                                           const infra::http::Headers& headers,
                                           const std::string& body, Millis timeout) {
  std::unique_ptr<infra::http_client::Client> client;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!client) {
    infra::http_client::ClientOptions options;
    options.user_agent = "paypipe-sim";
    client = std::make_unique<infra::http_client::Client>(options);
  }
  infra::http_client::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = headers;
  request.body = body;
  request.total_timeout = timeout;
  request.connect_timeout = std::min(timeout, Millis(3'000));
  auto response = client->Send(request);
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(client));
  }
  if (!response.ok()) return {std::nullopt, response.error().code};
  return {response->status, ""};
}

}  // namespace paypipe::sim
