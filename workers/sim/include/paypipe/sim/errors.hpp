#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "paypipe/infra/http/message.hpp"

namespace paypipe::sim {

// Whose conventions an answer follows: each service shapes its errors differently.
enum class Provider {
  kToss,       // {"code", "message"} with the documented HTTP status per code
  kPortOneV1,  // {"code": -1|1, "message", "response": null}
  kPortOneV2,  // {"type", "message"}
  kSlack,      // plain-text error name
  kControl,    // the sim's own /_sim API: {"code", "message"}
};

[[nodiscard]] std::string_view ToString(Provider provider);

// The documented HTTP status of `code` for `provider`; nullopt if the sim does not know the code
// (a fault plan must then give the status itself).
[[nodiscard]] std::optional<int> KnownErrorStatus(Provider provider, std::string_view code);

// An error answer in the provider's shape. `message` empty = the documented default text;
// `status` nullopt = the documented status (400 for unknown codes).
[[nodiscard]] infra::http::Response ErrorResponse(Provider provider, std::string_view code,
                                                  std::string_view message = {},
                                                  std::optional<int> status = std::nullopt);

[[nodiscard]] infra::http::Response JsonResponse(int status, const std::string& body);

}  // namespace paypipe::sim
