#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace paypipe::gateway {

// What one publisher thread knows of its broker connection.
enum class LinkState : std::uint8_t {
  kConnecting,  // the thread has not tried to connect yet
  kUp,          // connected
  kDown,        // the last connect failed or the connection was lost, and it is not back yet
};

// "connecting", "up", "down".
[[nodiscard]] const char* ToString(LinkState state);

// The publish pipeline's view of its broker connections, one per publisher thread: each thread
// reports its own, request threads read them all to decide at once whether a message can be
// published at all.
//
// The broker counts as down only when every connection is known down: while one is still
// making its first attempt, messages wait for it as they would for a slow broker.
//
// Thread safety: Report(i) only from thread i; everything else from any thread. Lock-free.
class BrokerLinks {
 public:
  explicit BrokerLinks(std::size_t count);

  void Report(std::size_t index, LinkState state);
  [[nodiscard]] LinkState state(std::size_t index) const;

  // At least one connection is up: the broker is reachable (readiness).
  [[nodiscard]] bool any_up() const;
  // Every connection is down: a message handed over now would only wait for its deadline, so
  // it is refused at once instead.
  [[nodiscard]] bool all_down() const;
  // Whether thread `index` should take queued messages: always with a live connection; without
  // one only when no other thread has one either (it then publishes what was queued before the
  // broker was known down, reconnecting within their deadlines). A thread that lost its
  // connection while another kept its own leaves the work to that one and just reconnects.
  [[nodiscard]] bool TakesWork(std::size_t index) const;

  [[nodiscard]] std::size_t size() const { return states_.size(); }

 private:
  // Sized once; never resized (atomics do not move).
  std::vector<std::atomic<LinkState>> states_;
};

}  // namespace paypipe::gateway
