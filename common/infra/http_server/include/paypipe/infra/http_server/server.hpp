#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http_server/handler.hpp"

namespace paypipe::infra::http_server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // numeric address or a name resolved once at start
  std::uint16_t port = 0;          // 0: the kernel picks one, see Server::port()

  // Event loops, one thread each. With more than one, every loop owns its own listening socket
  // on the same port (SO_REUSEPORT) and the kernel spreads new connections across them.
  int loop_threads = 1;
  int listen_backlog = 1024;

  // Connections over this many are accepted and closed at once (counted as rejected).
  std::size_t max_connections = 16384;

  // Request line plus header lines, in bytes; over it: 431.
  std::size_t max_head_bytes = std::size_t{16} << 10;
  // Header lines per request; over it: 431.
  std::size_t max_header_count = 100;
  // Body bytes; over it: 413 (at once from Content-Length, or when a chunked body crosses it).
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // Requests of one connection that may await their response at the same time. Beyond it the
  // server stops reading that connection until responses have gone out.
  std::size_t max_pipelined_requests = 16;

  // A request's line and headers must arrive within this (from its first byte, or from accept
  // for a new connection); otherwise 408 and close.
  std::chrono::milliseconds header_timeout{10'000};
  // The whole body must arrive within this after the headers; otherwise 408 and close.
  std::chrono::milliseconds body_timeout{30'000};
  // A keep-alive connection with nothing in flight is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  // A request whose handler has not answered within this is answered 503 (HANDLER_TIMEOUT), so
  // that a lost responder cannot hold a connection and its pipeline forever. The handler's late
  // answer is then ignored.
  std::chrono::milliseconds handler_timeout{30'000};
  // A response the client does not read for this long closes the connection.
  std::chrono::milliseconds write_timeout{30'000};
  // After a final response (error, Connection: close) the server half-closes and discards what
  // the client still sends for at most this long, so that the client sees the response instead of
  // a reset.
  std::chrono::milliseconds linger_timeout{2'000};
};

// Counters since start; a snapshot summed over all loops.
struct ServerStats {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_rejected = 0;             // over max_connections
  std::uint64_t requests = 0;                         // complete requests handed to the handler
  std::array<std::uint64_t, 5> responses_by_class{};  // [0] 1xx, [1] 2xx, ... [4] 5xx
  std::uint64_t header_timeouts = 0;
  std::uint64_t body_timeouts = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t write_timeouts = 0;
  std::uint64_t handler_timeouts = 0;  // answered 503
  std::uint64_t parse_errors = 0;      // answered 400
  std::uint64_t oversize_heads = 0;    // answered 431
  std::uint64_t oversize_bodies = 0;   // answered 413
  std::uint64_t handler_exceptions = 0;
  std::uint64_t responses_dropped = 0;  // completed after their connection had closed

  [[nodiscard]] std::uint64_t responses(int status_class) const {
    return status_class >= 1 && status_class <= 5
               ? responses_by_class[static_cast<std::size_t>(status_class - 1)]
               : 0;
  }
};

namespace internal {
class ServerCore;
}

// HTTP/1.1 server: keep-alive, pipelining (answered in order), HTTP/1.0, size limits and
// slow-client timeouts, handlers completing on any thread.
//
// Thread safety: stats() and port() may be called from any thread. Stop() may be called from any
// thread except the server's own loop threads (that is, never from a handler).
class Server {
 public:
  // Binds, listens and starts the loop threads. Fails (Permanent) on bad options or when the
  // address cannot be bound. Sets SIGPIPE to ignored for the process: a peer that resets while a
  // response is being written must cost one connection, not the process.
  [[nodiscard]] static domain::Result<std::unique_ptr<Server>> Start(ServerOptions options,
                                                                     Handler handler);

  // Stops with no grace period if Stop has not been called.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  // The bound port (the kernel's pick when ServerOptions::port was 0).
  [[nodiscard]] std::uint16_t port() const;

  // Graceful stop: stops accepting, closes idle connections, lets requests already received (or
  // being received) be answered with Connection: close, and force-closes whatever is left when
  // `grace` runs out. Blocks until every loop thread has exited. Idempotent.
  void Stop(std::chrono::milliseconds grace);

  [[nodiscard]] ServerStats stats() const;

 private:
  explicit Server(std::unique_ptr<internal::ServerCore> core);

  std::unique_ptr<internal::ServerCore> core_;
};

}  // namespace paypipe::infra::http_server
