#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::messages {

// A PortOne V1 (iamport) webhook: `{imp_uid, merchant_uid, status}` (+ `cancellation_id` on
// cancels), sent as JSON or application/x-www-form-urlencoded, unsigned. It proves nothing: the
// payment must be looked up (GET /payments/{imp_uid}) and its amount compared with the order's.
struct PortOneV1Notification {
  std::string imp_uid;
  std::string merchant_uid;  // empty when the sender left it out
  std::string status;        // ready | paid | cancelled | failed, as sent
  std::optional<std::string> cancellation_id;

  friend bool operator==(const PortOneV1Notification&, const PortOneV1Notification&) = default;
};

// True when `content_type` is application/x-www-form-urlencoded (parameters and letter case
// ignored).
[[nodiscard]] bool IsFormContentType(std::string_view content_type);

// Reads the notification from a raw webhook body: form-encoded when the content type says so,
// JSON otherwise. `imp_uid` and `status` are required non-empty strings; every value must be
// UTF-8 without control characters. Refusals are Permanent INVALID_FIELD errors naming the field.
[[nodiscard]] domain::Result<PortOneV1Notification> ParsePortOneV1Notification(
    std::string_view content_type, std::string_view body);

}  // namespace paypipe::messages
