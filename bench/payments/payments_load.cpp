// payments_load: the two clients of bench/payments that wrk cannot play.
//
//   payments_load open --url http://127.0.0.1:PORT/webhooks/toss --body-template FILE
//                      --rate 5000 --duration 15 [--warmup 3] [--connections 256]
//     Open loop. Request k is due at start + k / rate, whatever became of the earlier ones; it
//     goes out on the first free keep-alive connection, or waits in this process's queue while
//     every connection is busy. Its latency runs from the moment it was due, not from the moment
//     it was written: a server that stalls is charged for every request it held back. A
//     closed-loop client (wrk) instead sends less while the server is slow and reports only the
//     requests it managed to send ("coordinated omission"). The queue wait is reported apart
//     (service time = written -> answered) so that a client-side backlog shows as such.
//     Each body is the template with {{paymentKey}} and {{orderId}} replaced by ids unique to
//     the request (the gateway derives a webhook's message id from its body).
//
//   payments_load hold --url http://127.0.0.1:PORT --idle 10000 --slow 1 --slow-body 1
//                      --duration 40 [--ready-file F]
//     Idle keep-alive connections: each asks GET /healthz once, then stays silent. Slow clients
//     write a webhook request one byte per --slow-interval-ms (--slow: from its first header
//     byte; --slow-body: headers at once, then the body byte by byte) and connect again when
//     the server answers or closes. --ready-file is written once every idle connection has had
//     its answer, so that a script can start the measured load then.
//
// Both print one JSON object on stdout when done (see --help of each).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace paypipe::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using nlohmann::json;

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

std::int64_t MicrosBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

// --- sockets ----------------------------------------------------------------------------------

struct Endpoint {
  sockaddr_in address{};
  std::string host_header;  // host:port
  std::string path;         // from the URL, "/" when absent
};

// http://host:port/path with an IPv4 host (or a name resolving to one).
Endpoint ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) Fail("only http:// URLs: " + url);
  const std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Endpoint endpoint;
  endpoint.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) Fail("the URL needs a port: " + url);
  const std::string host = authority.substr(0, colon);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), authority.substr(colon + 1).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    Fail("cannot resolve " + authority);
  }
  std::memcpy(&endpoint.address, found->ai_addr, sizeof endpoint.address);
  freeaddrinfo(found);
  endpoint.host_header = authority;
  return endpoint;
}

// Every connection of a run lives in one epoll set; a socket's index in the caller's table is
// its epoll data, so that an event finds its connection without a lookup.
class Poller {
 public:
  Poller() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (fd_ < 0) Fail(std::string("epoll_create1: ") + std::strerror(errno));
  }
  ~Poller() { ::close(fd_); }
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // A non-blocking socket connecting to `to`, watched for writability (the connect's end) and
  // input. -1 when the kernel refuses a socket (out of descriptors, ports).
  int Connect(const sockaddr_in& to, std::uint64_t index) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    event.data.u64 = index;
    if (epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &event) != 0) Fail("epoll_ctl add");
    return fd;
  }

  void WatchOutput(int fd, std::uint64_t index, bool output) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (output ? EPOLLOUT : 0u);
    event.data.u64 = index;
    if (epoll_ctl(fd_, EPOLL_CTL_MOD, fd, &event) != 0) Fail("epoll_ctl mod");
  }

  static void Close(int fd) {
    if (fd >= 0) ::close(fd);  // closing removes it from every epoll set
  }

  // Waits until `until` at most; returns the events that arrived.
  std::span<const epoll_event> Wait(SteadyClock::time_point until) {
    const auto left = std::max<std::int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(until - SteadyClock::now()).count(),
        0);
    const timespec timeout{static_cast<time_t>(left / 1'000'000'000),
                           static_cast<long>(left % 1'000'000'000)};
    const int n =
        epoll_pwait2(fd_, events_.data(), static_cast<int>(events_.size()), &timeout, nullptr);
    if (n < 0) {
      if (errno == EINTR) return {};
      Fail(std::string("epoll_pwait2: ") + std::strerror(errno));
    }
    return {events_.data(), static_cast<std::size_t>(n)};
  }

 private:
  int fd_;
  std::array<epoll_event, 1024> events_{};
};

// The socket's connect outcome once epoll reported it writable: 0 or an errno.
int ConnectError(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

enum class Io { kOk, kWouldBlock, kClosed };

// Writes as much of `out` from `offset` as the socket takes.
Io WriteSome(int fd, const std::string& out, std::size_t& offset) {
  while (offset < out.size()) {
    const ssize_t n = ::send(fd, out.data() + offset, out.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      offset += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Io::kWouldBlock;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return Io::kClosed;
    }
  }
  return Io::kOk;
}

// Appends whatever the socket holds to `in`; kClosed on end of stream or error.
Io ReadAll(int fd, std::string& in) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      in.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return Io::kClosed;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return Io::kOk;
    } else if (errno != EINTR) {
      return Io::kClosed;
    }
  }
}

