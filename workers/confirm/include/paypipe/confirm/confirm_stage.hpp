#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "paypipe/infra/metrics/registry.hpp"
#include "paypipe/pg/pg_client.hpp"
#include "paypipe/runtime/stage.hpp"

namespace paypipe::confirm {

inline constexpr std::string_view kConfirmStageName = "confirm";

// Error codes of this stage (Permanent unless said otherwise).
inline constexpr std::string_view kOrderNotFound = "ORDER_NOT_FOUND";
inline constexpr std::string_view kPgNotConfigured = "PG_NOT_CONFIGURED";
inline constexpr std::string_view kPreparedMissing = "PREPARED_MISSING";

// Counter of payment.verify look-ups skipped because the webhook only repeated what we hold.
inline constexpr std::string_view kVerifySkippedMetric = "paypipe_confirm_verify_skipped_total";

// PG calls one consume thread makes at once while preparing a batch.
inline constexpr std::size_t kMaxConcurrentPgCalls = 8;

// confirm: consumes payment.confirm (the storefront's success redirect) and payment.verify (a
// webhook or the reconciler asking to look a payment up).
//
// Prepare (outside the transaction) reads the orders and payments of a whole batch with one query
// each, calls the PG for its messages concurrently (those about one payment in order, at most
// kMaxConcurrentPgCalls at a time, over kept-alive connections) and records every call in
// payment_attempts, the batch's calls in one statement of their own:
// - payment.confirm of a Toss payment: POST /v1/payments/confirm with the Idempotency-Key
//   ConfirmIdempotencyKey(provider, paymentKey). A redelivery (x-attempt > 0) or a payment held
//   as UNKNOWN looks the payment up first and confirms again (same key, which Toss replays) only
//   when the PG still holds it IN_PROGRESS;
// - PortOne payments (already paid when we hear of them) and payment.verify: a look-up;
// - except a payment.verify whose webhook claims the status we already hold from the PG
//   (domain::DecideWebhookVerify says which claims are safe to take): no PG call, no attempt row;
//   Handle then writes nothing. Counted in kVerifySkippedMetric;
// - a confirm whose amount differs from the order's is refused without calling the PG;
// - an unknown outcome (timeout after sending, UNKNOWN_PAYMENT_ERROR) marks the payment UNKNOWN
//   (own statement) and fails Transient: the retry tier's next attempt looks it up;
// - transient failures fail Transient, declines reach Handle, already-processed looks up.
// Handle (in the transaction) applies the PG's answer through the domain rules: payment row,
// order, invoice, subscription, balanced ledger postings (HandleBatch writes the common case of
// a whole batch with one statement per table); an amount mismatch gets no approval
// effects but a payment.cancel (origin AUTO) and an alert.slack. Stateless; thread-safe.
class ConfirmStage final : public runtime::Stage {
 public:
  ConfirmStage(pg::PgSettings settings, infra::metrics::Registry& metrics);

  [[nodiscard]] std::string_view Name() const override { return kConfirmStageName; }
  [[nodiscard]] std::vector<runtime::MessageTypeSpec> AcceptedTypes() const override;
  [[nodiscard]] bool HasPrepare() const override { return true; }
  [[nodiscard]] domain::Result<nlohmann::json> Prepare(
      const runtime::Envelope& message, runtime::PrepareContext& context) const override;
  [[nodiscard]] std::vector<domain::Result<nlohmann::json>> PrepareBatch(
      std::span<const runtime::Envelope* const> messages,
      runtime::PrepareContext& context) const override;
  [[nodiscard]] domain::Result<std::vector<runtime::OutgoingMessage>> Handle(
      const runtime::Envelope& message, runtime::UnitOfWork& work) const override;
  [[nodiscard]] domain::Result<std::vector<std::vector<runtime::OutgoingMessage>>> HandleBatch(
      std::span<const runtime::Envelope* const> messages, runtime::UnitOfWork& work) const override;

 private:
  mutable pg::PgClientPool clients_;
  infra::metrics::Counter& verify_skipped_;
};

}  // namespace paypipe::confirm
