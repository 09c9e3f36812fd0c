#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "paypipe/runtime/stage.hpp"

namespace paypipe::webhook_intake {

inline constexpr std::string_view kWebhookIntakeStageName = "webhook-intake";

// webhook-intake: consumes webhook.received. Parses the body per provider (webhook_parser.hpp),
// stores it with its headers in webhook_events under a dedupe key unique per provider and kept
// forever, and asks the confirm stage to look the payment up (payment.verify): the body's status
// is never trusted, only passed on as a claim that may spare a look-up that could not reveal it. A
// duplicate webhook changes nothing and emits nothing. Garbled bodies and a Toss deposit callback
// whose secret differs from the payment's are Permanent errors (parking lot). Unknown event types
// are recorded and otherwise ignored. No external calls; stateless.
class WebhookIntakeStage final : public runtime::Stage {
 public:
  [[nodiscard]] std::string_view Name() const override { return kWebhookIntakeStageName; }
  [[nodiscard]] std::vector<runtime::MessageTypeSpec> AcceptedTypes() const override;
  [[nodiscard]] domain::Result<std::vector<runtime::OutgoingMessage>> Handle(
      const runtime::Envelope& message, runtime::UnitOfWork& work) const override;
  // Stores a batch's webhooks with one INSERT (a deposit callback, checked against its payment,
  // on its own); duplicates, of stored events or within the batch, emit nothing.
  [[nodiscard]] domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> HandleBatch(
      std::span<const runtime::Envelope* const> messages, runtime::UnitOfWork& work) const override;
};

}  // namespace paypipe::webhook_intake
