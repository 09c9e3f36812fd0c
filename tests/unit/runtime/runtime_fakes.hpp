#pragma once

// In-memory fakes of the runtime's ports for unit tests: no broker, no database, no sleeps.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>

#include "paypipe/runtime/ports.hpp"
#include "paypipe/runtime/stage.hpp"

namespace paypipe::runtime::testing_fakes {

using domain::Error;
using domain::Result;
using domain::Status;

// In-memory inbox/outbox/effects with a staged transaction, plus failure injection.
class FakeUnitOfWork final : public UnitOfWork {
 public:
  infra::db::Transaction& Db() override { throw std::logic_error("no database in unit tests"); }
  std::vector<std::string> effects;
};

class FakeOutside final : public PrepareContext {
 public:
  infra::db::Connection& Db() override { throw std::logic_error("no database in unit tests"); }
};

class FakeStore final : public MessageStore {
 public:
  Result<UnitOfWork*> Begin() override {
    if (broken) return Error::Transient(std::string(kDbConnectionLost), "gone");
    work_ = FakeUnitOfWork{};
    staged_inbox_.clear();
    staged_outbox_.clear();
    staged_marks_.clear();
    open_ = true;
    return static_cast<UnitOfWork*>(&work_);
  }
  Result<std::vector<bool>> InsertInbox(std::string_view consumer,
                                        std::span<const std::string> ids) override {
    EXPECT_TRUE(open_);
    if (deadlocks_on_inbox > 0) {
      --deadlocks_on_inbox;
      return Error::RetryTransaction("DB_DEADLOCK", "1213");
    }
    std::vector<bool> fresh;
    for (const auto& id : ids) {
      const bool is_new = inbox.count({std::string(consumer), id}) == 0;
      fresh.push_back(is_new);
      if (is_new) staged_inbox_.push_back(id);
    }
    return fresh;
  }
  Result<std::vector<OutboxRecord>> InsertOutbox(std::string_view,
                                                 std::span<const OutboxRecord> records) override {
    std::vector<OutboxRecord> out(records.begin(), records.end());
    for (auto& r : out) r.id = next_id_++;
    staged_outbox_ = out;
    return out;
  }
  Status Commit() override {
    EXPECT_TRUE(open_);
    open_ = false;
    if (commit_unknown_but_applied > 0) {
      --commit_unknown_but_applied;
      Apply();
      return Error::Transient(std::string(kDbCommitOutcomeUnknown), "lost during COMMIT");
    }
    Apply();
    return domain::Ok();
  }
  void Rollback() override { open_ = false; }
  Result<std::vector<bool>> InboxContains(std::string_view consumer,
                                          std::span<const std::string> ids) override {
    if (broken) return Error::Transient(std::string(kDbConnectionLost), "gone");
    std::vector<bool> found;
    for (const auto& id : ids) found.push_back(inbox.count({std::string(consumer), id}) > 0);
    return found;
  }
  PrepareContext& Outside() override { return outside_; }
  Result<std::vector<OutboxRecord>> Unpublished(std::string_view,
                                                std::span<const std::string> caused_by) override {
    std::vector<OutboxRecord> rows;
    const std::set<std::string> wanted(caused_by.begin(), caused_by.end());
    for (const auto& [id, row] : outbox) {
      if (!published.count(row.message.message.message_id) && wanted.count(row.caused_by)) {
        rows.push_back(row);
      }
    }
    return rows;
  }
  Status MarkPublished(std::span<const std::string> message_ids) override {
    if (fail_mark) return Error::Transient(std::string(kDbConnectionLost), "gone");
    if (open_) {
      staged_marks_.insert(staged_marks_.end(), message_ids.begin(), message_ids.end());
    } else {
      ++standalone_marks;
      published.insert(message_ids.begin(), message_ids.end());
    }
    return domain::Ok();
  }

  Result<std::vector<OutboxRecord>> ClaimUnpublished(std::chrono::seconds, std::size_t) override {
    std::vector<OutboxRecord> rows;
    for (const auto& [id, row] : outbox) {
      if (!published.count(row.message.message.message_id)) rows.push_back(row);
    }
    return rows;
  }
  Result<Backlog> OutboxBacklog() override { return Backlog{}; }
  Result<std::int64_t> Purge(std::chrono::seconds, std::size_t) override { return 0; }

