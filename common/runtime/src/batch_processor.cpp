#include "paypipe/runtime/batch_processor.hpp"

#include <exception>
#include <optional>
#include <unordered_map>

namespace paypipe::runtime {

using domain::Error;
using domain::ErrorKind;
using domain::Result;
using domain::Status;

bool IsConnectionLoss(const Error& error) {
  return error.code == kBrokerConnectionLost || error.code == kDbConnectionLost ||
         error.code == kDbCommitOutcomeUnknown;
}

struct BatchProcessor::Item {
  enum class State { kPending, kCommitted, kDuplicate, kDecided };

  const Delivery* delivery = nullptr;
  std::optional<Envelope> envelope;
  State state = State::kPending;
  std::vector<OutboxRecord> records;  // rows to publish for this delivery
  std::optional<Decision> decision;   // set for failed messages (kRetryLater or kDeadLetter)
};

BatchProcessor::BatchProcessor(const Stage& stage, FailurePolicy policy, StageStats& stats,
                               FaultPoints& faults, NowSeconds now,
                               const infra::log::Logger* logger)
    : stage_(stage),
      stage_name_(stage.Name()),
      accepted_(stage.AcceptedTypes()),
      policy_(std::move(policy)),
      stats_(stats),
      faults_(faults),
      now_(std::move(now)),
      logger_(logger) {}

void BatchProcessor::LogDecision(const Item& item) const {
  if (logger_ == nullptr || !item.decision) return;
  const Decision& decision = *item.decision;
  const WireMessage& message = item.delivery->message;
  const bool retry = decision.action == Action::kRetryLater;
  const infra::log::Level level = retry ? infra::log::Level::kInfo : infra::log::Level::kWarn;
  if (!logger_->Enabled(level)) return;
  logger_->Log(level, retry ? "message sent to a retry tier" : "message dead-lettered",
               {{"stage", stage_name_},
                {"message_id", message.message_id},
                {"correlation_id", message.correlation_id},
                {"type", message.type},
                {"error_kind", domain::ToString(decision.error.kind)},
                {"error_code", decision.error.code},
                {"error", decision.error.message},
                {"tier", retry ? std::string_view(decision.tier) : std::string_view()},
                {"next_attempt", decision.next_attempt}});
}

Result<std::vector<OutgoingMessage>> BatchProcessor::CallStage(const Item& item,
                                                               UnitOfWork& work) const {
  // The stage boundary: an exception is a defect or an unforeseen input, permanent for this
  // message, never a reason to stop the worker or requeue in a loop.
  try {
    return stage_.Handle(*item.envelope, work);
  } catch (const std::exception& e) {
    return Error::Permanent(std::string(kStageException), e.what());
  } catch (...) {
    return Error::Permanent(std::string(kStageException), "non-standard exception");
  }
}

Result<std::vector<std::vector<OutgoingMessage>>> BatchProcessor::CallStageBatch(
    std::span<const Envelope* const> envelopes, UnitOfWork& work) const {
  try {
    return stage_.HandleBatch(envelopes, work);
  } catch (const std::exception& e) {
    return Error::Permanent(std::string(kStageException), e.what());
  } catch (...) {
    return Error::Permanent(std::string(kStageException), "non-standard exception");
  }
}

Result<nlohmann::json> BatchProcessor::CallPrepare(const Item& item,
                                                   PrepareContext& context) const {
  try {
    return stage_.Prepare(*item.envelope, context);
  } catch (const std::exception& e) {
    return Error::Permanent(std::string(kStageException), e.what());
  } catch (...) {
    return Error::Permanent(std::string(kStageException), "non-standard exception");
  }
}

std::optional<std::vector<Result<nlohmann::json>>> BatchProcessor::CallPrepareBatch(
    std::span<Item* const> items, PrepareContext& context) const {
  std::vector<const Envelope*> envelopes;
  envelopes.reserve(items.size());
  for (const Item* item : items) envelopes.push_back(&*item->envelope);
  try {
    auto results = stage_.PrepareBatch(envelopes, context);
    if (results.size() == envelopes.size()) return results;
  } catch (...) {  // NOLINT(bugprone-empty-catch): each message is prepared on its own instead
  }
  return std::nullopt;
}

Status BatchProcessor::PrepareAll(std::vector<Item*>& pending, Ports ports) {
  std::vector<std::string> ids;
  ids.reserve(pending.size());
  for (const Item* item : pending) ids.push_back(item->envelope->message_id.str());
  auto done = ports.store.InboxContains(stage_name_, ids);
  if (!done.ok()) {
    stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
    return Error{done.error().kind, std::string(kDbConnectionLost), done.error().ToString()};
  }
  // Processed before: the unit of work finds them duplicates. The others are prepared together.
  std::vector<Item*> fresh;
  fresh.reserve(pending.size());
  for (std::size_t k = 0; k < pending.size(); ++k) {
    if (!(*done)[k]) fresh.push_back(pending[k]);
  }
  auto results = fresh.empty() ? std::optional<std::vector<Result<nlohmann::json>>>{}
                               : CallPrepareBatch(fresh, ports.store.Outside());

  std::vector<Item*> still_pending;
  still_pending.reserve(pending.size());
  std::size_t next_fresh = 0;
  for (std::size_t k = 0; k < pending.size(); ++k) {
    Item& item = *pending[k];
    if ((*done)[k]) {
      still_pending.push_back(&item);
      continue;
    }
    std::optional<Result<nlohmann::json>> prepared;
    if (results) prepared.emplace(std::move((*results)[next_fresh]));
    ++next_fresh;
    for (int reruns = 0;; ++reruns) {
      if (!prepared) prepared.emplace(CallPrepare(item, ports.store.Outside()));
      if (prepared->ok()) {
        item.envelope->prepared = std::move(*prepared).value();
        still_pending.push_back(&item);
        break;
      }
      const Error error = prepared->error();
      prepared.reset();
      if (IsConnectionLoss(error)) {
        stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
        return error;
      }
      Decision decision = Decide(policy_, error, item.envelope->attempt, reruns);
      if (decision.action == Action::kRerunTransaction) {
        stats_.transaction_reruns.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      item.decision = std::move(decision);
      item.state = Item::State::kDecided;
      break;
    }
  }
  pending = std::move(still_pending);
  return domain::Ok();
}

Status BatchProcessor::Process(std::span<const Delivery> batch, Ports ports) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<Item> items(batch.size());
  std::vector<Item*> pending;
  pending.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Item& item = items[i];
    item.delivery = &batch[i];
    auto parsed = ParseEnvelope(batch[i].message, accepted_);
    if (parsed.ok()) {
      item.envelope = std::move(parsed).value();
      pending.push_back(&item);
    } else {
      Decision decision;
      decision.action = Action::kDeadLetter;
      decision.error = parsed.error();
      item.decision = std::move(decision);
      item.state = Item::State::kDecided;
    }
  }

