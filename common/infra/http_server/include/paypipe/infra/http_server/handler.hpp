#pragma once

#include <functional>
#include <memory>

#include "paypipe/infra/http/message.hpp"

namespace paypipe::infra::http_server {

namespace internal {
struct Exchange;
struct ExchangeAccess;
}  // namespace internal

// The right to answer one request. Copies share the same request; the first Respond wins.
//
// Thread safety: every member may be called from any thread, concurrently. A response given on
// another thread is handed to the connection's event loop (batched through one wake-up per loop
// iteration) and written once every earlier request on that connection has been answered, so
// pipelined requests are always answered in order however their handlers complete.
//
// If the last copy is destroyed without a Respond, the request is answered 500: a handler that
// forgets to answer must not leave the client (or a pipeline behind it) hanging. A request still
// unanswered after ServerOptions::handler_timeout is answered 503 and later Responds return false.
class Responder {
 public:
  // A responder bound to no server: the first Respond hands the response to on_complete on the
  // completing thread. Lets handlers be unit-tested without a socket.
  [[nodiscard]] static Responder WithCallback(std::function<void(http::Response)> on_complete);

  Responder(const Responder& other) noexcept;
  Responder(Responder&& other) noexcept;
  Responder& operator=(const Responder& other) noexcept;
  Responder& operator=(Responder&& other) noexcept;
  ~Responder();

  // Answers the request. Returns true when this call completed it, false when it had already been
  // completed (by another copy, or because the responder was moved from). Completing a request
  // whose connection has meanwhile closed, or whose server has stopped, is safe: the response is
  // dropped (and counted). Not [[nodiscard]]: most callers have nothing to do with the answer.
  bool Respond(http::Response response) const;  // NOLINT(modernize-use-nodiscard)

  // True once any copy has responded.
  [[nodiscard]] bool completed() const;

 private:
  friend struct internal::ExchangeAccess;
  explicit Responder(std::shared_ptr<internal::Exchange> exchange) noexcept;
  void Release() noexcept;

  std::shared_ptr<internal::Exchange> exchange_;
};

// Called on one of the server's event-loop threads for every complete request. It must not
// block: hand slow work (broker publish, database) to another thread and Respond from there.
// An exception escaping the handler is answered 500.
using Handler = std::function<void(http::Request request, Responder responder)>;

}  // namespace paypipe::infra::http_server
