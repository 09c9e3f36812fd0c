#include "event_loop.hpp"

#include <pthread.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "connection.hpp"
#include "response_writer.hpp"

namespace paypipe::infra::http_server::internal {
namespace {

std::string UvError(std::string_view what, int rc) {
  return std::string(what) + ": " + uv_strerror(rc);
}

}  // namespace

void LoopStats::AddTo(ServerStats& stats) const {
  const auto get = [](const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  stats.connections_accepted += get(connections_accepted);
  stats.connections_rejected += get(connections_rejected);
  stats.requests += get(requests);
  for (std::size_t i = 0; i < responses_by_class.size(); ++i) {
    stats.responses_by_class[i] += get(responses_by_class[i]);
  }
  stats.header_timeouts += get(header_timeouts);
  stats.body_timeouts += get(body_timeouts);
  stats.idle_timeouts += get(idle_timeouts);
  stats.write_timeouts += get(write_timeouts);
  stats.handler_timeouts += get(handler_timeouts);
  stats.parse_errors += get(parse_errors);
  stats.oversize_heads += get(oversize_heads);
  stats.oversize_bodies += get(oversize_bodies);
  stats.handler_exceptions += get(handler_exceptions);
  stats.responses_dropped += get(responses_dropped);
}

EventLoop::EventLoop(ServerShared& shared, int index)
    : shared_(shared), index_(index), read_buffer_(kReadBufferSize) {
  if (const int rc = uv_loop_init(&loop_); rc != 0) {
    throw std::runtime_error(UvError("uv_loop_init", rc));
  }
  // Neither init can fail on an initialised loop.
  wakeup_ = new uv_async_t;
  uv_async_init(&loop_, wakeup_, &EventLoop::OnWakeup);
  wakeup_->data = this;
  stop_timer_ = new uv_timer_t;
  uv_timer_init(&loop_, stop_timer_);
  stop_timer_->data = this;
  mailbox_ = std::make_shared<Mailbox>(*this, *wakeup_);
}

EventLoop::~EventLoop() {
  Join();
  // A loop that never ran (or failed to start) still owns its handles; close them and let
  // uv_run deliver the close callbacks, which free them.
  if (!handles_closed_) CloseLoopHandles();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

domain::Status EventLoop::Listen(const sockaddr* address, bool reuse_port) {
  listener_ = new uv_tcp_t;
  if (const int rc = uv_tcp_init_ex(&loop_, listener_, address->sa_family); rc != 0) {
    delete listener_;  // never initialised: not a handle of the loop
    listener_ = nullptr;
    return domain::Error::Permanent("HTTP_LISTEN_FAILED", UvError("socket", rc));
  }
  listener_->data = this;
  if (reuse_port) {
    uv_os_fd_t fd = -1;
    const int one = 1;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(listener_), &fd) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return domain::Error::Permanent("HTTP_LISTEN_FAILED",
                                      std::string("SO_REUSEPORT: ") + std::strerror(errno));
    }
  }
  if (const int rc = uv_tcp_bind(listener_, address, 0); rc != 0) {
    return domain::Error::Permanent("HTTP_LISTEN_FAILED", UvError("bind", rc));
  }
  if (const int rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_),
                               shared_.options.listen_backlog, &EventLoop::OnNewConnection);
      rc != 0) {
    return domain::Error::Permanent("HTTP_LISTEN_FAILED", UvError("listen", rc));
  }
  return domain::Ok();
}

