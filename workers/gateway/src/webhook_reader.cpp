#include "paypipe/gateway/webhook_reader.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "paypipe/gateway/requests.hpp"
#include "paypipe/messages/fields.hpp"
#include "paypipe/messages/portone_v1.hpp"

namespace paypipe::gateway {
namespace {

namespace msg = messages;
using infra::http::Request;

constexpr msg::TextRule kCorrelationRule{1, 200, msg::Charset::kVisibleAscii};

WebhookRefusal Refusal(int status, std::string_view code, std::string_view reason,
                       std::string message) {
  return {status, std::string(code), std::string(reason), std::move(message)};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The common part of every accepted webhook: time, sender, kept headers, raw body (moved out of
// the request, which is not used afterwards).
msg::WebhookReceived Received(Request& request, msg::WebhookFormat format,
                              infra::clock::WallTime now) {
  msg::WebhookReceived webhook;
  webhook.format = format;
  webhook.received_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  webhook.remote_address = std::move(request.remote_address);
  webhook.content_type = std::string(request.headers.Get("content-type").value_or(""));
  for (const auto& [name, value] : request.headers.entries()) {
    // The first of repeated headers wins, as Headers::Get does.
    if (msg::IsKeptWebhookHeader(name) && msg::IsValidUtf8(value)) {
      webhook.headers.emplace(Lower(name), value);
    }
  }
  webhook.body = std::move(request.body);
  return webhook;
}

// What a webhook body says about the payment it concerns, read in one pass that checks that the
// whole body is JSON without building it in memory: `top` is the top-level member named
// `top_name` and `nested` the member named `nested_name` of the top-level member "data", each
// kept only when it is a string (else empty). As when the body is parsed into a value, a repeated
// member counts by its last occurrence.
struct BodyFields {
  bool object = false;  // the body is a JSON object
  std::string nested;
  std::string top;
};

class BodyFieldScan final : public nlohmann::json_sax<nlohmann::json> {
 public:
  BodyFieldScan(std::string_view nested_name, std::string_view top_name)
      : nested_name_(nested_name), top_name_(top_name) {}

  BodyFields& fields() { return fields_; }

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool string(string_t& value) override {
    if (target_ != nullptr) *target_ = std::move(value);
    return Value();
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) fields_.object = true;
    if (depth_ == 1) in_data_ = key_is_data_;
    return Open();
  }
  bool start_array(std::size_t) override { return Open(); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    if (depth_ == 1) {
      key_is_data_ = name == "data";
      if (key_is_data_) fields_.nested.clear();  // a later "data" replaces an earlier one
      if (!top_name_.empty() && name == top_name_) Await(fields_.top);
    } else if (depth_ == 2 && in_data_ && name == nested_name_) {
      Await(fields_.nested);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // The next value is the member's: kept if it is a string.
  void Await(std::string& field) {
    field.clear();
    target_ = &field;
  }
  // Any value ends the wait for the member's.
  bool Value() {
    target_ = nullptr;
    return true;
  }
  bool Open() {
    Value();
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    if (depth_ == 1) in_data_ = false;
    return true;
  }

  std::string_view nested_name_;
  std::string_view top_name_;
  BodyFields fields_;
  int depth_ = 0;
  bool key_is_data_ = false;
  bool in_data_ = false;
  std::string* target_ = nullptr;
};

// nullopt when the body is not JSON at all.
std::optional<BodyFields> ScanBody(const std::string& body, std::string_view nested_name,
                                   std::string_view top_name = {}) {
  BodyFieldScan scan(nested_name, top_name);
  if (!nlohmann::json::sax_parse(body, &scan)) return std::nullopt;
  return std::move(scan.fields());
}

// `text` if it is fit to be a correlation id, else empty.
std::string Correlation(std::string text) {
  return msg::CheckText("correlation", text, kCorrelationRule).ok() ? std::move(text)
                                                                    : std::string();
}

std::optional<WebhookRefusal> CheckEncoding(const Request& request) {
  if (msg::IsValidUtf8(request.body)) return std::nullopt;
  return Refusal(400, kInvalidEncoding, "invalid_encoding", "the body is not valid UTF-8");
}

}  // namespace

WebhookVerdict WebhookReader::ReadToss(Request request, infra::clock::WallTime now) const {
  if (auto refused = CheckEncoding(request)) return *refused;
  auto fields = ScanBody(request.body, "orderId", "orderId");
  if (!fields || !fields->object) {
    return Refusal(400, kInvalidJson, "invalid_json", "a Toss webhook body is a JSON object");
  }
  // Payment events carry the order in data.orderId; DEPOSIT_CALLBACK is flat.
  std::string correlation = Correlation(std::move(fields->nested));
  if (correlation.empty()) correlation = Correlation(std::move(fields->top));
  return AcceptedWebhook{Received(request, msg::WebhookFormat::kToss, now), std::move(correlation)};
}

WebhookVerdict WebhookReader::ReadPortOne(Request request, infra::clock::WallTime now) const {
  if (HasStandardWebhookHeaders(request.headers)) {
    if (!portone_verifier_) {
      return Refusal(503, kWebhookSecretNotConfigured, "secret_not_configured",
                     "PortOne V2 webhooks cannot be verified: no webhook secret is configured");
    }
    auto verified = portone_verifier_->Verify(request.headers, request.body, now);
    if (!verified.ok()) {
      return Refusal(401, kInvalidSignature, Lower(verified.error().code),
                     verified.error().message);
    }
    if (auto refused = CheckEncoding(request)) return *refused;
    auto fields = ScanBody(request.body, "paymentId");
    if (!fields || !fields->object) {
      return Refusal(400, kInvalidJson, "invalid_json",
                     "a PortOne V2 webhook body is a JSON object");
    }
    msg::WebhookReceived webhook = Received(request, msg::WebhookFormat::kPortOneV2, now);
    webhook.verification = msg::WebhookVerification::kSignature;
    webhook.webhook_id = std::move(verified->id);
    webhook.webhook_timestamp = verified->timestamp;
    return AcceptedWebhook{std::move(webhook), Correlation(std::move(fields->nested))};
  }

  if (auto refused = CheckEncoding(request)) return *refused;
  const std::string_view content_type = request.headers.Get("content-type").value_or("");
  auto notification = msg::ParsePortOneV1Notification(content_type, request.body);
  if (!notification.ok()) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("type") && body.contains("data")) {
      return Refusal(401, kInvalidSignature, "signature_headers_missing",
                     "a PortOne V2 webhook must carry webhook-id, webhook-timestamp and "
                     "webhook-signature");
    }
    if (body.is_discarded() && !msg::IsFormContentType(content_type)) {
      return Refusal(400, kInvalidJson, "invalid_json",
                     "a PortOne V1 webhook body is JSON or form-encoded");
    }
    return Refusal(400, kInvalidWebhook, "invalid_body", notification.error().message);
  }
  return AcceptedWebhook{Received(request, msg::WebhookFormat::kPortOneV1, now),
                         Correlation(std::move(notification->merchant_uid))};
}

}  // namespace paypipe::gateway
