#include "paypipe/sim/idempotency.hpp"

#include <functional>

namespace paypipe::sim {

IdempotencyStore::IdempotencyStore(const Clock& clock, std::chrono::seconds retention)
    : clock_(clock), retention_(retention) {}

IdempotencyStore::Shard& IdempotencyStore::ShardOf(const std::string& scope) {
  return shards_[std::hash<std::string>{}(scope) % kShards];
}

IdempotencyBegin IdempotencyStore::Begin(const std::string& scope) {
  Shard& shard = ShardOf(scope);
  const TimePoint now = clock_.Now();
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.entries.try_emplace(scope);
  Entry& entry = it->second;
  if (!inserted && now - entry.started_at < retention_) {
    if (!entry.done) return {IdempotencyState::kInFlight, std::nullopt};
    return {IdempotencyState::kReplay, entry.response};
  }
  // New, or so old that the provider has forgotten it.
  entry = Entry{false, {}, now};
  return {IdempotencyState::kNew, std::nullopt};
}

void IdempotencyStore::Complete(const std::string& scope, infra::http::Response response) {
  Shard& shard = ShardOf(scope);
  std::lock_guard lock(shard.mutex);
  Entry& entry = shard.entries[scope];
  entry.done = true;
  entry.response = std::move(response);
}

void IdempotencyStore::Abandon(const std::string& scope) {
  Shard& shard = ShardOf(scope);
  std::lock_guard lock(shard.mutex);
  shard.entries.erase(scope);
}

void IdempotencyStore::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.entries.clear();
  }
}

std::size_t IdempotencyStore::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace paypipe::sim