std::uint16_t EventLoop::BoundPort() const {
  sockaddr_storage storage{};
  int length = sizeof(storage);
  if (listener_ == nullptr ||
      uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return 0;
  }
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

void EventLoop::Start() {
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Run() {
  const std::string name = "http-loop-" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.c_str());
  mailbox_->BindToCurrentThread();
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void EventLoop::RequestStop(std::chrono::milliseconds grace) {
  stop_grace_ms_.store(std::max<std::int64_t>(0, grace.count()), std::memory_order_relaxed);
  stop_requested_.store(true, std::memory_order_release);
  mailbox_->Wake();
}

void EventLoop::Join() {
  if (thread_.joinable()) thread_.join();
}

std::string_view EventLoop::HttpDate() {
  const std::uint64_t now = Now();
  if (date_valid_ && now - date_refreshed_at_ < 1000) return date_;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 40> buffer{};
  const int n = std::snprintf(buffer.data(), buffer.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              kDays.at(static_cast<std::size_t>(utc.tm_wday) % 7), utc.tm_mday,
                              kMonths.at(static_cast<std::size_t>(utc.tm_mon) % 12),
                              utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  date_.assign(buffer.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
  date_refreshed_at_ = now;
  date_valid_ = true;
  return date_;
}

void EventLoop::Dispatch(http::Request request, Responder responder) {
  Responder keep = responder;  // to answer for a handler that throws
  try {
    shared_.handler(std::move(request), std::move(responder));
  } catch (...) {
    LoopStats::Bump(stats_.handler_exceptions);
    keep.Respond(ErrorResponse(500, "INTERNAL", "internal error"));
  }
}

void EventLoop::CompleteOnLoop(const std::shared_ptr<Exchange>& exchange) {
  if (exchange->connection == nullptr) {
    LoopStats::Bump(stats_.responses_dropped);
    return;
  }
  exchange->ready = true;
  exchange->connection->Pump();
}

void EventLoop::OnWakeup(uv_async_t* handle) {
  auto* self = static_cast<EventLoop*>(handle->data);
  self->DrainMailbox();
  if (self->stop_requested_.load(std::memory_order_acquire) && !self->stopping_) {
    self->BeginStop();
  }
}

void EventLoop::DrainMailbox() {
  const std::vector<std::shared_ptr<Exchange>> batch = mailbox_->Take();
  // Mark the whole batch first, so that one pass per connection writes every response that has
  // become ready in one go.
  for (const auto& exchange : batch) {
    if (exchange->connection == nullptr) {
      LoopStats::Bump(stats_.responses_dropped);
    } else {
      exchange->ready = true;
    }
  }
  for (const auto& exchange : batch) {
    if (exchange->connection != nullptr) exchange->connection->Pump();
  }
}

void EventLoop::OnNewConnection(uv_stream_t* listener, int status) {
  if (status < 0) return;  // e.g. EMFILE; libuv keeps listening
  static_cast<EventLoop*>(listener->data)->AcceptOne();
}

void EventLoop::AcceptOne() {
  auto* connection = new Connection(*this);
  connection->list_next_ = connections_;
  if (connections_ != nullptr) connections_->list_prev_ = connection;
  connections_ = connection;
  ++connection_count_;

  if (!connection->Accept(reinterpret_cast<uv_stream_t*>(listener_))) {
    connection->Close();
    return;
  }
  // Reserve a slot first so that loops accepting at the same moment cannot overshoot the cap.
  const std::size_t before = shared_.open_connections.fetch_add(1, std::memory_order_relaxed);
  if (before >= shared_.options.max_connections || stopping_) {
    shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
    LoopStats::Bump(stats_.connections_rejected);
    connection->Close();
    return;
  }
  connection->set_counted(true);
  LoopStats::Bump(stats_.connections_accepted);
  connection->StartServing();
}

void EventLoop::OnConnectionClosed(Connection& connection, bool counted) {
  if (connection.list_prev_ != nullptr) connection.list_prev_->list_next_ = connection.list_next_;
  if (connection.list_next_ != nullptr) connection.list_next_->list_prev_ = connection.list_prev_;
  if (connections_ == &connection) connections_ = connection.list_next_;
  connection.list_prev_ = connection.list_next_ = nullptr;
  --connection_count_;
  if (counted) shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
  FinishIfDrained();
}

void EventLoop::BeginStop() {
  stopping_ = true;
  if (listener_ != nullptr) {
    CloseAndDelete(listener_);
    listener_ = nullptr;
  }
  uv_timer_start(stop_timer_, &EventLoop::OnStopDeadline,
                 static_cast<std::uint64_t>(stop_grace_ms_.load(std::memory_order_relaxed)), 0);
  // Draining may close connections, which unlinks them; walk a copy. Closed connections are only
  // freed by later close callbacks, so the pointers stay valid during the walk.
  std::vector<Connection*> all;
  all.reserve(connection_count_);
  for (Connection* c = connections_; c != nullptr; c = c->list_next_) all.push_back(c);
  for (Connection* c : all) c->Drain();
  FinishIfDrained();
}

void EventLoop::OnStopDeadline(uv_timer_t* handle) {
  auto* self = static_cast<EventLoop*>(handle->data);
  std::vector<Connection*> all;
  all.reserve(self->connection_count_);
  for (Connection* c = self->connections_; c != nullptr; c = c->list_next_) all.push_back(c);
  for (Connection* c : all) c->Close();
  self->FinishIfDrained();
}

void EventLoop::FinishIfDrained() {
  if (stopping_ && connection_count_ == 0 && !handles_closed_) CloseLoopHandles();
}

void EventLoop::CloseLoopHandles() {
  handles_closed_ = true;
  mailbox_->Close();
  if (listener_ != nullptr) {
    CloseAndDelete(listener_);
    listener_ = nullptr;
  }
  CloseAndDelete(wakeup_);
  wakeup_ = nullptr;
  CloseAndDelete(stop_timer_);
  stop_timer_ = nullptr;
}

}  // namespace paypipe::infra::http_server::internal
