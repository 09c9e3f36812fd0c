#include "paypipe/runtime/db_store.hpp"

#include <nlohmann/json.hpp>

namespace paypipe::runtime {

using domain::Error;
using domain::Result;
using infra::db::Params;
using infra::db::Placeholders;
using infra::db::Rows;

namespace {

constexpr std::string_view kOutboxColumns =
    "id, source_message_id AS caused_by, exchange, routing_key, message_id, correlation_id, type, "
    "FLOOR(UNIX_TIMESTAMP(created_at)) AS ts, headers, body";

std::vector<OutboxRecord> RecordsFrom(const Rows& rows) {
  std::vector<OutboxRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    OutboxRecord r;
    r.id = row.Int64("id");
    r.caused_by = row.String("caused_by");
    r.message.exchange = row.String("exchange");
    r.message.routing_key = row.String("routing_key");
    r.message.message.message_id = row.String("message_id");
    r.message.message.correlation_id = row.OptionalString("correlation_id").value_or("");
    r.message.message.type = row.String("type");
    r.message.message.timestamp = row.OptionalInt64("ts").value_or(0);
    r.message.message.headers = HeadersFromJson(row.String("headers"));
    r.message.message.body = row.String("body");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string HeadersToJson(const Headers& headers) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [key, value] : headers) {
    std::visit([&](const auto& v) { json[key] = v; }, value);
  }
  return json.dump();
}

Headers HeadersFromJson(std::string_view text) {
  Headers headers;
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return headers;
  for (const auto& [key, value] : json.items()) {
    if (value.is_number_integer()) {
      headers.emplace(key, value.get<std::int64_t>());
    } else if (value.is_string()) {
      headers.emplace(key, value.get<std::string>());
    }
  }
  return headers;
}

DbMessageStore::DbMessageStore(std::unique_ptr<infra::db::Connection> connection)
    : connection_(std::move(connection)) {}

Result<std::uint64_t> DbMessageStore::Execute(std::string_view sql, const Params& params) {
  if (work_.transaction && work_.transaction->IsOpen())
    return work_.transaction->Execute(sql, params);
  return connection_->Execute(sql, params);
}

Result<Rows> DbMessageStore::Query(std::string_view sql, const Params& params) {
  if (work_.transaction && work_.transaction->IsOpen())
    return work_.transaction->Query(sql, params);
  return connection_->Query(sql, params);
}

Result<std::vector<bool>> DbMessageStore::InboxContains(std::string_view consumer,
                                                        std::span<const std::string> ids) {
  std::vector<bool> found(ids.size(), false);
  if (ids.empty()) return found;
  Params params;
  params.reserve(ids.size() + 1);
  params.emplace_back(consumer);
  for (const auto& id : ids) params.emplace_back(id);
  auto rows = Query("SELECT message_id FROM inbox WHERE consumer = ? AND message_id IN (" +
                        Placeholders(ids.size(), "?") + ")",
                    params);
  if (!rows.ok()) return rows.error();
  for (const auto& row : *rows) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == row.String(0)) found[i] = true;
    }
  }
  return found;
}

Result<UnitOfWork*> DbMessageStore::Begin() {
  work_.transaction.reset();
  auto begun = connection_->Begin(infra::db::IsolationLevel::kReadCommitted);
  if (!begun.ok()) return begun.error();
  work_.transaction.emplace(std::move(begun).value());
  return static_cast<UnitOfWork*>(&work_);
}

Result<std::vector<bool>> DbMessageStore::InsertInbox(std::string_view consumer,
                                                      std::span<const std::string> ids) {
  std::vector<bool> fresh(ids.size(), true);
  if (ids.empty()) return fresh;
  if (!inbox_row_by_row_ || ids.size() == 1) {
    Params params;
    params.reserve(ids.size() * 2);
    for (const auto& id : ids) {
      params.emplace_back(consumer);
      params.emplace_back(id);
    }
    const std::string sql = "INSERT IGNORE INTO inbox (consumer, message_id, received_at) VALUES " +
                            Placeholders(ids.size(), "(?,?,NOW(6))");
    auto inserted = Execute(sql, params);
    if (!inserted.ok()) return inserted.error();
    if (*inserted == ids.size()) return fresh;
    if (ids.size() == 1) return std::vector<bool>{false};
    inbox_row_by_row_ = true;
    return Error::RetryTransaction("INBOX_DUPLICATE_IN_BATCH",
                                   "a batch held a duplicate; rerunning row by row");
  }
  inbox_row_by_row_ = false;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto inserted =
        Execute("INSERT IGNORE INTO inbox (consumer, message_id, received_at) VALUES (?,?,NOW(6))",
                {consumer, ids[i]});
    if (!inserted.ok()) return inserted.error();
    fresh[i] = *inserted == 1;
  }
  return fresh;
}

