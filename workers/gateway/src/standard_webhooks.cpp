#include "paypipe/gateway/standard_webhooks.hpp"

#include <charconv>

#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/messages/fields.hpp"

namespace paypipe::gateway {
namespace {

using domain::Error;

constexpr messages::TextRule kWebhookIdRule{1, 256, messages::Charset::kVisibleAscii};

Error Refuse(std::string_view code, std::string message) {
  return Error::Permanent(std::string(code), std::move(message));
}

// Splits on any of `separators`, dropping empty pieces.
std::vector<std::string_view> Split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    const std::size_t end = text.find_first_of(separators);
    if (end != 0) pieces.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return pieces;
}

}  // namespace

domain::Result<StandardWebhookVerifier> StandardWebhookVerifier::FromSecrets(
    std::string_view configured, std::chrono::seconds tolerance) {
  const std::vector<std::string_view> entries = Split(configured, " ,\t\n");
  if (entries.empty()) return Refuse(kWebhookSecretInvalid, "no webhook secret is configured");
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string_view entry = entries[i];
    if (entry.starts_with("whsec_")) entry.remove_prefix(6);
    auto key = infra::crypto::Base64Decode(entry);
    if (!key.ok() || key->empty()) {
      return Refuse(kWebhookSecretInvalid, "webhook secret " + std::to_string(i + 1) + " of " +
                                               std::to_string(entries.size()) +
                                               " is not whsec_<base64>");
    }
    keys.push_back(std::move(*key));
  }
  return StandardWebhookVerifier(std::move(keys), tolerance);
}

StandardWebhookVerifier::StandardWebhookVerifier(std::vector<std::string> keys,
                                                 std::chrono::seconds tolerance)
    : keys_(std::move(keys)), tolerance_(tolerance) {}

domain::Result<VerifiedWebhook> StandardWebhookVerifier::Verify(std::string_view id,
                                                                std::string_view timestamp,
                                                                std::string_view signatures,
                                                                std::string_view body,
                                                                infra::clock::WallTime now) const {
  if (id.empty() || timestamp.empty() || signatures.empty()) {
    return Refuse(kSignatureHeadersMissing,
                  "webhook-id, webhook-timestamp and webhook-signature are all required");
  }
  if (!messages::CheckText("webhook-id", id, kWebhookIdRule).ok()) {
    return Refuse(kWebhookIdInvalid, "webhook-id must be 1 to 256 visible ASCII characters");
  }
  std::int64_t seconds = 0;
  const auto [end, ec] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (ec != std::errc{} || end != timestamp.data() + timestamp.size() || timestamp[0] == '-') {
    return Refuse(kTimestampInvalid, "webhook-timestamp must be unix seconds");
  }
  const auto now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t skew = now_seconds >= seconds ? now_seconds - seconds : seconds - now_seconds;
  if (skew > tolerance_.count()) {
    return Refuse(kTimestampOutOfTolerance, "webhook-timestamp is more than " +
                                                std::to_string(tolerance_.count()) +
                                                " s away from now");
  }

  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  std::vector<std::string> expected;
  expected.reserve(keys_.size());
  for (const std::string& key : keys_) {
    expected.push_back(infra::crypto::Base64Encode(infra::crypto::HmacSha256(key, content)));
  }

  bool any_v1 = false;
  bool matched = false;
  for (const std::string_view entry : Split(signatures, " ")) {
    if (!entry.starts_with("v1,")) continue;  // other versions are skipped, not errors
    any_v1 = true;
    const std::string_view given = entry.substr(3);
    for (const std::string& candidate : expected) {
      // No early exit: the time taken does not depend on which entry or key matched.
      matched |= infra::crypto::ConstantTimeEquals(candidate, given);
    }
  }
  if (!any_v1) return Refuse(kSignatureMalformed, "webhook-signature has no v1 signature");
  if (!matched) return Refuse(kSignatureMismatch, "no signature matches a configured secret");
  return VerifiedWebhook{std::string(id), seconds};
}

domain::Result<VerifiedWebhook> StandardWebhookVerifier::Verify(const infra::http::Headers& headers,
                                                                std::string_view body,
                                                                infra::clock::WallTime now) const {
  return Verify(headers.Get(kWebhookIdHeader).value_or(""),
                headers.Get(kWebhookTimestampHeader).value_or(""),
                headers.Get(kWebhookSignatureHeader).value_or(""), body, now);
}

bool HasStandardWebhookHeaders(const infra::http::Headers& headers) {
  return headers.Get(kWebhookIdHeader) || headers.Get(kWebhookTimestampHeader) ||
         headers.Get(kWebhookSignatureHeader);
}

}  // namespace paypipe::gateway