void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// --- HTTP responses -----------------------------------------------------------------------------

struct Response {
  int status = 0;
  std::size_t length = 0;  // bytes of `in` it took
  bool close = false;      // Connection: close
};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The complete response at the front of `in`, if it has arrived. The servers measured here
// always frame with Content-Length. Throws on anything that is not an HTTP response.
std::optional<Response> ParseResponse(std::string_view in) {
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  if (!in.starts_with("HTTP/1.") || head_end < 12) Fail("not an HTTP response");
  Response response;
  response.status = std::atoi(std::string(in.substr(9, 3)).c_str());
  std::size_t body = 0;
  std::size_t line = in.find("\r\n") + 2;
  while (line < head_end) {
    const std::size_t end = in.find("\r\n", line);
    const std::string_view header = in.substr(line, end - line);
    const auto colon = header.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = header.substr(0, colon);
      std::string_view value = header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (EqualsIgnoringCase(name, "content-length")) {
        body = static_cast<std::size_t>(std::strtoull(std::string(value).c_str(), nullptr, 10));
      } else if (EqualsIgnoringCase(name, "connection") && EqualsIgnoringCase(value, "close")) {
        response.close = true;
      }
    }
    line = end + 2;
  }
  response.length = head_end + 4 + body;
  if (in.size() < response.length) return std::nullopt;
  return response;
}

// p in [0, 1] of sorted values; 0 when empty.
std::int64_t Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

json Distribution(std::vector<std::int64_t> micros) {
  std::sort(micros.begin(), micros.end());
  return {{"n", micros.size()},
          {"p50", Percentile(micros, 0.50)},
          {"p90", Percentile(micros, 0.90)},
          {"p99", Percentile(micros, 0.99)},
          {"p999", Percentile(micros, 0.999)},
          {"max", micros.empty() ? 0 : micros.back()}};
}

// --- open loop --------------------------------------------------------------------------------

struct OpenOptions {
  std::string url;
  std::string body_template;  // path of the template file
  std::string key_prefix = "bench";
  double rate = 1000;
  double duration_s = 15;
  double warmup_s = 3;
  double drain_s = 10;
  int connections = 256;
};

// A webhook request of the Toss shape: the template's placeholders replaced per request.
class RequestMaker {
 public:
  RequestMaker(const Endpoint& endpoint, const std::string& template_text, std::string prefix)
      : endpoint_(endpoint), prefix_(std::move(prefix)) {
    // Split at the placeholders once; a request is then a few appends.
    std::size_t at = 0;
    for (;;) {
      const std::size_t next = template_text.find("{{", at);
      if (next == std::string::npos) break;
      const std::size_t end = template_text.find("}}", next);
      if (end == std::string::npos) Fail("unterminated placeholder in the body template");
      const std::string name = template_text.substr(next + 2, end - next - 2);
      if (name != "paymentKey" && name != "orderId") Fail("unknown placeholder {{" + name + "}}");
      pieces_.push_back({template_text.substr(at, next - at), name == "paymentKey"});
      at = end + 2;
    }
    tail_ = template_text.substr(at);
    if (pieces_.empty()) Fail("the body template has no {{paymentKey}} or {{orderId}}");
  }