  std::set<std::pair<std::string, std::string>> inbox;
  std::map<std::int64_t, OutboxRecord> outbox;
  std::set<std::string> published;  // message ids of outbox rows marked published
  std::multiset<std::string> effects;
  int commits = 0;
  int standalone_marks = 0;  // MarkPublished calls outside a transaction
  int deadlocks_on_inbox = 0;
  int commit_unknown_but_applied = 0;
  bool fail_mark = false;
  bool broken = false;

 private:
  void Apply() {
    ++commits;
    published.insert(staged_marks_.begin(), staged_marks_.end());
    for (const auto& id : staged_inbox_) inbox.insert({"test", id});
    for (const auto& r : staged_outbox_) outbox[r.id] = r;
    effects.insert(work_.effects.begin(), work_.effects.end());
  }
  FakeUnitOfWork work_;
  FakeOutside outside_;
  std::vector<std::string> staged_inbox_;
  std::vector<OutboxRecord> staged_outbox_;
  std::vector<std::string> staged_marks_;
  std::int64_t next_id_ = 1;
  bool open_ = false;
};

class FakePublisher final : public Publisher {
 public:
  std::vector<Status> PublishConfirmed(std::span<const OutboundMessage> messages) override {
    ++round_trips;
    std::vector<Status> out;
    for (const auto& m : messages) {
      if (connection_lost) {
        out.push_back(Error::Transient(std::string(kBrokerConnectionLost), "closed"));
        continue;
      }
      if (unroutable_exchanges.count(m.exchange)) {
        out.push_back(Error::Transient("AMQP_UNROUTABLE", "returned"));
        continue;
      }
      sent.push_back(m);
      out.push_back(domain::Ok());
    }
    return out;
  }
  std::vector<OutboundMessage> sent;
  std::set<std::string> unroutable_exchanges;
  bool connection_lost = false;
  int round_trips = 0;
};

class FakeSource final : public DeliverySource {
 public:
  // A delivery not buffered yet: it arrives `after` into a wait, so a Next that may wait at
  // least that long receives it (at once: no real waiting).
  struct Later {
    std::chrono::milliseconds after;
    Delivery delivery;
  };

