#pragma once

// Standard Webhooks (PortOne V2) as a sender signs them, for tests that play the PG.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/http/message.hpp"

namespace paypipe::testing {

[[nodiscard]] inline std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How a secret is configured: "whsec_" + the base64 of the raw key.
[[nodiscard]] inline std::string WebhookSecretOf(std::string_view key) {
  return "whsec_" + infra::crypto::Base64Encode(key);
}

// Content-Type, webhook-id, webhook-timestamp and webhook-signature ("v1," + base64 of the
// HMAC-SHA256 of "{id}.{timestamp}.{body}" under the raw `key`).
[[nodiscard]] inline infra::http::Headers StandardWebhookHeaders(const std::string& body,
                                                                 const std::string& id,
                                                                 const std::string& key,
                                                                 std::int64_t timestamp) {
  const std::string content = id + "." + std::to_string(timestamp) + "." + body;
  infra::http::Headers headers;
  headers.Set("Content-Type", "application/json");
  headers.Set("webhook-id", id);
  headers.Set("webhook-timestamp", std::to_string(timestamp));
  headers.Set("webhook-signature",
              "v1," + infra::crypto::Base64Encode(infra::crypto::HmacSha256(key, content)));
  return headers;
}

}  // namespace paypipe::testing
