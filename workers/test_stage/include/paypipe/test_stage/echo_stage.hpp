#pragma once

#include <string_view>
#include <vector>

#include "paypipe/runtime/stage.hpp"

namespace paypipe::test_stage {

inline constexpr std::string_view kEchoStageName = "test-echo";
inline constexpr std::string_view kEchoType = "test.echo";
inline constexpr std::string_view kEchoedType = "test.echoed";
// Routing key (on paypipe.work) of the follow-up messages; tests bind a queue to it.
inline constexpr std::string_view kSinkRoutingKey = "test-echo-sink";
// Error codes the stage returns when the body asks for a failure.
inline constexpr std::string_view kRequestedTransient = "TEST_REQUESTED_TRANSIENT";
inline constexpr std::string_view kRequestedPermanent = "TEST_REQUESTED_PERMANENT";

// The stage's own table. It is not part of migrations/ because production never writes it;
// tests and benchmarks create it next to the migrated schema. No unique key on message_id on
// purpose: a doubled effect shows up as two rows instead of hiding behind a duplicate-key error.
inline constexpr std::string_view kEchoSchema = R"(CREATE TABLE IF NOT EXISTS test_echo_effects (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  message_id  VARCHAR(128) NOT NULL,
  attempt     INT          NOT NULL,
  payload     VARCHAR(255) NOT NULL,
  created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_test_echo_effects_message (message_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";

// test-echo: one row in test_echo_effects and one test.echoed message per test.echo message.
// Body: {"schema_version": 1, "payload": "<text>", "fail": "transient"|"permanent"|"throw"}
// ("payload" and "fail" optional). Stateless, safe from several threads.
class EchoStage final : public runtime::Stage {
 public:
  [[nodiscard]] std::string_view Name() const override { return kEchoStageName; }
  [[nodiscard]] std::vector<runtime::MessageTypeSpec> AcceptedTypes() const override;
  [[nodiscard]] domain::Result<std::vector<runtime::OutgoingMessage>> Handle(
      const runtime::Envelope& message, runtime::UnitOfWork& work) const override;
  // One multi-row INSERT for the batch's effects.
  [[nodiscard]] domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> HandleBatch(
      std::span<const runtime::Envelope* const> messages,
      runtime::UnitOfWork& work) const override;
};

}  // namespace paypipe::test_stage