  Result<std::optional<Delivery>> Next(std::chrono::milliseconds wait) override {
    waits.push_back(wait);
    if (queue.empty()) {
      if (later.empty() || later.front().after > wait) return std::optional<Delivery>{};
      Delivery d = std::move(later.front().delivery);
      later.erase(later.begin());
      return std::optional<Delivery>{std::move(d)};
    }
    Delivery d = std::move(queue.front());
    queue.erase(queue.begin());
    return std::optional<Delivery>{std::move(d)};
  }
  Status Ack(std::span<const DeliveryTag> tags) override {
    for (const auto& t : tags) acked.push_back(t.tag);
    return domain::Ok();
  }
  Status Requeue(std::span<const DeliveryTag> tags) override {
    for (const auto& t : tags) requeued.push_back(t.tag);
    return domain::Ok();
  }
  std::vector<std::uint64_t> acked;
  std::vector<Delivery> queue;  // buffered: handed out without waiting
  std::vector<Later> later;     // handed out, in order, once the buffered ones are gone
  std::vector<std::chrono::milliseconds> waits;  // what each Next call was allowed to wait
  std::vector<std::uint64_t> requeued;
};

// Writes one effect and emits one follow-up; the body's "fail" member picks a failure.
class FakeStage final : public Stage {
 public:
  std::string_view Name() const override { return "test"; }
  std::vector<MessageTypeSpec> AcceptedTypes() const override { return {{"test.echo", {1}}}; }
  Result<std::vector<OutgoingMessage>> Handle(const Envelope& m, UnitOfWork& work) const override {
    const std::string fail = m.body.value("fail", "");
    if (fail == "transient") return Error::Transient("PG_TIMEOUT", "slow");
    if (fail == "permanent") return Error::Permanent("BAD_INPUT", "no");
    if (fail == "throw") throw std::runtime_error("boom");
    if (fail == "deadlock" && (*deadlocks_left)-- > 0) {
      return Error::RetryTransaction("DB_DEADLOCK", "1213");
    }
    dynamic_cast<FakeUnitOfWork&>(work).effects.push_back(m.message_id.str());
    return std::vector<OutgoingMessage>{
        {"test.done", "sink", {{"of", m.message_id.str()}}, "", std::string(kWorkExchange)}};
  }
  // Records the size of every batch it is given, then handles it the default way.
  Result<std::vector<std::vector<OutgoingMessage>>> HandleBatch(
      std::span<const Envelope* const> messages, UnitOfWork& work) const override {
    if (batch_sizes != nullptr) batch_sizes->push_back(messages.size());
    return Stage::HandleBatch(messages, work);
  }
  int* deadlocks_left;
  std::vector<std::size_t>* batch_sizes = nullptr;
};

// Calls an "external system" in Prepare (counted) and writes what it answered as its effect.
// The body's "prepare_fail" member picks a failure of the external call.
class FakeCallingStage final : public Stage {
 public:
  std::string_view Name() const override { return "test"; }
  std::vector<MessageTypeSpec> AcceptedTypes() const override { return {{"test.echo", {1}}}; }
  bool HasPrepare() const override { return true; }
  Result<nlohmann::json> Prepare(const Envelope& m, PrepareContext&) const override {
    ++*calls;
    const std::string fail = m.body.value("prepare_fail", "");
    if (fail == "transient") return Error::Transient("PG_TIMEOUT", "no answer");
    if (fail == "permanent") return Error::Permanent("PG_DECLINED", "card refused");
    if (fail == "throw") throw std::runtime_error("boom");
    return nlohmann::json{{"answer", "approved-" + m.message_id.str()}};
  }
  // Records the message ids of every batch it is given, then answers as `batch_prepare` says.
  std::vector<Result<nlohmann::json>> PrepareBatch(std::span<const Envelope* const> messages,
                                                   PrepareContext& context) const override {
    if (prepared_batches != nullptr) {
      auto& ids = prepared_batches->emplace_back();
      for (const Envelope* m : messages) ids.push_back(m->message_id.str());
    }
    switch (batch_prepare) {
      case BatchPrepare::kDefault:
        return Stage::PrepareBatch(messages, context);
      case BatchPrepare::kWrongSize:
        return std::vector<Result<nlohmann::json>>(
            messages.size() + 1, nlohmann::json{{"answer", "from-a-wrong-size-batch"}});
      case BatchPrepare::kThrows:
        throw std::runtime_error("batch boom");
      case BatchPrepare::kItself:
        break;
    }
    std::vector<Result<nlohmann::json>> out;
    for (const Envelope* m : messages) {
      const std::string fail = m->body.value("batch_fail", "");
      if (fail == "transient") {
        out.emplace_back(Error::Transient("PG_TIMEOUT", "no answer"));
      } else if (fail == "retry") {
        out.emplace_back(Error::RetryTransaction("DB_DEADLOCK", "1213"));
      } else if (fail == "lost") {
        out.emplace_back(Error::Transient(std::string(kDbConnectionLost), "gone"));
      } else {
        out.emplace_back(nlohmann::json{{"answer", "batched-" + m->message_id.str()}});
      }
    }
    return out;
  }
  Result<std::vector<OutgoingMessage>> Handle(const Envelope& m, UnitOfWork& work) const override {
    dynamic_cast<FakeUnitOfWork&>(work).effects.push_back(
        m.prepared.at("answer").get<std::string>());
    return std::vector<OutgoingMessage>{};
  }

  // How PrepareBatch answers: as Stage does (Prepare for each message); by itself ("batched-<id>",
  // or the failure the body's "batch_fail" member picks); one result too many; an exception.
  enum class BatchPrepare { kDefault, kItself, kWrongSize, kThrows };

  int* calls;
  BatchPrepare batch_prepare = BatchPrepare::kDefault;
  std::vector<std::vector<std::string>>* prepared_batches = nullptr;
};

inline Delivery Make(int n, std::string fail = "", int attempt = 0) {
  Delivery d;
  d.message.message_id = "id-" + std::to_string(n);
  d.message.correlation_id = "order-" + std::to_string(n);
  d.message.type = "test.echo";
  nlohmann::json body = {{"schema_version", 1}};
  if (!fail.empty()) body["fail"] = fail;
  d.message.body = body.dump();
  d.message.headers["x-attempt"] = std::int64_t{attempt};
  d.tag = {static_cast<std::uint64_t>(n), 1};
  return d;
}

}  // namespace paypipe::runtime::testing_fakes