  [[nodiscard]] std::string Make(std::uint64_t k) const {
    const std::string order = prefix_ + "-" + std::to_string(k);
    const std::string key = "tbench_" + prefix_ + "_" + std::to_string(k);
    std::string body;
    for (const auto& [text, is_key] : pieces_) body += text + (is_key ? key : order);
    body += tail_;
    std::string request = "POST " + endpoint_.path + " HTTP/1.1\r\nHost: " + endpoint_.host_header +
                          "\r\nContent-Type: application/json\r\n"
                          "tosspayments-webhook-transmission-id: " +
                          key +
                          "\r\ntosspayments-webhook-transmission-retried-count: 0\r\n"
                          "Content-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n";
    return request + body;
  }

 private:
  struct Piece {
    std::string text;
    bool is_key;
  };
  const Endpoint& endpoint_;
  std::string prefix_;
  std::vector<Piece> pieces_;
  std::string tail_;
};

class OpenLoop {
 public:
  OpenLoop(const OpenOptions& options, const Endpoint& endpoint, const RequestMaker& maker)
      : options_(options), endpoint_(endpoint), maker_(maker) {
    connections_.resize(static_cast<std::size_t>(options.connections));
  }

  json Run() {
    for (std::size_t i = 0; i < connections_.size(); ++i) Open(i);
    AwaitConnections();
    start_ = SteadyClock::now();
    const auto interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / options_.rate));
    const std::uint64_t total =
        static_cast<std::uint64_t>(options_.rate * options_.duration_s + 0.5);
    warmup_k_ = static_cast<std::uint64_t>(options_.rate * options_.warmup_s + 0.5);
    window_start_ =
        start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(options_.warmup_s * 1e9));
    window_end_ =
        start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(options_.duration_s * 1e9));
    const auto drain_end =
        window_end_ + std::chrono::nanoseconds(static_cast<std::int64_t>(options_.drain_s * 1e9));
    std::uint64_t next = 0;
    auto due = [&](std::uint64_t k) { return start_ + interval * static_cast<std::int64_t>(k); };
    for (;;) {
      const auto now = SteadyClock::now();
      while (next < total && due(next) <= now) {
        pending_.push_back({next, due(next)});
        ++next;
      }
      Dispatch();
      if (!pending_.empty()) {
        // Due requests every connection is too busy to take now: counted once each.
        const std::uint64_t newest = pending_.back().k + 1;
        waited_ += newest - std::max(waited_up_to_, pending_.front().k);
        waited_up_to_ = newest;
        max_backlog_ = std::max(max_backlog_, pending_.size());
      }
      if (next >= total && pending_.empty() && in_flight_ == 0) break;
      if (now >= drain_end) break;
      const auto wake = next < total ? std::min(due(next), drain_end) : drain_end;
      for (const epoll_event& event : poller_.Wait(wake)) OnEvent(event);
    }
    return Summary(total);
  }

 private:
  struct Due {
    std::uint64_t k;
    SteadyClock::time_point at;
  };
  struct Conn {
    int fd = -1;
    bool connected = false;
    bool busy = false;
    bool watching_output = false;
    std::string out;
    std::size_t written = 0;
    std::string in;
    Due request{};
    SteadyClock::time_point sent;
  };

  void Open(std::size_t i) {
    Conn& conn = connections_[i];
    conn = Conn{};
    conn.fd = poller_.Connect(endpoint_.address, i);
    if (conn.fd < 0) Fail("cannot open a socket");
  }

  void AwaitConnections() {
    const auto until = SteadyClock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto open = std::count_if(connections_.begin(), connections_.end(),
                                      [](const Conn& c) { return c.connected; });
      if (static_cast<std::size_t>(open) == connections_.size()) return;
      if (SteadyClock::now() >= until) Fail("connections not established within 10 s");
      for (const epoll_event& event : poller_.Wait(until)) OnEvent(event);
    }
  }

  void Dispatch() {
    while (!free_.empty() && !pending_.empty()) {
      const std::size_t i = free_.back();
      free_.pop_back();
      Conn& conn = connections_[i];
      conn.request = pending_.front();
      pending_.pop_front();
      conn.busy = true;
      conn.out = maker_.Make(conn.request.k);
      conn.written = 0;
      conn.sent = SteadyClock::now();
      ++in_flight_;
      Flush(i);
    }
  }

  void Flush(std::size_t i) {
    Conn& conn = connections_[i];
    const Io io = WriteSome(conn.fd, conn.out, conn.written);
    if (io == Io::kClosed) return Broken(i);
    const bool blocked = io == Io::kWouldBlock;
    if (blocked != conn.watching_output) {  // one epoll_ctl per change, not per request
      poller_.WatchOutput(conn.fd, i, blocked);
      conn.watching_output = blocked;
    }
  }

  void OnEvent(const epoll_event& event) {
    const std::size_t i = event.data.u64;
    Conn& conn = connections_[i];
    if (!conn.connected) {
      if ((event.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (ConnectError(conn.fd) != 0) {
        ++connect_failures_;
        Poller::Close(conn.fd);
        return Open(i);
      }
      conn.connected = true;
      poller_.WatchOutput(conn.fd, i, false);
      free_.push_back(i);
      return;
    }
    if ((event.events & EPOLLOUT) != 0 && conn.busy && conn.written < conn.out.size()) {
      Flush(i);
      if (!connections_[i].connected) return;  // broken and reopened
    }
    if ((event.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
    const Io io = ReadAll(conn.fd, conn.in);
    std::optional<Response> response;
    try {
      response = ParseResponse(conn.in);
    } catch (const std::exception&) {
      return Broken(i);
    }
    if (response && conn.busy) {
      Complete(conn, response->status);
      conn.in.erase(0, response->length);
      if (response->close) return Reconnect(i);
      if (io != Io::kClosed) free_.push_back(i);
    }
    if (io == Io::kClosed) Broken(i);
  }

  void Complete(Conn& conn, int status) {
    const auto now = SteadyClock::now();
    conn.busy = false;
    --in_flight_;
    if (now >= window_start_ && now < window_end_) ++answered_in_window_;
    if (conn.request.k < warmup_k_) return;
    ++statuses_[status];
    latency_us_.push_back(MicrosBetween(conn.request.at, now));
    service_us_.push_back(MicrosBetween(conn.sent, now));
  }

  // The connection died: its request (if any) counts as a transport error, never retried.
  void Broken(std::size_t i) {
    Conn& conn = connections_[i];
    if (conn.busy) {
      --in_flight_;
      if (conn.request.k >= warmup_k_) ++transport_errors_;
    }
    Reconnect(i);
  }

  void Reconnect(std::size_t i) {
    std::erase(free_, i);  // rare: the server closed a connection
    Poller::Close(connections_[i].fd);
    ++reconnects_;
    Open(i);
  }

  json Summary(std::uint64_t total) const {
    const std::uint64_t measured = total > warmup_k_ ? total - warmup_k_ : 0;
    std::uint64_t answered = 0;
    json statuses = json::object();
    for (const auto& [status, count] : statuses_) {
      statuses[std::to_string(status)] = count;
      answered += count;
    }
    const double window_s = options_.duration_s - options_.warmup_s;
    return {{"mode", "open"},
            {"offered_rate", options_.rate},
            {"duration_s", options_.duration_s},
            {"warmup_s", options_.warmup_s},
            {"connections", options_.connections},
            {"scheduled", total},
            {"measured", measured},
            {"answered", answered},
            {"statuses", statuses},
            {"transport_errors", transport_errors_},
            {"unanswered", measured - std::min(measured, answered + transport_errors_)},
            {"answered_per_s_in_window",
             window_s > 0 ? static_cast<double>(answered_in_window_) / window_s : 0.0},
            {"latency_us", Distribution(latency_us_)},
            {"service_us", Distribution(service_us_)},
            {"waited_for_connection", waited_},
            {"max_waiting", max_backlog_},
            {"reconnects", reconnects_},
            {"connect_failures", connect_failures_}};
  }

  const OpenOptions& options_;
  const Endpoint& endpoint_;
  const RequestMaker& maker_;
  Poller poller_;
  std::vector<Conn> connections_;
  std::deque<Due> pending_;
  std::vector<std::size_t> free_;  // connected, nothing in flight
  std::size_t in_flight_ = 0;
  SteadyClock::time_point start_;
  SteadyClock::time_point window_start_;
  SteadyClock::time_point window_end_;
  std::uint64_t warmup_k_ = 0;
  std::map<int, std::uint64_t> statuses_;
  std::vector<std::int64_t> latency_us_;
  std::vector<std::int64_t> service_us_;
  std::uint64_t answered_in_window_ = 0;
  std::uint64_t transport_errors_ = 0;
  std::uint64_t reconnects_ = 0;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t waited_ = 0;
  std::uint64_t waited_up_to_ = 0;  // requests below this k were counted in waited_
  std::size_t max_backlog_ = 0;
};

// --- idle and slow connections ----------------------------------------------------------------

struct HoldOptions {
  std::string url;
  int idle = 10'000;
  int slow = 1;       // slow from the first header byte
  int slow_body = 0;  // headers at once, then the body slowly
  int slow_interval_ms = 1'000;
  int connect_batch = 256;  // connects in progress at once (the server's listen backlog)
  double duration_s = 40;
  std::string ready_file;
};

class Hold {
 public:
  Hold(const HoldOptions& options, const Endpoint& endpoint)
      : options_(options), endpoint_(endpoint) {
    idle_.resize(static_cast<std::size_t>(options.idle));
    slow_.resize(static_cast<std::size_t>(options.slow + options.slow_body));
    const std::string body =
        R"({"eventType":"PAYMENT_STATUS_CHANGED","createdAt":"2026-01-01T00:00:00",)"
        R"("data":{"paymentKey":"tbench_slow","orderId":"bench-slow","status":"DONE"}})";
    slow_request_ =
        "POST /webhooks/toss HTTP/1.1\r\nHost: " + endpoint_.host_header +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n";
    slow_head_size_ = slow_request_.size();
    slow_request_ += body;
  }

  json Run() {
    start_ = SteadyClock::now();
    const auto end =
        start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(options_.duration_s * 1e9));
    for (std::size_t i = 0; i < slow_.size(); ++i) OpenSlow(i);
    std::size_t next_idle = 0;
    bool ready_written = false;
    for (;;) {
      const auto now = SteadyClock::now();
      if (now >= end) break;
      while (next_idle < idle_.size() &&
             connecting_ < static_cast<std::size_t>(options_.connect_batch)) {
        OpenIdle(next_idle++);
      }
      if (!ready_written && next_idle == idle_.size() && connecting_ == 0 &&
          answered_ + idle_failures_ == idle_.size()) {
        ready_written = true;
        ready_s_ = Seconds(now);
        WriteReady();
      }
      auto wake = std::min(end, now + std::chrono::milliseconds(100));
      for (const SlowConn& s : slow_) {
        if (s.fd >= 0 && s.connected) wake = std::min(wake, s.next_byte);
      }
      for (const epoll_event& event : poller_.Wait(wake)) OnEvent(event);
      DripSlow();
    }
    std::size_t open_at_end = 0;
    for (IdleConn& conn : idle_) {
      if (conn.state == IdleState::kIdle) ++open_at_end;
      Poller::Close(conn.fd);
    }
    for (SlowConn& s : slow_) Poller::Close(s.fd);
    return Summary(open_at_end);
  }

 private:
  enum class IdleState { kConnecting, kAsking, kIdle, kGone };
  struct IdleConn {
    int fd = -1;
    IdleState state = IdleState::kConnecting;
    std::string in;
    std::size_t written = 0;
  };
  struct SlowConn {
    int fd = -1;
    bool connected = false;
    bool body_only = false;  // headers written at once
    std::size_t written = 0;
    std::string in;
    SteadyClock::time_point opened;
    SteadyClock::time_point next_byte;
  };
  // Slow connections' epoll data is offset by this, idle ones are their index.
  static constexpr std::uint64_t kSlowTag = std::uint64_t{1} << 40;

  [[nodiscard]] double Seconds(SteadyClock::time_point t) const {
    return static_cast<double>(MicrosBetween(start_, t)) / 1e6;
  }

  void WriteReady() const {
    if (options_.ready_file.empty()) return;
    std::ofstream out(options_.ready_file + ".tmp");
    out << json{{"answered", answered_}, {"failed", idle_failures_}, {"after_s", ready_s_}}.dump()
        << "\n";
    out.close();
    std::rename((options_.ready_file + ".tmp").c_str(), options_.ready_file.c_str());
  }

  void OpenIdle(std::size_t i) {
    IdleConn& conn = idle_[i];
    conn.fd = poller_.Connect(endpoint_.address, i);
    if (conn.fd < 0) {
      conn.state = IdleState::kGone;
      ++idle_failures_;
      return;
    }
    ++connecting_;
  }

  void OnEvent(const epoll_event& event) {
    if (event.data.u64 >= kSlowTag) return OnSlowEvent(event.data.u64 - kSlowTag, event.events);
    const std::size_t i = event.data.u64;
    IdleConn& conn = idle_[i];
    if (conn.state == IdleState::kConnecting) {
      if ((event.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      --connecting_;
      if (ConnectError(conn.fd) != 0) return IdleGone(i, /*answered=*/false);
      conn.state = IdleState::kAsking;
    }
    if (conn.state == IdleState::kAsking && conn.written < HealthRequest().size()) {
      const Io io = WriteSome(conn.fd, HealthRequest(), conn.written);
      if (io == Io::kClosed) return IdleGone(i, false);
      poller_.WatchOutput(conn.fd, i, io == Io::kWouldBlock);
    }
    if ((event.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
    const Io io = ReadAll(conn.fd, conn.in);
    if (conn.state == IdleState::kAsking) {
      std::optional<Response> response;
      try {
        response = ParseResponse(conn.in);
      } catch (const std::exception&) {
        return IdleGone(i, false);
      }
      if (response) {
        conn.in.clear();
        if (response->status != 200 || response->close) return IdleGone(i, false);
        conn.state = IdleState::kIdle;
        ++answered_;
      }
    }
    if (io == Io::kClosed) IdleGone(i, conn.state == IdleState::kIdle);
  }

  // An idle connection ended: closed by the server while idle, or failed before its answer.
  void IdleGone(std::size_t i, bool was_idle) {
    IdleConn& conn = idle_[i];
    Poller::Close(conn.fd);
    conn.fd = -1;
    if (was_idle) {
      const double at = Seconds(SteadyClock::now());
      if (closed_while_idle_ == 0) first_idle_close_s_ = at;
      ++closed_while_idle_;
    } else {
      ++idle_failures_;
    }
    conn.state = IdleState::kGone;
  }

  const std::string& HealthRequest() {
    if (health_request_.empty()) {
      health_request_ = "GET /healthz HTTP/1.1\r\nHost: " + endpoint_.host_header + "\r\n\r\n";
    }
    return health_request_;
  }

  void OpenSlow(std::size_t i) {
    SlowConn& s = slow_[i];
    s = SlowConn{};
    s.body_only = i >= static_cast<std::size_t>(options_.slow);
    s.fd = poller_.Connect(endpoint_.address, kSlowTag + i);
    s.opened = SteadyClock::now();
    if (s.fd < 0) Fail("cannot open a slow connection");
  }

  void OnSlowEvent(std::size_t i, std::uint32_t events) {
    SlowConn& s = slow_[i];
    if (!s.connected) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (ConnectError(s.fd) != 0) {
        ++slow_connect_failures_;
        Poller::Close(s.fd);
        return OpenSlow(i);
      }
      s.connected = true;
      poller_.WatchOutput(s.fd, kSlowTag + i, false);
      if (s.body_only) {
        std::size_t written = 0;
        const std::string head = slow_request_.substr(0, slow_head_size_);
        if (WriteSome(s.fd, head, written) != Io::kOk) return SlowEnded(i, 0);
        s.written = head.size();
        slow_bytes_ += head.size();
      }
      s.next_byte = SteadyClock::now() + std::chrono::milliseconds(options_.slow_interval_ms);
      return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
    const Io io = ReadAll(s.fd, s.in);
    std::optional<Response> response;
    try {
      response = ParseResponse(s.in);
    } catch (const std::exception&) {
      return SlowEnded(i, -1);
    }
    if (response) return SlowEnded(i, response->status);
    if (io == Io::kClosed) SlowEnded(i, 0);
  }

  void DripSlow() {
    const auto now = SteadyClock::now();
    for (std::size_t i = 0; i < slow_.size(); ++i) {
      SlowConn& s = slow_[i];
      if (s.fd < 0 || !s.connected || now < s.next_byte) continue;
      if (s.written < slow_request_.size()) {
        std::size_t offset = s.written;
        const std::string one = slow_request_.substr(offset, 1);
        std::size_t written = 0;
        if (WriteSome(s.fd, one, written) == Io::kClosed) {
          SlowEnded(i, 0);
          continue;
        }
        s.written += written;
        slow_bytes_ += written;
      }
      s.next_byte = now + std::chrono::milliseconds(options_.slow_interval_ms);
    }
  }

  // The server answered (status) or closed without an answer (0); start over.
  void SlowEnded(std::size_t i, int status) {
    SlowConn& s = slow_[i];
    const double lasted = static_cast<double>(MicrosBetween(s.opened, SteadyClock::now())) / 1e6;
    auto& outcome = (s.body_only ? slow_body_outcomes_ : slow_head_outcomes_)[status];
    ++outcome.count;
    outcome.seconds_min = outcome.count == 1 ? lasted : std::min(outcome.seconds_min, lasted);
    outcome.seconds_max = std::max(outcome.seconds_max, lasted);
    Poller::Close(s.fd);
    OpenSlow(i);
  }

  struct Outcome {
    std::uint64_t count = 0;
    double seconds_min = 0;
    double seconds_max = 0;
  };

  static json Outcomes(const std::map<int, Outcome>& outcomes) {
    json out = json::object();
    for (const auto& [status, o] : outcomes) {
      out[status == 0 ? "closed_without_answer" : std::to_string(status)] = {
          {"count", o.count}, {"after_s_min", o.seconds_min}, {"after_s_max", o.seconds_max}};
    }
    return out;
  }

  json Summary(std::size_t open_at_end) const {
    return {{"mode", "hold"},
            {"duration_s", options_.duration_s},
            {"idle",
             {{"requested", idle_.size()},
              {"answered", answered_},
              {"failed_before_answer", idle_failures_},
              {"all_answered_after_s", ready_s_},
              {"closed_by_server_while_idle", closed_while_idle_},
              {"first_close_after_s", first_idle_close_s_},
              {"open_at_end", open_at_end}}},
            {"slow",
             {{"head_clients", options_.slow},
              {"body_clients", options_.slow_body},
              {"interval_ms", options_.slow_interval_ms},
              {"bytes_sent", slow_bytes_},
              {"connect_failures", slow_connect_failures_},
              {"head_outcomes", Outcomes(slow_head_outcomes_)},
              {"body_outcomes", Outcomes(slow_body_outcomes_)}}}};
  }

  const HoldOptions& options_;
  const Endpoint& endpoint_;
  Poller poller_;
  SteadyClock::time_point start_;
  std::vector<IdleConn> idle_;
  std::vector<SlowConn> slow_;
  std::string slow_request_;
  std::size_t slow_head_size_ = 0;
  std::string health_request_;
  std::size_t connecting_ = 0;
  std::size_t answered_ = 0;
  std::size_t idle_failures_ = 0;
  std::size_t closed_while_idle_ = 0;
  double first_idle_close_s_ = 0;
  double ready_s_ = 0;
  std::uint64_t slow_bytes_ = 0;
  std::uint64_t slow_connect_failures_ = 0;
  std::map<int, Outcome> slow_head_outcomes_;
  std::map<int, Outcome> slow_body_outcomes_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace
}  // namespace paypipe::bench

int main(int argc, char** argv) {
  using namespace paypipe::bench;
  CLI::App app{"Open-loop webhook load, and idle and slow connections, for bench/payments"};
  app.require_subcommand(1);

  OpenOptions open;
  CLI::App* open_cmd = app.add_subcommand(
      "open", "POST webhooks at a fixed rate; latency from each request's due time");
  open_cmd->add_option("--url", open.url, "http://host:port/webhooks/toss")->required();
  open_cmd
      ->add_option("--body-template", open.body_template,
                   "File with the body; {{paymentKey}} and {{orderId}} are replaced")
      ->required();
  open_cmd->add_option("--key-prefix", open.key_prefix, "Makes ids unique across runs")
      ->capture_default_str();
  open_cmd->add_option("--rate", open.rate, "Requests per second")->capture_default_str();
  open_cmd->add_option("--duration", open.duration_s, "Seconds of sending")->capture_default_str();
  open_cmd->add_option("--warmup", open.warmup_s, "First seconds left out of the figures")
      ->capture_default_str();
  open_cmd->add_option("--drain", open.drain_s, "Seconds to wait for answers after the last send")
      ->capture_default_str();
  open_cmd->add_option("--connections", open.connections, "Keep-alive connections")
      ->capture_default_str();

  HoldOptions hold;
  CLI::App* hold_cmd =
      app.add_subcommand("hold", "Idle keep-alive connections and one-byte-per-interval clients");
  hold_cmd->add_option("--url", hold.url, "http://host:port")->required();
  hold_cmd->add_option("--idle", hold.idle, "Idle keep-alive connections")->capture_default_str();
  hold_cmd->add_option("--slow", hold.slow, "Clients writing the whole request slowly")
      ->capture_default_str();
  hold_cmd
      ->add_option("--slow-body", hold.slow_body,
                   "Clients writing the headers at once and the body slowly")
      ->capture_default_str();
  hold_cmd->add_option("--slow-interval-ms", hold.slow_interval_ms, "Milliseconds between bytes")
      ->capture_default_str();
  hold_cmd->add_option("--duration", hold.duration_s, "Seconds to hold")->capture_default_str();
  hold_cmd->add_option("--ready-file", hold.ready_file,
                       "Written once every idle connection had its answer");
  CLI11_PARSE(app, argc, argv);

  try {
    RaiseDescriptorLimit();
    json result;
    if (open_cmd->parsed()) {
      if (open.rate <= 0 || open.duration_s <= open.warmup_s)
        Fail("need rate > 0, duration > warmup");
      const Endpoint endpoint = ParseUrl(open.url);
      const RequestMaker maker(endpoint, ReadFile(open.body_template), open.key_prefix);
      result = OpenLoop(open, endpoint, maker).Run();
    } else {
      const Endpoint endpoint = ParseUrl(hold.url);
      result = Hold(hold, endpoint).Run();
    }
    std::printf("%s\n", result.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "payments_load: %s\n", e.what());
    return 1;
  }
  return 0;
}