Result<std::vector<OutboxRecord>> DbMessageStore::InsertOutbox(
    std::string_view consumer, std::span<const OutboxRecord> records) {
  std::vector<OutboxRecord> out(records.begin(), records.end());
  if (out.empty()) return out;
  Params params;
  params.reserve(out.size() * 9);
  for (const auto& r : out) {
    const WireMessage& m = r.message.message;
    params.emplace_back(m.message_id);
    params.emplace_back(consumer);
    params.emplace_back(r.caused_by);
    params.emplace_back(r.message.exchange);
    params.emplace_back(r.message.routing_key);
    params.emplace_back(m.type);
    params.emplace_back(m.correlation_id);
    params.emplace_back(HeadersToJson(m.headers));
    params.emplace_back(m.body);
  }
  const std::string sql =
      "INSERT INTO outbox (message_id, source_consumer, source_message_id, exchange, "
      "routing_key, type, correlation_id, headers, body, created_at) VALUES " +
      Placeholders(out.size(), "(?,?,?,?,?,?,?,?,?,NOW(6))");
  auto inserted = Execute(sql, params);
  if (!inserted.ok()) return inserted.error();
  return out;
}

domain::Status DbMessageStore::Commit() {
  if (!work_.transaction) return Error::Permanent("DB_MISUSE", "no open unit");
  auto committed = work_.transaction->Commit();
  work_.transaction.reset();
  return committed;
}

void DbMessageStore::Rollback() {
  if (work_.transaction && work_.transaction->IsOpen()) (void)work_.transaction->Rollback();
  work_.transaction.reset();
}

Result<std::vector<OutboxRecord>> DbMessageStore::Unpublished(
    std::string_view consumer, std::span<const std::string> caused_by) {
  if (caused_by.empty()) return std::vector<OutboxRecord>{};
  Params params{consumer};
  for (const auto& id : caused_by) params.emplace_back(id);
  auto rows = Query("SELECT " + std::string(kOutboxColumns) +
                        " FROM outbox WHERE source_consumer = ? AND published_at IS NULL AND "
                        "source_message_id IN (" +
                        Placeholders(caused_by.size(), "?") + ") ORDER BY id",
                    params);
  if (!rows.ok()) return rows.error();
  return RecordsFrom(*rows);
}

domain::Status DbMessageStore::MarkPublished(std::span<const std::string> message_ids) {
  if (message_ids.empty()) return domain::Ok();
  Params params(message_ids.begin(), message_ids.end());
  auto updated = Execute(
      "UPDATE outbox SET published_at = NOW(6) WHERE published_at IS NULL AND message_id IN (" +
          Placeholders(message_ids.size(), "?") + ")",
      params);
  if (!updated.ok()) return updated.error();
  return domain::Ok();
}

Result<std::vector<OutboxRecord>> DbMessageStore::ClaimUnpublished(std::chrono::seconds min_age,
                                                                   std::size_t limit) {
  auto rows = Query("SELECT " + std::string(kOutboxColumns) +
                        " FROM outbox WHERE published_at IS NULL AND created_at < NOW(6) - "
                        "INTERVAL ? SECOND ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
                    {static_cast<std::int64_t>(min_age.count()), static_cast<std::int64_t>(limit)});
  if (!rows.ok()) return rows.error();
  return RecordsFrom(*rows);
}

Result<MessageStore::Backlog> DbMessageStore::OutboxBacklog() {
  auto rows = Query(
      "SELECT COUNT(*) AS n, COALESCE(TIMESTAMPDIFF(SECOND, MIN(created_at), NOW(6)), 0) AS age "
      "FROM outbox WHERE published_at IS NULL",
      {});
  if (!rows.ok()) return rows.error();
  return Backlog{rows->front().Int64("n"), rows->front().Int64("age")};
}

Result<std::int64_t> DbMessageStore::Purge(std::chrono::seconds retention, std::size_t limit) {
  const auto seconds = static_cast<std::int64_t>(retention.count());
  const auto max_rows = static_cast<std::int64_t>(limit);
  auto outbox = Execute(
      "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < NOW(6) - "
      "INTERVAL ? SECOND LIMIT ?",
      {seconds, max_rows});
  if (!outbox.ok()) return outbox.error();
  auto inbox = Execute("DELETE FROM inbox WHERE received_at < NOW(6) - INTERVAL ? SECOND LIMIT ?",
                       {seconds, max_rows});
  if (!inbox.ok()) return inbox.error();
  return static_cast<std::int64_t>(*outbox + *inbox);
}

}  // namespace paypipe::runtime
