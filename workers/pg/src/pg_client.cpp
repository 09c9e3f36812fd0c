#include "paypipe/pg/pg_client.hpp"

#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/http_client/status.hpp"

namespace paypipe::pg {

namespace http_client = infra::http_client;
using domain::CallDelivery;
using domain::PgProvider;

const char* ToString(CallKind kind) { return kind == CallKind::kConfirm ? "CONFIRM" : "LOOKUP"; }

namespace {

// A request was surely not received when the connection was never made or never completed.
CallDelivery DeliveryOf(const domain::Error& error) {
  if (error.code == http_client::kInvalidRequest) return CallDelivery::kNotSent;
  return http_client::MayHaveBeenApplied(error) ? CallDelivery::kSentNoResponse
                                                : CallDelivery::kNotSent;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

PgReply NotConfigured(PgProvider provider, PgRequest request) {
  PgReply reply;
  reply.provider = provider;
  reply.request = std::move(request);
  reply.error_code = "PG_NOT_CONFIGURED";
  reply.error_message = std::string("no credentials configured for ") + ToString(provider);
  return reply;
}

}  // namespace

PgClient::PgClient(PgSettings settings)
    : settings_(std::move(settings)),
      http_(http_client::ClientOptions{.connect_timeout = std::chrono::milliseconds(3'000),
                                       .total_timeout = settings_.timeout}) {}

PgReply PgClient::Call(PgProvider provider, PgRequest request, const std::string& base,
                       infra::http::Headers headers) {
  PgReply reply;
  reply.provider = provider;
  http_client::ClientRequest http_request;
  http_request.method = request.method;
  http_request.url = base + request.endpoint;
  http_request.body = request.body;
  http_request.headers = std::move(headers);
  if (!request.body.empty()) http_request.headers.Add("Content-Type", "application/json");
  if (!request.idempotency_key.empty()) {
    http_request.headers.Add("Idempotency-Key", provider == PgProvider::kPortOneV2
                                                    ? "\"" + request.idempotency_key + "\""
                                                    : request.idempotency_key);
  }
  const auto started = std::chrono::steady_clock::now();
  auto response = http_.Send(http_request);
  reply.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  reply.request = std::move(request);
  if (!response.ok()) {
    reply.delivery = DeliveryOf(response.error());
    reply.error_code = response.error().code;
    reply.error_message = response.error().message;
    return reply;
  }
  reply.delivery = CallDelivery::kResponded;
  reply.http_status = response->status;
  reply.response = std::move(response->body);
  return reply;
}

namespace {

infra::http::Headers TossHeaders(const std::string& secret_key) {
  infra::http::Headers headers;
  headers.Add("Authorization", "Basic " + infra::crypto::Base64Encode(secret_key + ":"));
  return headers;
}

}  // namespace

PgReply PgClient::TossConfirm(const std::string& payment_key, const std::string& order_id,
                              domain::Money amount, const std::string& idempotency_key) {
  PgRequest request{
      CallKind::kConfirm, "POST", "/v1/payments/confirm",
      nlohmann::json{{"paymentKey", payment_key}, {"orderId", order_id}, {"amount", amount.krw()}}
          .dump(),
      idempotency_key};
  if (settings_.toss_secret_key.empty()) return NotConfigured(PgProvider::kToss, request);
  return Call(PgProvider::kToss, std::move(request), settings_.toss_api_base,
              TossHeaders(settings_.toss_secret_key));
}

PgReply PgClient::TossLookup(const std::string& payment_key) {
  PgRequest request{CallKind::kLookup, "GET", "/v1/payments/" + UrlEncode(payment_key), "", ""};
  if (settings_.toss_secret_key.empty()) return NotConfigured(PgProvider::kToss, request);
  return Call(PgProvider::kToss, std::move(request), settings_.toss_api_base,
              TossHeaders(settings_.toss_secret_key));
}

PgReply PgClient::TossLookupByOrder(const std::string& order_id) {
  PgRequest request{CallKind::kLookup, "GET", "/v1/payments/orders/" + UrlEncode(order_id), "", ""};
  if (settings_.toss_secret_key.empty()) return NotConfigured(PgProvider::kToss, request);
  return Call(PgProvider::kToss, std::move(request), settings_.toss_api_base,
              TossHeaders(settings_.toss_secret_key));
}

PgReply PgClient::PortOneV2Lookup(const std::string& payment_id) {
  PgRequest request{CallKind::kLookup, "GET", "/payments/" + UrlEncode(payment_id), "", ""};
  if (settings_.portone_api_secret.empty()) return NotConfigured(PgProvider::kPortOneV2, request);
  infra::http::Headers headers;
  headers.Add("Authorization", "PortOne " + settings_.portone_api_secret);
  return Call(PgProvider::kPortOneV2, std::move(request), settings_.portone_api_base,
              std::move(headers));
}

PgReply PgClient::PortOneV1Lookup(const std::string& imp_uid) {
  PgRequest token_request{CallKind::kLookup, "POST", "/users/getToken", "", ""};
  if (settings_.portone_imp_key.empty()) {
    return NotConfigured(PgProvider::kPortOneV1, token_request);
  }
  // The token call's body carries the secret: it is sent, never recorded.
  http_client::ClientRequest token_http;
  token_http.method = "POST";
  token_http.url = settings_.portone_v1_api_base + token_request.endpoint;
  token_http.headers.Add("Content-Type", "application/x-www-form-urlencoded");
  token_http.body = "imp_key=" + UrlEncode(settings_.portone_imp_key) +
                    "&imp_secret=" + UrlEncode(settings_.portone_imp_secret);
  const auto started = std::chrono::steady_clock::now();
  auto token_response = http_.Send(token_http);
  PgReply token_reply;
  token_reply.provider = PgProvider::kPortOneV1;
  token_reply.request = token_request;
  token_reply.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (!token_response.ok()) {
    // Getting a token changes nothing at the PG: never an unknown outcome.
    token_reply.delivery = CallDelivery::kNotSent;
    token_reply.error_code = token_response.error().code;
    token_reply.error_message = token_response.error().message;
    return token_reply;
  }
  token_reply.delivery = CallDelivery::kResponded;
  token_reply.http_status = token_response->status;
  const auto token = nlohmann::json::parse(token_response->body, nullptr, false);
  const nlohmann::json* access = nullptr;
  if (token.is_object() && token.contains("response") && token["response"].is_object() &&
      token["response"].contains("access_token") && token["response"]["access_token"].is_string()) {
    access = &token["response"]["access_token"];
  }
  if (!token_reply.Succeeded() || access == nullptr) {
    token_reply.response = token_response->body;
    return token_reply;
  }
  PgRequest request{CallKind::kLookup, "GET", "/payments/" + UrlEncode(imp_uid), "", ""};
  infra::http::Headers headers;
  headers.Add("Authorization", "Bearer " + access->get<std::string>());
  return Call(PgProvider::kPortOneV1, std::move(request), settings_.portone_v1_api_base,
              std::move(headers));
}

}  // namespace paypipe::pg
