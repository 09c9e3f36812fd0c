#include "paypipe/scheduler/job.hpp"

#include <utility>

#include "paypipe/scheduler/lease.hpp"

namespace paypipe::scheduler {

namespace {

namespace log = infra::log;

// Deadlocks and lock wait timeouts rerun a unit at once this many times before the run ends.
constexpr int kMaxReruns = 3;

}  // namespace

JobContext::JobContext(LeaseIdentity lease, runtime::MessageStore& store,
                       runtime::Publisher& publisher, runtime::FaultPoints& faults,
                       JobMetrics& metrics, const infra::log::Logger& logger,
                       const infra::clock::Clock& clock, const std::atomic<bool>& stop)
    : lease_(std::move(lease)),
      store_(store),
      publisher_(publisher),
      faults_(faults),
      metrics_(metrics),
      logger_(logger),
      clock_(clock),
      stop_(stop) {}

std::int64_t JobContext::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
}

domain::Result<std::size_t> JobContext::Transact(const Work& work) {
  // One attempt of the unit, up to and including COMMIT.
  const auto attempt = [&]() -> domain::Result<std::vector<runtime::OutboundMessage>> {
    auto unit = store_.Begin();
    if (!unit.ok()) return unit.error();
    infra::db::Transaction& tx = (*unit)->Db();
    PAYPIPE_RETURN_IF_ERROR(HoldLease(tx, lease_.job, lease_.holder, lease_.duration));
    auto messages = work(tx);
    if (!messages.ok()) return messages.error();
    std::vector<runtime::OutboxRecord> records;
    records.reserve(messages->size());
    for (const auto& message : *messages) records.push_back({0, lease_.job, message});
    if (!records.empty()) {
      auto inserted = store_.InsertOutbox(kOutboxSource, records);
      if (!inserted.ok()) return inserted.error();
    }
    PAYPIPE_RETURN_IF_ERROR(store_.Commit());
    return messages;
  };

  for (int run = 0;; ++run) {
    auto committed = attempt();
    if (!committed.ok()) {
      store_.Rollback();
      if (committed.error().kind == domain::ErrorKind::kRetryTransaction && run < kMaxReruns) {
        logger_.Debug("unit rerun", {{log::key::kError, committed.error().ToString()}});
        continue;
      }
      return committed.error();
    }
    for (const auto& message : *committed) {
      metrics_.messages.WithLabels({lease_.job, message.message.type}).Increment();
    }
    if (!committed->empty()) faults_.Hit(runtime::FaultPoint::kAfterCommitBeforePublish);
    (void)PublishAndMark(*committed);
    return committed->size();
  }
}

domain::Result<std::size_t> JobContext::PublishLeftovers() {
  const std::string caused_by[] = {lease_.job};
  auto rows = store_.Unpublished(kOutboxSource, caused_by);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::size_t{0};
  std::vector<runtime::OutboundMessage> messages;
  messages.reserve(rows->size());
  for (auto& row : *rows) messages.push_back(std::move(row.message));
  const std::size_t confirmed = PublishAndMark(messages);
  logger_.Info("published messages an earlier run left in the outbox",
               {{"rows", messages.size()}, {"confirmed", confirmed}});
  return confirmed;
}

std::size_t JobContext::PublishAndMark(std::span<const runtime::OutboundMessage> messages) {
  if (messages.empty()) return 0;
  const std::vector<domain::Status> statuses = publisher_.PublishConfirmed(messages);
  faults_.Hit(runtime::FaultPoint::kAfterPublishBeforeMark);
  std::vector<std::string> confirmed;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i].message;
    if (i < statuses.size() && statuses[i].ok()) {
      confirmed.push_back(message.message_id);
      continue;
    }
    metrics_.publish_failures.Increment();
    logger_.Warn("broker did not confirm a message; it stays in the outbox",
                 {{log::key::kMessageId, message.message_id},
                  {log::key::kCorrelationId, message.correlation_id},
                  {"type", message.type},
                  {log::key::kError, i < statuses.size() ? statuses[i].error().ToString()
                                                         : std::string("no outcome")}});
  }
  if (auto marked = store_.MarkPublished(confirmed); !marked.ok()) {
    // Published but not marked: a later run publishes them again, and consumers deduplicate.
    logger_.Warn("cannot mark published outbox rows",
                 {{log::key::kError, marked.error().ToString()}});
  }
  return confirmed.size();
}

}  // namespace paypipe::scheduler
