#include "paypipe/sim/server.hpp"

#include "curl_transport.hpp"

namespace paypipe::sim {

domain::Result<std::unique_ptr<SimServer>> SimServer::Start(SimServerOptions options,
                                                            const Clock& clock) {
  PAYPIPE_RETURN_IF_ERROR(options.sim.webhooks.Validate());
  std::unique_ptr<SimServer> server(new SimServer());
  server->host_ = options.host;
  server->transport_ = std::make_unique<CurlWebhookTransport>();
  server->timers_ = std::make_unique<TimerThread>();
  server->simulator_ = std::make_unique<Simulator>(std::move(options.sim), clock, *server->timers_,
                                                   *server->transport_);
  infra::http_server::ServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.loop_threads = options.loop_threads;
  // Tests hold many connections open at once (held answers, load runs).
  http.max_pipelined_requests = 64;
  Simulator* simulator = server->simulator_.get();
  auto started = infra::http_server::Server::Start(
      http, [simulator](infra::http::Request request, infra::http_server::Responder responder) {
        simulator->Handle(request, responder);
      });
  if (!started.ok()) return started.error();
  server->server_ = std::move(*started);
  server->simulator_->webhooks().Start(options.webhook_threads);
  return server;
}

SimServer::~SimServer() { Stop(std::chrono::milliseconds(0)); }

std::uint16_t SimServer::port() const { return server_->port(); }

std::string SimServer::base_url() const { return "http://" + host_ + ":" + std::to_string(port()); }

infra::http_server::ServerStats SimServer::stats() const { return server_->stats(); }

void SimServer::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  // Held and delayed answers complete first, so that the server's grace period is not spent
  // waiting for requests the sim deliberately sits on.
  timers_->Stop();
  server_->Stop(grace);
  simulator_->webhooks().Stop();
}

}  // namespace paypipe::sim