  if (stage_.HasPrepare() && !pending.empty()) {
    PAYPIPE_RETURN_IF_ERROR(PrepareAll(pending, ports));
  }
  if (pending.size() > 1) {
    auto result = RunUnit(pending, ports, /*single=*/false);
    if (!result.ok()) return result.error();
    if (*result == UnitResult::kMessageFailed) {
      stats_.batch_fallbacks.fetch_add(1, std::memory_order_relaxed);
    } else {
      pending.clear();
    }
  }
  for (Item* item : pending) {
    auto result = RunUnit(std::span<Item*>(&item, 1), ports, /*single=*/true);
    if (!result.ok()) return result.error();
  }

  PAYPIPE_RETURN_IF_ERROR(Settle(items, ports));
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  for (std::size_t i = 0; i < items.size(); ++i) stats_.ObserveDuration(elapsed);
  return domain::Ok();
}

Result<BatchProcessor::UnitResult> BatchProcessor::RunUnit(std::span<Item*> items, Ports ports,
                                                           bool single) {
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const Item* item : items) ids.push_back(item->envelope->message_id.str());

  for (int reruns = 0;; ++reruns) {
    // What to do about a failed database step of this unit: rerun it, hand the failure to the
    // one message of a single unit, give up the batch, or report a broken connection.
    enum class Next { kRerun, kDecided, kBatchFailed, kBroken };
    auto on_db_error = [&](const Error& error) {
      ports.store.Rollback();
      if (IsConnectionLoss(error) || error.kind != ErrorKind::kRetryTransaction) {
        // Any other database failure leaves the connection in doubt: replace it.
        return Next::kBroken;
      }
      if (reruns < policy_.max_transaction_reruns) return Next::kRerun;
      if (!single) return Next::kBatchFailed;
      Item& item = *items.front();
      item.decision = Decide(policy_, error, item.envelope->attempt, reruns);
      item.state = Item::State::kDecided;
      return Next::kDecided;
    };
    auto finish = [&](Next next, const Error& error) -> Result<UnitResult> {
      switch (next) {
        case Next::kRerun:
          return Error::RetryTransaction("RERUN", "");  // never returned: see callers
        case Next::kDecided:
          return UnitResult::kDone;
        case Next::kBatchFailed:
          return UnitResult::kMessageFailed;
        case Next::kBroken:
          break;
      }
      stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
      return error.kind == ErrorKind::kRetryTransaction || IsConnectionLoss(error)
                 ? error
                 : Error{error.kind, std::string(kDbConnectionLost), error.ToString()};
    };

    auto begun = ports.store.Begin();
    if (!begun.ok()) {
      stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
      return Error{begun.error().kind, std::string(kDbConnectionLost), begun.error().ToString()};
    }
    UnitOfWork& work = **begun;

    auto inbox = ports.store.InsertInbox(stage_name_, ids);
    if (!inbox.ok()) {
      const Next next = on_db_error(inbox.error());
      if (next == Next::kRerun) {
        stats_.transaction_reruns.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      return finish(next, inbox.error());
    }
    faults_.Hit(FaultPoint::kAfterInboxInsert);

    std::vector<OutboxRecord> records;
    const auto now = now_();
    if (!single) {
      // Several new messages: one HandleBatch call; any failure falls back to one unit each.
      std::vector<std::size_t> fresh;
      std::vector<const Envelope*> envelopes;
      for (std::size_t k = 0; k < items.size(); ++k) {
        if (!(*inbox)[k]) continue;
        fresh.push_back(k);
        envelopes.push_back(&*items[k]->envelope);
      }
      if (!envelopes.empty()) {
        auto outgoing = CallStageBatch(envelopes, work);
        if (!outgoing.ok() || outgoing->size() != envelopes.size()) {
          ports.store.Rollback();
          if (!outgoing.ok() && IsConnectionLoss(outgoing.error())) {
            stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
            return outgoing.error();
          }
          return UnitResult::kMessageFailed;
        }
        for (std::size_t f = 0; f < fresh.size(); ++f) {
          const std::size_t k = fresh[f];
          const auto& emitted = (*outgoing)[f];
          for (std::size_t j = 0; j < emitted.size(); ++j) {
            records.push_back(OutboxRecord{
                0, ids[k], Derive(*items[k]->envelope, stage_name_, j, emitted[j], now)});
          }
        }
      }
    }
    bool rerun = false;
    for (std::size_t k = 0; single && k < items.size() && !rerun; ++k) {
      if (!(*inbox)[k]) continue;
      Item& item = *items[k];
      auto outgoing = CallStage(item, work);
      if (!outgoing.ok()) {
        const Error& error = outgoing.error();
        ports.store.Rollback();
        if (IsConnectionLoss(error)) {
          stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
          return error;
        }
        Decision decision = Decide(policy_, error, item.envelope->attempt, reruns);
        if (decision.action == Action::kRerunTransaction) {
          rerun = true;
          break;
        }
        item.decision = std::move(decision);
        item.state = Item::State::kDecided;
        return UnitResult::kDone;
      }
      for (std::size_t j = 0; j < outgoing->size(); ++j) {
        records.push_back(
            OutboxRecord{0, ids[k], Derive(*item.envelope, stage_name_, j, (*outgoing)[j], now)});
      }
    }
    if (rerun) {
      stats_.transaction_reruns.fetch_add(1, std::memory_order_relaxed);
      continue;
    }

    if (!records.empty()) {
      auto inserted = ports.store.InsertOutbox(stage_name_, records);
      if (!inserted.ok()) {
        const Next next = on_db_error(inserted.error());
        if (next == Next::kRerun) {
          stats_.transaction_reruns.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        return finish(next, inserted.error());
      }
      records = std::move(inserted).value();
    }

    const bool carries_marks = !carried_.marks.empty();
    if (carries_marks) {
      if (auto marked = ports.store.MarkPublished(carried_.marks); !marked.ok()) {
        const Next next = on_db_error(marked.error());
        if (next == Next::kRerun) {
          stats_.transaction_reruns.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        return finish(next, marked.error());
      }
    }

    if (auto committed = ports.store.Commit(); !committed.ok()) {
      const Error& error = committed.error();
      if (error.kind == ErrorKind::kRetryTransaction && !IsConnectionLoss(error)) {
        // A deadlock reported at COMMIT rolled the transaction back: rerunning is safe.
        const Next next = on_db_error(error);
        if (next == Next::kRerun) {
          stats_.transaction_reruns.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        return finish(next, error);
      }
      // Outcome unknown: do not ack. The caller replaces the connection and reruns the batch;
      // the inbox row tells whether this commit happened.
      ports.store.Rollback();
      stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
      return Error{error.kind, std::string(kDbCommitOutcomeUnknown), error.ToString()};
    }
    if (carries_marks) {
      stats_.outbox_published.fetch_add(carried_.marks.size(), std::memory_order_relaxed);
      carried_.marks.clear();
      faults_.Hit(FaultPoint::kAfterMarkBeforeAck);
      PAYPIPE_RETURN_IF_ERROR(AckCarried(ports));
    }
    faults_.Hit(FaultPoint::kAfterCommitBeforePublish);

    std::unordered_map<std::string_view, Item*> by_id;
    for (std::size_t k = 0; k < items.size(); ++k) {
      Item& item = *items[k];
      if ((*inbox)[k]) {
        item.state = Item::State::kCommitted;
        by_id.emplace(ids[k], &item);
        stats_.committed.fetch_add(1, std::memory_order_relaxed);
      } else {
        item.state = Item::State::kDuplicate;
      }
    }
    for (auto& record : records) by_id.at(record.caused_by)->records.push_back(std::move(record));
    return UnitResult::kDone;
  }
}

Status BatchProcessor::Ack(std::vector<DeliveryTag> tags, Ports ports) {
  if (tags.empty()) return domain::Ok();
  PAYPIPE_RETURN_IF_ERROR(ports.source.Ack(tags));
  stats_.acked.fetch_add(tags.size(), std::memory_order_relaxed);
  return domain::Ok();
}

Status BatchProcessor::AckCarried(Ports ports) {
  return Ack(std::exchange(carried_.acks, {}), ports);
}

Status BatchProcessor::Flush(Ports ports) {
  if (carried_.empty()) return domain::Ok();
  if (!carried_.marks.empty()) {
    // Failing to mark is harmless: the relay republishes unmarked rows and consumers
    // deduplicate. The deliveries are still acked; the store is replaced afterwards.
    if (auto marked = ports.store.MarkPublished(carried_.marks); marked.ok()) {
      stats_.outbox_published.fetch_add(carried_.marks.size(), std::memory_order_relaxed);
      faults_.Hit(FaultPoint::kAfterMarkBeforeAck);
    } else {
      store_broken_ = true;
    }
    carried_.marks.clear();
  }
  return AckCarried(ports);
}

Status BatchProcessor::Settle(std::span<Item> items, Ports ports) {
  // The last batch's marks go before this batch's are carried: when no unit of this batch
  // committed them (every message failed or was a duplicate), write them now.
  PAYPIPE_RETURN_IF_ERROR(Flush(ports));

  std::vector<std::string> duplicate_ids;
  for (Item& item : items) {
    if (item.state == Item::State::kDuplicate) {
      duplicate_ids.push_back(item.envelope->message_id.str());
    }
  }
  if (!duplicate_ids.empty()) {
    stats_.inbox_duplicates.fetch_add(duplicate_ids.size(), std::memory_order_relaxed);
    auto rows = ports.store.Unpublished(stage_name_, duplicate_ids);
    if (!rows.ok()) {
      stats_.unit_failures.fetch_add(1, std::memory_order_relaxed);
      return Error{rows.error().kind, std::string(kDbConnectionLost), rows.error().ToString()};
    }
    std::unordered_map<std::string_view, Item*> by_id;
    for (Item& item : items) {
      if (item.state == Item::State::kDuplicate)
        by_id.emplace(item.envelope->message_id.str(), &item);
    }
    for (auto& row : *rows) {
      if (auto it = by_id.find(row.caused_by); it != by_id.end()) {
        it->second->records.push_back(std::move(row));
      }
    }
  }

  // One confirm round-trip for everything the batch publishes.
  struct Owner {
    Item* item;
    const std::string* record_id;  // message id of an outbox row; null for a retry or dead-letter copy
  };
  std::vector<OutboundMessage> messages;
  std::vector<Owner> owners;
  for (Item& item : items) {
    for (const OutboxRecord& record : item.records) {
      messages.push_back(record.message);
      owners.push_back({&item, &record.message.message.message_id});
    }
    if (item.decision) {
      const Delivery& delivery = *item.delivery;
      const int attempt = AttemptOf(delivery.message);
      if (item.decision->action == Action::kRetryLater) {
        messages.push_back(ForRetry(delivery.message, stage_name_, item.decision->tier,
                                    item.decision->next_attempt));
      } else {
        messages.push_back(
            ForDeadLetter(delivery.message, stage_name_, item.decision->error, attempt + 1));
      }
      owners.push_back({&item, nullptr});
    }
  }

  std::vector<bool> decision_failed(items.size(), false);
  if (!messages.empty()) {
    const std::vector<Status> statuses = ports.publisher.PublishConfirmed(messages);
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      if (!statuses[i].ok() && IsConnectionLoss(statuses[i].error())) {
        // Nothing is acked: the caller reconnects and reruns the batch, which republishes.
        return statuses[i].error();
      }
    }
    faults_.Hit(FaultPoint::kAfterPublishBeforeMark);
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      const Owner& owner = owners[i];
      if (statuses[i].ok()) {
        if (owner.record_id != nullptr) carried_.marks.push_back(*owner.record_id);
        continue;
      }
      stats_.publish_failures.fetch_add(1, std::memory_order_relaxed);
      // An outbox row that was not routed stays unpublished for the relay; the delivery can be
      // acked because its effects and its row are committed. A retry or dead-letter copy that
      // was not routed must not be acked away: requeue the delivery instead.
      if (owner.record_id == nullptr) {
        decision_failed[static_cast<std::size_t>(owner.item - items.data())] = true;
      }
    }
  }

  std::vector<DeliveryTag> acks;
  std::vector<DeliveryTag> requeues;
  std::uint64_t retried = 0;
  std::uint64_t dead = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (decision_failed[i]) {
      requeues.push_back(item.delivery->tag);
      continue;
    }
    acks.push_back(item.delivery->tag);
    if (item.decision) {
      (item.decision->action == Action::kRetryLater ? retried : dead) += 1;
      LogDecision(item);
    }
  }
  // Requeues first: the acks may be one multiple-ack covering every earlier delivery.
  if (!requeues.empty()) {
    if (auto requeued = ports.source.Requeue(requeues); !requeued.ok()) return requeued.error();
  }
  if (carried_.marks.empty()) {
    PAYPIPE_RETURN_IF_ERROR(Ack(std::move(acks), ports));
  } else {
    carried_.acks = std::move(acks);  // acked once the marks are durable
  }
  stats_.requeued.fetch_add(requeues.size(), std::memory_order_relaxed);
  stats_.retried.fetch_add(retried, std::memory_order_relaxed);
  stats_.dead_lettered.fetch_add(dead, std::memory_order_relaxed);
  return domain::Ok();
}

}  // namespace paypipe::runtime
