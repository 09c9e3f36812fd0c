#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "paypipe/infra/http/message.hpp"
#include "paypipe/sim/clock.hpp"

namespace paypipe::sim {

enum class IdempotencyState {
  kNew,       // first use: the caller executes the request and then completes or abandons
  kInFlight,  // the first request with this key is still running
  kReplay,    // finished before: answer the stored response, do not execute again
};

struct IdempotencyBegin {
  IdempotencyState state = IdempotencyState::kNew;
  std::optional<infra::http::Response> replay;
};

// Remembers requests by their idempotency scope (provider-specific: for Toss the API key, method,
// URL and Idempotency-Key; the body is deliberately not part of it) for `retention`. Only applied
// requests are completed; a request that was not applied is abandoned so that a retry with the
// same key executes. Thread-safe; sharded so that concurrent keys rarely share a lock.
class IdempotencyStore {
 public:
  IdempotencyStore(const Clock& clock, std::chrono::seconds retention);

  [[nodiscard]] IdempotencyBegin Begin(const std::string& scope);
  void Complete(const std::string& scope, infra::http::Response response);
  void Abandon(const std::string& scope);
  void Clear();
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    bool done = false;
    infra::http::Response response;
    TimePoint started_at;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };
  static constexpr std::size_t kShards = 16;

  [[nodiscard]] Shard& ShardOf(const std::string& scope);

  const Clock& clock_;
  const std::chrono::seconds retention_;
  std::array<Shard, kShards> shards_;
};

}  // namespace paypipe::sim
