#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/http_server/server.hpp"
#include "paypipe/sim/clock.hpp"
#include "paypipe/sim/simulator.hpp"

namespace paypipe::sim {

struct SimServerOptions {
  SimOptions sim;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, see SimServer::port()
  int loop_threads = 2;
  int webhook_threads = 4;
};

// The sim as a running HTTP service: a Simulator behind the libuv server, a timer thread for
// latency and held answers, and webhook workers that deliver through libcurl. Requires a live
// http_client::CurlGlobal for its whole life.
class SimServer {
 public:
  [[nodiscard]] static domain::Result<std::unique_ptr<SimServer>> Start(SimServerOptions options,
                                                                        const Clock& clock);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  // "http://127.0.0.1:<port>"
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] Simulator& simulator() { return *simulator_; }
  [[nodiscard]] infra::http_server::ServerStats stats() const;

  // Stops taking requests, answers what is in flight (held answers are given up at once), stops
  // the webhook workers. Idempotent.
  void Stop(std::chrono::milliseconds grace);

 private:
  SimServer() = default;

  std::string host_;
  std::unique_ptr<WebhookTransport> transport_;
  std::unique_ptr<TimerThread> timers_;
  std::unique_ptr<Simulator> simulator_;
  std::unique_ptr<infra::http_server::Server> server_;
  bool stopped_ = false;
};

}  // namespace paypipe::sim
