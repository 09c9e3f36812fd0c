#pragma once

// Helpers for the HTTP integration tests: a raw blocking socket client that speaks exactly the
// bytes a test wants (pipelining, garbage, slow trickles) and a bounded wait for conditions.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "paypipe/infra/http/message.hpp"

namespace paypipe::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `condition` until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct RawResponse {
  int status = 0;
  infra::http::Headers headers;
  std::string body;
};

// A blocking TCP connection to 127.0.0.1 with deadline-bounded reads.
class RawConnection {
 public:
  RawConnection() = default;
  explicit RawConnection(std::uint16_t port) { Connect(port); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection(RawConnection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}
  RawConnection& operator=(RawConnection&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
      buffer_ = std::move(other.buffer_);
    }
    return *this;
  }
  ~RawConnection() { Close(); }

  bool Connect(std::uint16_t port) {
    Close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      Close();
      return false;
    }
    return true;
  }

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  [[nodiscard]] int fd() const { return fd_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Closes with a reset instead of an orderly close.
  void Abort() {
    if (fd_ < 0) return;
    const linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    Close();
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  // Reads one response (status line, headers, Content-Length body). Interim 1xx responses are
  // returned like any other. nullopt on timeout or when the peer closes first.
  std::optional<RawResponse> ReadResponse(std::chrono::milliseconds timeout = 5000ms,
                                          bool head_request = false) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto response = TryParse(head_request)) return response;
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  // True when the peer closes (EOF or reset) before `timeout`; bytes received meanwhile are
  // discarded.
  bool WaitClosed(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = Clock::now() + timeout;
    buffer_.clear();
    for (;;) {
      const int status = ReadSome(deadline);
      if (status == kClosed) return true;
      if (status == kTimedOut) return false;
      buffer_.clear();
    }
  }

  // Bytes received but not consumed by ReadResponse.
  [[nodiscard]] const std::string& buffered() const { return buffer_; }

 private:
  static constexpr int kData = 1;
  static constexpr int kClosed = 0;
  static constexpr int kTimedOut = -1;

  int ReadSome(Clock::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return kTimedOut;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return kTimedOut;
      char chunk[16384];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return kClosed;
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return kData;
    }
  }

  bool Fill(Clock::time_point deadline) { return ReadSome(deadline) == kData; }

  std::optional<RawResponse> TryParse(bool head_request) {
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    std::string_view head(buffer_.data(), end);
    RawResponse response;
    const auto line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
      const auto eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        response.headers.Add(std::string(line.substr(0, colon)), std::string(value));
      }
      if (eol == std::string_view::npos) break;
      rest.remove_prefix(eol + 2);
    }
    std::size_t length = 0;
    if (const auto cl = response.headers.Get("Content-Length"); cl && !head_request) {
      length = std::stoul(std::string(*cl));
    }
    const std::size_t total = end + 4 + length;
    if (buffer_.size() < total) return std::nullopt;
    response.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, total);
    return response;
  }

  int fd_ = -1;
  std::string buffer_;
};

// A request in wire form.
inline std::string RawRequest(std::string_view method, std::string_view target,
                              std::string_view body = {}, std::string_view extra_headers = {}) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: test\r\n");
  out.append(extra_headers);
  if (!body.empty() || method == "POST") {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

// Runs jobs on one thread of its own: stands in for the publisher thread that completes
// responders in the gateway.
class WorkerThread {
 public:
  WorkerThread() : thread_([this] { Run(); }) {}
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;
  ~WorkerThread() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void Post(std::function<void()> job) {
    {
      const std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  [[nodiscard]] std::thread::id id() const { return thread_.get_id(); }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace paypipe::test
