#include "curl_transport.hpp"

namespace paypipe::sim {

TransportResult CurlWebhookTransport::Post(const std::string& url,
                                           const infra::http::Headers& headers,
                                           const std::string& body, Millis timeout) {
  auto client = clients_.Acquire();
  infra::http_client::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = headers;
  request.body = body;
  request.total_timeout = timeout;
  request.connect_timeout = std::min(timeout, Millis(3'000));
  auto response = client->Send(request);
  if (!response.ok()) return {std::nullopt, response.error().code};
  return {response->status, ""};
}

}  // namespace paypipe::sim
