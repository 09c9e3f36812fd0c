#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/http/message.hpp"

namespace paypipe::gateway {

// Why a Standard Webhooks signature was refused (all Permanent). The gateway answers each with
// 401 INVALID_SIGNATURE and counts it under the lower-cased code.
inline constexpr std::string_view kSignatureHeadersMissing = "SIGNATURE_HEADERS_MISSING";
inline constexpr std::string_view kWebhookIdInvalid = "WEBHOOK_ID_INVALID";
inline constexpr std::string_view kTimestampInvalid = "TIMESTAMP_INVALID";
inline constexpr std::string_view kTimestampOutOfTolerance = "TIMESTAMP_OUT_OF_TOLERANCE";
inline constexpr std::string_view kSignatureMalformed = "SIGNATURE_MALFORMED";  // no v1 entry
inline constexpr std::string_view kSignatureMismatch = "SIGNATURE_MISMATCH";
// A configured secret that is not `whsec_<base64>` (start-up error).
inline constexpr std::string_view kWebhookSecretInvalid = "WEBHOOK_SECRET_INVALID";

inline constexpr std::string_view kWebhookIdHeader = "webhook-id";
inline constexpr std::string_view kWebhookTimestampHeader = "webhook-timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "webhook-signature";

struct VerifiedWebhook {
  std::string id;              // webhook-id: the event's idempotency key, stable across retries
  std::int64_t timestamp = 0;  // webhook-timestamp: unix seconds of this attempt
};

// Verifies Standard Webhooks v1 signatures (PortOne V2): HMAC-SHA256 over
// "{webhook-id}.{webhook-timestamp}.{raw body}", base64, in `webhook-signature` as one or more
// space-separated "v1,<base64>" entries (entries of other versions are skipped). The webhook is
// genuine when any v1 entry matches under any configured secret (two are active while a secret
// is rotated); comparisons take constant time. The timestamp must be within `tolerance` of now,
// in the past or the future, which bounds replays.
//
// Immutable after construction; Verify may run on any number of threads at once.
class StandardWebhookVerifier {
 public:
  static constexpr std::chrono::seconds kDefaultTolerance{300};

  // `configured` holds one or more secrets separated by spaces or commas, each `whsec_<base64>`
  // (the prefix is optional). Refuses an empty list or an entry that is not base64, with
  // WEBHOOK_SECRET_INVALID naming its position, never its value.
  [[nodiscard]] static domain::Result<StandardWebhookVerifier> FromSecrets(
      std::string_view configured, std::chrono::seconds tolerance = kDefaultTolerance);

  // The raw HMAC keys.
  explicit StandardWebhookVerifier(std::vector<std::string> keys,
                                   std::chrono::seconds tolerance = kDefaultTolerance);

  [[nodiscard]] domain::Result<VerifiedWebhook> Verify(std::string_view id,
                                                       std::string_view timestamp,
                                                       std::string_view signatures,
                                                       std::string_view body,
                                                       infra::clock::WallTime now) const;
  // Reads the three headers; a missing one is SIGNATURE_HEADERS_MISSING.
  [[nodiscard]] domain::Result<VerifiedWebhook> Verify(const infra::http::Headers& headers,
                                                       std::string_view body,
                                                       infra::clock::WallTime now) const;

  [[nodiscard]] std::size_t key_count() const { return keys_.size(); }

 private:
  std::vector<std::string> keys_;
  std::chrono::seconds tolerance_;
};

// True when any of the Standard Webhooks headers is present: the request claims to be signed.
[[nodiscard]] bool HasStandardWebhookHeaders(const infra::http::Headers& headers);

}  // namespace paypipe::gateway
