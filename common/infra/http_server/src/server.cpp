#include "paypipe/infra/http_server/server.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <csignal>
#include <cstring>
#include <exception>
#include <mutex>
#include <vector>

#include "event_loop.hpp"

namespace paypipe::infra::http_server {

namespace internal {

class ServerCore {
 public:
  ServerShared shared;
  std::vector<std::unique_ptr<EventLoop>> loops;  // destroyed before `shared`
  std::uint16_t port = 0;
  std::mutex stop_mutex;
  bool stopped = false;
};

}  // namespace internal

namespace {

domain::Error BadOptions(std::string message) {
  return domain::Error::Permanent("HTTP_SERVER_BAD_OPTIONS", std::move(message));
}

domain::Status Validate(const ServerOptions& options) {
  if (options.loop_threads < 1 || options.loop_threads > 64) {
    return BadOptions("loop_threads must be within 1..64");
  }
  if (options.listen_backlog < 1) return BadOptions("listen_backlog must be positive");
  if (options.max_connections == 0 || options.max_head_bytes == 0 ||
      options.max_header_count == 0 || options.max_pipelined_requests == 0) {
    return BadOptions("size and count limits must be positive");
  }
  if (options.header_timeout.count() <= 0 || options.body_timeout.count() <= 0 ||
      options.idle_timeout.count() <= 0 || options.write_timeout.count() <= 0 ||
      options.handler_timeout.count() <= 0 || options.linger_timeout.count() < 0) {
    return BadOptions("timeouts must be positive");
  }
  return domain::Ok();
}

domain::Result<sockaddr_storage> Resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return domain::Error::Permanent("HTTP_LISTEN_FAILED",
                                    "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return address;
}

void SetPort(sockaddr_storage& address, std::uint16_t port) {
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
  }
}

}  // namespace

domain::Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  PAYPIPE_RETURN_IF_ERROR(Validate(options));
  if (!handler) return BadOptions("handler is empty");
  auto address = Resolve(options.host, options.port);
  if (!address.ok()) return address.error();

  // libuv writes with write(2): a peer that resets mid-response would otherwise raise SIGPIPE
  // and kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  auto core = std::make_unique<internal::ServerCore>();
  core->shared.options = std::move(options);
  core->shared.handler = std::move(handler);
  const int loop_count = core->shared.options.loop_threads;
  try {
    for (int i = 0; i < loop_count; ++i) {
      core->loops.push_back(std::make_unique<internal::EventLoop>(core->shared, i));
    }
  } catch (const std::exception& e) {
    return domain::Error::Permanent("HTTP_LISTEN_FAILED", e.what());
  }
  // The first loop binds the requested port (maybe 0); the others join the port it got.
  for (int i = 0; i < loop_count; ++i) {
    if (i > 0) SetPort(*address, core->port);
    PAYPIPE_RETURN_IF_ERROR(core->loops[static_cast<std::size_t>(i)]->Listen(
        reinterpret_cast<const sockaddr*>(&*address), loop_count > 1));
    if (i == 0) core->port = core->loops[0]->BoundPort();
  }
  for (auto& loop : core->loops) loop->Start();
  return std::unique_ptr<Server>(new Server(std::move(core)));
}

Server::Server(std::unique_ptr<internal::ServerCore> core) : core_(std::move(core)) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

std::uint16_t Server::port() const { return core_->port; }

void Server::Stop(std::chrono::milliseconds grace) {
  const std::lock_guard lock(core_->stop_mutex);
  if (core_->stopped) return;
  core_->stopped = true;
  for (auto& loop : core_->loops) loop->RequestStop(grace);
  for (auto& loop : core_->loops) loop->Join();
}

ServerStats Server::stats() const {
  ServerStats stats;
  for (const auto& loop : core_->loops) loop->stats().AddTo(stats);
  stats.connections_open = core_->shared.open_connections.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace paypipe::infra::http_server
