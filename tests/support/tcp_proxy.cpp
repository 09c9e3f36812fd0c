#include "paypipe/testing/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace paypipe::testing {
namespace {

constexpr int kPollMillis = 50;

int ConnectTo(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* info = found; info != nullptr; info = info->ai_next) {
    fd = socket(info->ai_family, info->ai_socktype, info->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, info->ai_addr, info->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  return fd;
}

bool SendAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

void Cut(int fd) {
  // RST rather than FIN: the peer sees the connection die, as after a crash.
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  close(fd);
}

}  // namespace

TcpProxy::TcpProxy(std::string target_host, std::uint16_t target_port)
    : target_host_(std::move(target_host)), target_port_(target_port) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0) throw std::runtime_error("TcpProxy: socket() failed");
  const int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener_, 16) != 0) {
    close(listener_);
    throw std::runtime_error(std::string("TcpProxy: cannot listen: ") + std::strerror(errno));
  }
  socklen_t length = sizeof(address);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  close(listener_);
  std::vector<std::thread> relays;
  {
    std::lock_guard lock(mutex_);
    relays.swap(relays_);
  }
  for (auto& relay : relays) relay.join();
}

void TcpProxy::CutOnClientBytes(std::string needle, CutMode mode) {
  std::lock_guard lock(mutex_);
  needle_ = std::move(needle);
  mode_ = mode;
  armed_ = true;
}

bool TcpProxy::ShouldCut(const char* data, std::size_t size, CutMode& mode) {
  std::lock_guard lock(mutex_);
  if (!armed_ || std::string_view(data, size).find(needle_) == std::string_view::npos) {
    return false;
  }
  armed_ = false;
  mode = mode_;
  return true;
}

void TcpProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (poll(&ready, 1, kPollMillis) <= 0) continue;
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    if (down_) {
      Cut(client);
      continue;
    }
    const int server = ConnectTo(target_host_, target_port_);
    if (server < 0) {
      Cut(client);
      continue;
    }
    std::lock_guard lock(mutex_);
    relays_.emplace_back([this, client, server] { Relay(client, server); });
  }
}

void TcpProxy::Relay(int client, int server) {
  std::array<char, 16384> buffer{};
  bool open = true;
  while (open && !stopping_ && !down_) {
    std::array<pollfd, 2> fds = {{{client, POLLIN, 0}, {server, POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), kPollMillis) <= 0) continue;
    if (fds[0].revents != 0) {
      const ssize_t got = recv(client, buffer.data(), buffer.size(), 0);
      if (got <= 0) break;
      const auto size = static_cast<std::size_t>(got);
      CutMode mode = CutMode::kBeforeForwarding;
      if (ShouldCut(buffer.data(), size, mode)) {
        if (mode == CutMode::kAfterServerReply && SendAll(server, buffer.data(), size)) {
          pollfd reply{server, POLLIN, 0};
          if (poll(&reply, 1, 10000) > 0) (void)recv(server, buffer.data(), buffer.size(), 0);
        }
        fired_ = true;
        break;
      }
      open = SendAll(server, buffer.data(), size);
    }
    if (open && fds[1].revents != 0) {
      const ssize_t got = recv(server, buffer.data(), buffer.size(), 0);
      if (got <= 0) break;
      if (const auto delay = reply_delay_ms_.load(); delay > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      }
      open = SendAll(client, buffer.data(), static_cast<std::size_t>(got));
    }
  }
  Cut(client);
  close(server);
}

}  // namespace paypipe::testing
