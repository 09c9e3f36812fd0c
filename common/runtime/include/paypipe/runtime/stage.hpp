#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/envelope.hpp"

namespace paypipe::infra::db {
class Connection;
class Transaction;
}  // namespace paypipe::infra::db

namespace paypipe::runtime {

// The open unit of work a stage writes its effects into. Everything written through it commits
// or rolls back together with the message's inbox row and outbox rows.
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;
  // The database transaction of this unit. Valid only during Stage::Handle.
  [[nodiscard]] virtual infra::db::Transaction& Db() = 0;
};

// What Stage::Prepare may use: the thread's database connection outside any transaction (each
// statement commits on its own), e.g. to read what the external call needs and to record the
// call's outcome whatever happens to the unit of work afterwards.
class PrepareContext {
 public:
  virtual ~PrepareContext() = default;
  [[nodiscard]] virtual infra::db::Connection& Db() = 0;
};

// One pipeline stage: consumes queue paypipe.<Name()>.
//
// Contract for implementations:
// - Handle runs inside a database transaction that the runtime opens, commits or rolls back;
//   it must not commit, roll back or keep references past its return.
// - Handle may run more than once for the same message (rerun after deadlock, redelivery after
//   a crash before commit); only the run whose transaction commits has effects. It must not
//   call external systems (those calls happen outside, with idempotency keys).
// - Failures are returned as Errors classified by kind; an exception is treated as Permanent
//   for that message. Handle is called from several threads at once (one unit each): keep no
//   mutable state in the stage object.
class Stage {
 public:
  virtual ~Stage() = default;
  [[nodiscard]] virtual std::string_view Name() const = 0;
  [[nodiscard]] virtual std::vector<MessageTypeSpec> AcceptedTypes() const = 0;
  [[nodiscard]] virtual domain::Result<std::vector<OutgoingMessage>> Handle(
      const Envelope& message, UnitOfWork& work) const = 0;

  // Handles several messages in one unit of work; result[i] holds what messages[i] emits. The
  // runtime calls it for batches of two or more new messages, so a stage can write their effects
  // with fewer statements (one multi-row INSERT instead of one per message). Any error rolls the
  // whole unit back and the runtime handles each message on its own through Handle, which then
  // decides per message: an implementation may simply fail the batch for any message it does not
  // take the common way. The default calls Handle for each message.
  [[nodiscard]] virtual domain::Result<std::vector<std::vector<OutgoingMessage>>> HandleBatch(
      std::span<const Envelope* const> messages, UnitOfWork& work) const;

  // Stages that call external systems (PG APIs) return true and do it in Prepare, which the
  // runtime runs before the unit of work and outside its transaction, for every message whose
  // inbox row does not exist yet. It may run more than once for one message (redelivery, a
  // crash before commit): every external call must carry an idempotency key derived from the
  // operation. Its result reaches Handle as message.prepared. Errors are handled by kind like
  // those of Handle (Transient: retry tier; Permanent: dead letter).
  [[nodiscard]] virtual bool HasPrepare() const { return false; }
  [[nodiscard]] virtual domain::Result<nlohmann::json> Prepare(const Envelope& message,
                                                               PrepareContext& context) const {
    (void)message;
    (void)context;
    return nlohmann::json();
  }
  // Prepares several messages at once; result[i] is messages[i]'s. The runtime hands it every
  // new message of a batch, so a stage can read what they need with one query and make their
  // external calls concurrently. A message whose result is an error is then decided on its own
  // as if Prepare had failed (a rerun goes through Prepare); a result of the wrong size or an
  // exception prepares each message through Prepare instead. The default calls Prepare for each
  // message in turn.
  [[nodiscard]] virtual std::vector<domain::Result<nlohmann::json>> PrepareBatch(
      std::span<const Envelope* const> messages, PrepareContext& context) const;
};

}  // namespace paypipe::runtime
