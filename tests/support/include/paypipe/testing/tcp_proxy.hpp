#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// A TCP relay between a client under test and a real server, listening on 127.0.0.1 (port
// chosen by the kernel), that can cut a connection at a precise protocol moment: the way to
// make "the connection died while COMMIT was in flight" happen on purpose.
namespace paypipe::testing {

class TcpProxy {
 public:
  enum class CutMode {
    // The client's bytes are never forwarded: the server never sees the request.
    kBeforeForwarding,
    // The request is forwarded and the server's first reply is read and swallowed: the server
    // acted on the request, the client never learns it.
    kAfterServerReply,
  };

  // Starts relaying to `target_host:target_port`. Throws std::runtime_error when it cannot
  // listen.
  TcpProxy(std::string target_host, std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

  // Arms a one-shot fault: the next client-to-server chunk containing `needle` closes that
  // client connection (both directions) according to `mode`.
  void CutOnClientBytes(std::string needle, CutMode mode);
  // An outage: while down, every relayed connection is cut (RST) and new ones are refused the
  // same way, as when the server is unreachable; SetDown(false) lets connections through again.
  void SetDown(bool down) { down_ = down; }
  // Holds every server-to-client chunk this long before forwarding it: a slow network or a
  // slow server, as seen by the client.
  void SetReplyDelay(std::chrono::milliseconds delay) { reply_delay_ms_ = delay.count(); }
  // True once the armed fault has fired.
  [[nodiscard]] bool fired() const { return fired_.load(); }

 private:
  void AcceptLoop();
  void Relay(int client, int server);
  [[nodiscard]] bool ShouldCut(const char* data, std::size_t size, CutMode& mode);

  std::string target_host_;
  std::uint16_t target_port_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> down_{false};
  std::atomic<std::int64_t> reply_delay_ms_{0};
  std::atomic<bool> fired_{false};
  std::mutex mutex_;
  std::string needle_;
  CutMode mode_ = CutMode::kBeforeForwarding;
  bool armed_ = false;
  std::vector<std::thread> relays_;
  std::thread acceptor_;
};

}  // namespace paypipe::testing
