#pragma once

#include <memory>
#include <optional>

#include "paypipe/infra/db/connection.hpp"
#include "paypipe/runtime/ports.hpp"

namespace paypipe::runtime {

// MessageStore over one infra::db::Connection (owned; one thread).
//
// Tables it relies on (migrations/V1__messaging.sql; other columns keep their defaults):
//   inbox(consumer, message_id, received_at, PRIMARY KEY (consumer, message_id))
//   outbox(id AUTO_INCREMENT, message_id UNIQUE, source_consumer, source_message_id, exchange,
//          routing_key, type, correlation_id, headers JSON, body, created_at, published_at NULL,
//          KEY (source_consumer, source_message_id), KEY (published_at, created_at))
// OutboxRecord::caused_by is outbox.source_message_id.
//
// Units run at READ COMMITTED so that inbox lookups of absent keys take no gap locks that
// would make concurrent batches deadlock.
class DbMessageStore final : public MessageStore {
 public:
  explicit DbMessageStore(std::unique_ptr<infra::db::Connection> connection);

  [[nodiscard]] domain::Result<UnitOfWork*> Begin() override;
  [[nodiscard]] domain::Result<std::vector<bool>> InsertInbox(
      std::string_view consumer, std::span<const std::string> ids) override;
  [[nodiscard]] domain::Result<std::vector<OutboxRecord>> InsertOutbox(
      std::string_view consumer, std::span<const OutboxRecord> records) override;
  [[nodiscard]] domain::Status Commit() override;
  void Rollback() override;
  [[nodiscard]] domain::Result<std::vector<bool>> InboxContains(
      std::string_view consumer, std::span<const std::string> ids) override;
  [[nodiscard]] PrepareContext& Outside() override { return outside_; }
  [[nodiscard]] domain::Result<std::vector<OutboxRecord>> Unpublished(
      std::string_view consumer, std::span<const std::string> caused_by) override;
  [[nodiscard]] domain::Status MarkPublished(std::span<const std::string> message_ids) override;
  [[nodiscard]] domain::Result<std::vector<OutboxRecord>> ClaimUnpublished(
      std::chrono::seconds min_age, std::size_t limit) override;
  [[nodiscard]] domain::Result<Backlog> OutboxBacklog() override;
  [[nodiscard]] domain::Result<std::int64_t> Purge(std::chrono::seconds retention,
                                                   std::size_t limit) override;

 private:
  class Work final : public UnitOfWork {
   public:
    infra::db::Transaction& Db() override { return *transaction; }
    std::optional<infra::db::Transaction> transaction;
  };

  // Statements inside the open unit when there is one, else on the connection.
  [[nodiscard]] domain::Result<std::uint64_t> Execute(std::string_view sql,
                                                      const infra::db::Params& params);
  [[nodiscard]] domain::Result<infra::db::Rows> Query(std::string_view sql,
                                                      const infra::db::Params& params);

  class OutsideContext final : public PrepareContext {
   public:
    explicit OutsideContext(infra::db::Connection& connection) : connection_(connection) {}
    infra::db::Connection& Db() override { return connection_; }

   private:
    infra::db::Connection& connection_;
  };

  std::unique_ptr<infra::db::Connection> connection_;
  OutsideContext outside_{*connection_};
  Work work_;
  // Set when a multi-row inbox insert met a duplicate: the rerun inserts row by row, which is
  // the only way to learn which ids were already there.
  bool inbox_row_by_row_ = false;
};

// Header map <-> JSON text stored in outbox.headers.
[[nodiscard]] std::string HeadersToJson(const Headers& headers);
[[nodiscard]] Headers HeadersFromJson(std::string_view json);

}  // namespace paypipe::runtime
