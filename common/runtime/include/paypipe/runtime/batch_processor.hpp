#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <utility>

#include "paypipe/infra/log/logger.hpp"
#include "paypipe/runtime/failure_policy.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/runtime/ports.hpp"
#include "paypipe/runtime/stage.hpp"
#include "paypipe/runtime/stage_stats.hpp"

namespace paypipe::runtime {

// The connections one consume thread uses; replaced by the caller after a connection loss.
struct Ports {
  DeliverySource& source;
  Publisher& publisher;
  MessageStore& store;
};

// Runs the inbox + outbox protocol for batches of deliveries of one stage:
//   BEGIN; inbox rows; stage effects; outbox rows; COMMIT; publish with confirms; mark
//   published; ack.
// Several deliveries share one transaction and one confirm round-trip. If any message of a
// batch fails, the batch is rolled back and its messages run one transaction each, so that a
// failing message cannot take its batch-mates with it.
//
// Marking rows published does not get a durable write of its own: the marks of batch k ride in
// the transaction of batch k+1 (or are written on their own by Flush when the stream pauses),
// and batch k is acked right after that commit. The order per delivery stays publish → mark →
// ack; a delivery is held unacked one batch longer, which the prefetch must allow for.
//
// Guarantees, for any crash or connection loss at any instant:
// - A delivery is acked only after its unit of work committed (or its inbox row showed it had
//   committed before) and, for failures, after its retry/dead-letter copy was confirmed.
// - A delivery's effects commit at most once (inbox row in the same transaction).
// - Every committed outbox row is published at least once: here, on the duplicate's redelivery,
//   or by the relay.
// Not thread safe: one BatchProcessor per consume thread.
class BatchProcessor {
 public:
  using NowSeconds = std::function<std::int64_t()>;

  // `logger` (optional, must outlive this object) gets one line per message sent to a retry
  // tier or the dead-letter queue, with its message_id, correlation_id, type and error.
  BatchProcessor(const Stage& stage, FailurePolicy policy, StageStats& stats, FaultPoints& faults,
                 NowSeconds now, const infra::log::Logger* logger = nullptr);

  // Settles every delivery of `batch` (ack, or requeue when its retry/dead-letter copy could not
  // be routed). A failed Status carries a connection-lost code of ports.hpp and means nothing
  // past the failure was settled: the caller replaces the broken connection and, if the
  // consumer connection survived, calls Process again with the same batch — rerunning is safe.
  [[nodiscard]] domain::Status Process(std::span<const Delivery> batch, Ports ports);

  // Writes the marks carried over from the last batch on their own and acks its deliveries;
  // called when no batch follows soon (an idle poll, shutdown). Never leaves anything at risk:
  // if marking fails the relay republishes the rows later (the store is then reported broken).
  [[nodiscard]] domain::Status Flush(Ports ports);

  // Marks or acks are carried, waiting for the next batch or a Flush.
  [[nodiscard]] bool HasCarried() const { return !carried_.empty(); }

  // True once after a database failure that happened when nothing was left at risk (marking
  // rows published): the deliveries were settled, but the caller should replace the store.
  [[nodiscard]] bool TakeStoreBroken() { return std::exchange(store_broken_, false); }

 private:
  struct Item;
  enum class UnitResult { kDone, kMessageFailed };

  [[nodiscard]] domain::Result<UnitResult> RunUnit(std::span<Item*> items, Ports ports,
                                                   bool single);
  [[nodiscard]] domain::Status Settle(std::span<Item> items, Ports ports);
  // Acks `tags` and counts them.
  [[nodiscard]] domain::Status Ack(std::vector<DeliveryTag> tags, Ports ports);
  // After a commit that included the carried marks: they are durable, ack their deliveries.
  [[nodiscard]] domain::Status AckCarried(Ports ports);
  // Runs Stage::Prepare for the pending items whose inbox row does not exist; removes from
  // `pending` those whose Prepare failed (decided: retry tier or dead letter).
  [[nodiscard]] domain::Status PrepareAll(std::vector<Item*>& pending, Ports ports);
  [[nodiscard]] std::optional<std::vector<domain::Result<nlohmann::json>>> CallPrepareBatch(
      std::span<Item* const> items, PrepareContext& context) const;
  [[nodiscard]] domain::Result<nlohmann::json> CallPrepare(const Item& item,
                                                           PrepareContext& context) const;
  void LogDecision(const Item& item) const;
  [[nodiscard]] domain::Result<std::vector<OutgoingMessage>> CallStage(const Item& item,
                                                                       UnitOfWork& work) const;
  [[nodiscard]] domain::Result<std::vector<std::vector<OutgoingMessage>>> CallStageBatch(
      std::span<const Envelope* const> envelopes, UnitOfWork& work) const;

  const Stage& stage_;
  std::string stage_name_;
  std::vector<MessageTypeSpec> accepted_;
  FailurePolicy policy_;
  StageStats& stats_;
  FaultPoints& faults_;
  NowSeconds now_;
  const infra::log::Logger* logger_;
  bool store_broken_ = false;

  // Published rows of the last batch whose marks are not yet written, and its deliveries that
  // wait for them to be acked.
  struct Carried {
    std::vector<std::string> marks;
    std::vector<DeliveryTag> acks;
    [[nodiscard]] bool empty() const { return marks.empty() && acks.empty(); }
  };
  Carried carried_;
};

// True for errors that mean a connection (not the message) failed.
[[nodiscard]] bool IsConnectionLoss(const domain::Error& error);

}  // namespace paypipe::runtime
