#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "paypipe/infra/http/message.hpp"
#include "paypipe/infra/http_server/handler.hpp"

namespace paypipe::infra::http_server::internal {

class Connection;
class EventLoop;
class Mailbox;

// One request awaiting its response. Shared by the connection's pipeline, every Responder copy
// and, briefly, the loop's mailbox.
struct Exchange {
  // Set by the first completion, on whichever thread.
  std::atomic<bool> completed{false};
  // Live Responder copies; the last one to go answers 500 if nobody responded.
  std::atomic<int> responder_handles{0};
  // Written by the completing thread before it is published through the mailbox (whose mutex
  // orders the write before the loop's read) or, on the loop thread itself, directly.
  http::Response response;

  // Exactly one of the two routes a completion takes.
  std::shared_ptr<Mailbox> mailbox;                 // server exchanges
  std::function<void(http::Response)> on_complete;  // Responder::WithCallback

  // Loop thread only.
  Connection* connection = nullptr;  // cleared when the connection closes or writes the response
  bool ready = false;                // response may be written
  std::uint64_t dispatched_at = 0;   // loop time the handler was called
  bool head_request = false;
  bool keep_alive = true;
  bool http_1_0 = false;
};

struct ExchangeAccess {
  [[nodiscard]] static Responder MakeResponder(std::shared_ptr<Exchange> exchange) {
    return Responder(std::move(exchange));
  }
};

// Carries completions from any thread to one event loop. Completions made on the loop thread
// itself are applied at once; others are queued and the loop is woken once per batch.
class Mailbox {
 public:
  Mailbox(EventLoop& loop, uv_async_t& wakeup) : loop_(loop), wakeup_(wakeup) {}

  // Records the loop's thread; called first thing on that thread.
  void BindToCurrentThread();

  // Any thread.
  void Deliver(std::shared_ptr<Exchange> exchange);
  // Any thread: wakes the loop unless it has shut down.
  void Wake();
  // Loop thread: takes every queued completion.
  [[nodiscard]] std::vector<std::shared_ptr<Exchange>> Take();
  // Loop thread, before the wake-up handle is closed: later deliveries are dropped.
  void Close();

 private:
  EventLoop& loop_;
  uv_async_t& wakeup_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Exchange>> queue_;
  std::thread::id loop_thread_;
  bool closed_ = false;
};

// Completes an exchange from any thread. Returns false when it had already been completed.
bool CompleteExchange(const std::shared_ptr<Exchange>& exchange, http::Response response);

}  // namespace paypipe::infra::http_server::internal
