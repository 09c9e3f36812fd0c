#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/envelope.hpp"
#include "paypipe/runtime/stage.hpp"

// The runtime's view of the broker and the database: narrow interfaces implemented over the
// infra adapters (amqp_ports.cpp, db_store.cpp) and by fakes in unit tests. Every object is used
// by one thread only.
namespace paypipe::runtime {

// Error codes with which ports report that their connection is unusable: the runtime drops the
// connection and builds a new one; no message decision is taken on these.
inline constexpr std::string_view kBrokerConnectionLost = "AMQP_CONNECTION_LOST";
inline constexpr std::string_view kDbConnectionLost = "DB_CONNECTION_LOST";
inline constexpr std::string_view kDbCommitOutcomeUnknown = "DB_COMMIT_OUTCOME_UNKNOWN";

// Identifies a delivery for acknowledgement: its tag is meaningful only on the channel of its
// generation (the consumer's connection count when it was received).
struct DeliveryTag {
  std::uint64_t tag = 0;
  std::uint64_t generation = 0;
  friend bool operator==(const DeliveryTag&, const DeliveryTag&) = default;
};

// One message received from a work queue with manual acknowledgement.
struct Delivery {
  WireMessage message;
  std::string routing_key;
  DeliveryTag tag;
  bool redelivered = false;
};

class DeliverySource {
 public:
  virtual ~DeliverySource() = default;
  // Waits up to `timeout` for a delivery; nullopt on timeout. A broken connection is an Error
  // (the source reconnects on the next call).
  [[nodiscard]] virtual domain::Result<std::optional<Delivery>> Next(
      std::chrono::milliseconds timeout) = 0;
  // Acknowledges the deliveries. The caller settles deliveries in the order it received them:
  // every delivery received before the highest tag given has been settled already or is in
  // `tags`, so a source may acknowledge them all with one multiple-ack per channel. Deliveries of
  // an older generation are skipped, never acked on the new channel: the broker has already
  // requeued them.
  [[nodiscard]] virtual domain::Status Ack(std::span<const DeliveryTag> tags) = 0;
  // Returns the deliveries to the queue (counts toward the quorum delivery limit).
  [[nodiscard]] virtual domain::Status Requeue(std::span<const DeliveryTag> tags) = 0;
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Publishes every message persistent and mandatory and waits for the broker's confirms. The
  // result has one Status per message, in order: ok only if the broker confirmed it and did not
  // return it as unroutable.
  [[nodiscard]] virtual std::vector<domain::Status> PublishConfirmed(
      std::span<const OutboundMessage> messages) = 0;
};

// An outbox row: a message committed for publication.
struct OutboxRecord {
  std::int64_t id = 0;
  std::string caused_by;  // message id of the delivery whose unit of work wrote the row
  OutboundMessage message;
};

// The database side of the inbox + outbox protocol for one consumer (stage).
class MessageStore {
 public:
  virtual ~MessageStore() = default;
  // Opens a transaction; the unit stays open until Commit or Rollback.
  [[nodiscard]] virtual domain::Result<UnitOfWork*> Begin() = 0;
  // Inserts inbox rows for the ids within the open transaction; result[i] is false when
  // ids[i] was already there (a duplicate delivery).
  [[nodiscard]] virtual domain::Result<std::vector<bool>> InsertInbox(
      std::string_view consumer, std::span<const std::string> ids) = 0;
  // Inserts outbox rows within the open transaction and returns them (their `id` is not read
  // back: rows are marked by message id).
  [[nodiscard]] virtual domain::Result<std::vector<OutboxRecord>> InsertOutbox(
      std::string_view consumer, std::span<const OutboxRecord> records) = 0;
  // Issues COMMIT. A failure other than RetryTransaction means the outcome is unknown.
  [[nodiscard]] virtual domain::Status Commit() = 0;
  virtual void Rollback() = 0;
  // Outside a transaction: result[i] is true when ids[i] already has its inbox row.
  [[nodiscard]] virtual domain::Result<std::vector<bool>> InboxContains(
      std::string_view consumer, std::span<const std::string> ids) = 0;
  // The connection outside any transaction, for Stage::Prepare.
  [[nodiscard]] virtual PrepareContext& Outside() = 0;
  // Outside a transaction: rows caused by these message ids that are not yet published.
  [[nodiscard]] virtual domain::Result<std::vector<OutboxRecord>> Unpublished(
      std::string_view consumer, std::span<const std::string> caused_by) = 0;
  // Records the rows with these (unique) message ids as published: on its own outside a
  // transaction, or as part of the open one (the consume protocol carries the marks of one
  // batch in the next batch's transaction; the relay marks the rows it claimed before
  // committing).
  [[nodiscard]] virtual domain::Status MarkPublished(std::span<const std::string> message_ids) = 0;

  // Relay, within an open transaction: locks up to `limit` unpublished rows of any consumer
  // created at least `min_age` ago, skipping rows other relays hold (FOR UPDATE SKIP LOCKED).
  [[nodiscard]] virtual domain::Result<std::vector<OutboxRecord>> ClaimUnpublished(
      std::chrono::seconds min_age, std::size_t limit) = 0;

  struct Backlog {
    std::int64_t unpublished = 0;
    std::int64_t oldest_age_seconds = 0;  // 0 when nothing is unpublished
  };
  [[nodiscard]] virtual domain::Result<Backlog> OutboxBacklog() = 0;

  // Deletes up to `limit` published outbox rows and inbox rows older than `retention`; returns
  // how many rows went. Inbox rows must outlive every possible redelivery of their message.
  [[nodiscard]] virtual domain::Result<std::int64_t> Purge(std::chrono::seconds retention,
                                                           std::size_t limit) = 0;
};

}  // namespace paypipe::runtime
