#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/infra/http/message.hpp"
#include "paypipe/sim/call.hpp"
#include "paypipe/sim/ledger.hpp"

namespace paypipe::sim {

// Slack's published limits for incoming-webhook messages.
struct SlackLimits {
  static constexpr std::size_t kTextTruncatedAfter = 40'000;  // longer text is cut, not refused
  static constexpr std::size_t kBlocks = 50;
  static constexpr std::size_t kHeaderText = 150;
  static constexpr std::size_t kSectionText = 3'000;
  static constexpr std::size_t kSectionFields = 10;
  static constexpr std::size_t kFieldText = 2'000;
  static constexpr std::size_t kContextElements = 10;
};

// Slack incoming webhooks: POST /slack/<anything> with a JSON body (or form field `payload`).
// Accepted messages answer 200 `ok` and are recorded in the ledger; invalid ones answer 400
// `invalid_payload` (or `no_text`) and are recorded as rejected. Rate limiting, unknown channel
// and server errors come from the fault plan of endpoint "slack.post". Stateless apart from the
// ledger, so thread-safe.
class SlackReceiver {
 public:
  explicit SlackReceiver(TruthLedger& ledger) : ledger_(ledger) {}

  [[nodiscard]] Call Route(const infra::http::Request& request, std::string_view path);

  // The Slack error name for an invalid message, or nullopt when Slack would accept it.
  [[nodiscard]] static std::optional<std::string> Validate(const nlohmann::json& payload);

 private:
  [[nodiscard]] infra::http::Response Accept(const std::string& path,
                                             const infra::http::Request& request);

  TruthLedger& ledger_;
};

}  // namespace paypipe::sim
