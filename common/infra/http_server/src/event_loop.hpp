#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exchange.hpp"
#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http_server/handler.hpp"
#include "paypipe/infra/http_server/server.hpp"

namespace paypipe::infra::http_server::internal {

class Connection;

// Read-only after start, apart from the atomics.
struct ServerShared {
  ServerOptions options;
  Handler handler;
  std::atomic<std::size_t> open_connections{0};
};

// Counters of one loop. Written by the loop thread only; relaxed atomics so that stats() may read
// them from anywhere.
struct alignas(64) LoopStats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_rejected{0};
  std::atomic<std::uint64_t> requests{0};
  std::array<std::atomic<std::uint64_t>, 5> responses_by_class{};
  std::atomic<std::uint64_t> header_timeouts{0};
  std::atomic<std::uint64_t> body_timeouts{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> write_timeouts{0};
  std::atomic<std::uint64_t> handler_timeouts{0};
  std::atomic<std::uint64_t> parse_errors{0};
  std::atomic<std::uint64_t> oversize_heads{0};
  std::atomic<std::uint64_t> oversize_bodies{0};
  std::atomic<std::uint64_t> handler_exceptions{0};
  std::atomic<std::uint64_t> responses_dropped{0};

  static void Bump(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  void AddTo(ServerStats& stats) const;
};

// One libuv loop on its own thread with its own listening socket. Owns every handle it creates;
// each is freed in its uv_close callback.
class EventLoop {
 public:
  EventLoop(ServerShared& shared, int index);
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Before Start, on the starting thread.
  [[nodiscard]] domain::Status Listen(const sockaddr* address, bool reuse_port);
  [[nodiscard]] std::uint16_t BoundPort() const;
  void Start();

  // Any thread: begins the graceful stop; the loop thread exits once every connection is gone.
  void RequestStop(std::chrono::milliseconds grace);
  void Join();

  // Loop thread.
  [[nodiscard]] uv_loop_t* uv() { return &loop_; }
  [[nodiscard]] const ServerOptions& options() const { return shared_.options; }
  [[nodiscard]] LoopStats& stats() { return stats_; }
  [[nodiscard]] const LoopStats& stats() const { return stats_; }
  [[nodiscard]] const std::shared_ptr<Mailbox>& mailbox() const { return mailbox_; }
  [[nodiscard]] bool stopping() const { return stopping_; }
  [[nodiscard]] std::uint64_t Now() const { return uv_now(&loop_); }
  // The current HTTP Date header value, refreshed at most once a second.
  [[nodiscard]] std::string_view HttpDate();
  // The loop's read buffer: data is parsed inside the read callback, so one buffer serves every
  // connection and an idle connection holds none.
  [[nodiscard]] uv_buf_t ReadBuffer() {
    return uv_buf_init(read_buffer_.data(), static_cast<unsigned>(read_buffer_.size()));
  }

  void Dispatch(http::Request request, Responder responder);
  void CompleteOnLoop(const std::shared_ptr<Exchange>& exchange);
  void OnConnectionClosed(Connection& connection, bool counted);

 private:
  static constexpr std::size_t kReadBufferSize = std::size_t{64} << 10;

  static void OnNewConnection(uv_stream_t* listener, int status);
  static void OnWakeup(uv_async_t* handle);
  static void OnStopDeadline(uv_timer_t* handle);

  void Run();
  void AcceptOne();
  void DrainMailbox();
  void BeginStop();
  void FinishIfDrained();
  void CloseLoopHandles();

  ServerShared& shared_;
  int index_;
  uv_loop_t loop_{};
  uv_tcp_t* listener_ = nullptr;
  uv_async_t* wakeup_ = nullptr;
  uv_timer_t* stop_timer_ = nullptr;
  std::shared_ptr<Mailbox> mailbox_;
  std::vector<char> read_buffer_;
  LoopStats stats_;

  // Intrusive list of live connections (loop thread only).
  Connection* connections_ = nullptr;
  std::size_t connection_count_ = 0;

  std::atomic<bool> stop_requested_{false};
  std::atomic<std::int64_t> stop_grace_ms_{0};
  bool stopping_ = false;
  bool handles_closed_ = false;
  bool started_ = false;

  std::string date_;
  std::uint64_t date_refreshed_at_ = 0;
  bool date_valid_ = false;

  std::thread thread_;

  friend class Connection;
};

// uv_close for a heap-allocated handle, deleted in the close callback.
template <typename Handle>
void CloseAndDelete(Handle* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
}

}  // namespace paypipe::infra::http_server::internal
