#include "paypipe/runtime/outbox_relay.hpp"

#include <thread>

namespace paypipe::runtime {

OutboxRelay::OutboxRelay(Publisher& publisher, StoreFactory store_factory, RelayOptions options,
                         RelayStats& stats)
    : publisher_(publisher),
      store_factory_(std::move(store_factory)),
      options_(options),
      stats_(stats) {}

domain::Result<MessageStore*> OutboxRelay::Store() {
  if (!store_) {
    auto made = store_factory_();
    if (!made.ok()) return made.error();
    store_ = std::move(made).value();
  }
  return store_.get();
}

domain::Result<std::size_t> OutboxRelay::SweepOnce() {
  auto store = Store();
  if (!store.ok()) return store.error();
  MessageStore& db = **store;
  auto fail = [&](const domain::Error& error) -> domain::Result<std::size_t> {
    db.Rollback();
    store_.reset();
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
    return error;
  };
  if (auto backlog = db.OutboxBacklog(); backlog.ok()) {
    stats_.backlog.store(backlog->unpublished, std::memory_order_relaxed);
    stats_.oldest_age_seconds.store(backlog->oldest_age_seconds, std::memory_order_relaxed);
  } else {
    return fail(backlog.error());
  }
  if (auto begun = db.Begin(); !begun.ok()) return fail(begun.error());
  auto rows = db.ClaimUnpublished(options_.min_age, options_.batch);
  if (!rows.ok()) return fail(rows.error());
  if (rows->empty()) {
    db.Rollback();
    return std::size_t{0};
  }
  std::vector<OutboundMessage> messages;
  messages.reserve(rows->size());
  for (const auto& row : *rows) messages.push_back(row.message);
  const auto statuses = publisher_.PublishConfirmed(messages);
  std::vector<std::string> confirmed;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].ok()) {
      confirmed.push_back((*rows)[i].message.message.message_id);
    } else {
      stats_.failures.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!confirmed.empty()) {
    if (auto marked = db.MarkPublished(confirmed); !marked.ok()) return fail(marked.error());
  }
  if (auto committed = db.Commit(); !committed.ok()) return fail(committed.error());
  stats_.published.fetch_add(confirmed.size(), std::memory_order_relaxed);
  return confirmed.size();
}

domain::Result<std::int64_t> OutboxRelay::PurgeOnce() {
  auto store = Store();
  if (!store.ok()) return store.error();
  auto purged = (*store)->Purge(options_.retention, options_.purge_limit);
  if (!purged.ok()) {
    store_.reset();
    return purged.error();
  }
  stats_.purged.fetch_add(static_cast<std::uint64_t>(*purged), std::memory_order_relaxed);
  return purged;
}

void OutboxRelay::Run(const std::atomic<bool>& stop) {
  auto next_purge = std::chrono::steady_clock::now() + options_.purge_interval;
  while (!stop.load(std::memory_order_relaxed)) {
    auto swept = SweepOnce();
    if (std::chrono::steady_clock::now() >= next_purge) {
      (void)PurgeOnce();
      next_purge = std::chrono::steady_clock::now() + options_.purge_interval;
    }
    if (swept.ok() && *swept == options_.batch) continue;  // more waiting: sweep again now
    const auto until = std::chrono::steady_clock::now() + options_.interval;
    while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace paypipe::runtime
