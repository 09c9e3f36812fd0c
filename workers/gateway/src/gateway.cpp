#include "paypipe/gateway/gateway.hpp"

#include <atomic>
#include <nlohmann/json.hpp>
#include <variant>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/gateway/payment_store.hpp"
#include "paypipe/gateway/requests.hpp"
#include "paypipe/gateway/webhook_reader.hpp"
#include "paypipe/infra/crypto/crypto.hpp"
#include "paypipe/infra/http_server/router.hpp"
#include "paypipe/infra/http_server/server.hpp"
#include "paypipe/messages/payment_cancel.hpp"
#include "paypipe/messages/payment_confirm.hpp"
#include "paypipe/messages/webhook_received.hpp"
#include "paypipe/runtime/amqp_ports.hpp"

namespace paypipe::gateway {
namespace {

namespace http = infra::http;
namespace server = infra::http_server;
using infra::db::Connection;
using nlohmann::json;
using server::PathParams;
using server::Responder;
using SteadyClock = std::chrono::steady_clock;

// Error codes of the payment API beyond request validation (requests.hpp).
constexpr std::string_view kUnauthorized = "UNAUTHORIZED";                 // 401
constexpr std::string_view kOrderNotFound = "ORDER_NOT_FOUND";             // 404
constexpr std::string_view kPaymentNotFound = "PAYMENT_NOT_FOUND";         // 404
constexpr std::string_view kOrderConflict = "ORDER_CONFLICT";              // 409
constexpr std::string_view kUnknownPartner = "UNKNOWN_PARTNER";            // 422
constexpr std::string_view kPartnerInactive = "PARTNER_INACTIVE";          // 422
constexpr std::string_view kProviderMismatch = "PROVIDER_MISMATCH";        // 422
constexpr std::string_view kAmountMismatch = "AMOUNT_MISMATCH";            // 422
constexpr std::string_view kBrokerUnavailable = "BROKER_UNAVAILABLE";      // 503
constexpr std::string_view kDatabaseUnavailable = "DATABASE_UNAVAILABLE";  // 503
constexpr std::string_view kOverloaded = "OVERLOADED";                     // 503
constexpr std::string_view kShuttingDown = "SHUTTING_DOWN";                // 503
constexpr std::string_view kInternal = "INTERNAL";                         // 500

http::Response JsonResponse(int status, const json& body) {
  return http::Response::Json(status, body.dump());
}

// The answer to every accepted webhook, as JsonResponse would write it.
constexpr std::string_view kWebhookAccepted = R"({"status":"accepted"})";

// A 503 says that retrying later can help: Retry-After tells clients when (the PGs retry on their
// own schedules anyway).
constexpr std::chrono::seconds kRetryAfter{1};
// While the broker is known down a retry within a second would most likely be refused again.
// The publisher threads retry their connections more often than this (backoff capped at 2 s by
// the gateway command), so a client retrying after it finds the gateway publishing again.
constexpr std::chrono::seconds kBrokerDownRetryAfter{3};

http::Response ErrorResponse(int status, std::string_view code, std::string_view message,
                             std::chrono::seconds retry_after = kRetryAfter) {
  http::Response response = JsonResponse(status, {{"code", code}, {"message", message}});
  if (status == 503) response.headers.Set("Retry-After", std::to_string(retry_after.count()));
  return response;
}

http::Response RequestError(const domain::Error& error) {
  return ErrorResponse(400, error.code, error.message);
}

http::Response Refused(Admission admission) {
  switch (admission) {
    case Admission::kFull:
      return ErrorResponse(503, kOverloaded, "too many requests in progress; retry shortly");
    case Admission::kBrokerDown:
      return ErrorResponse(503, kBrokerUnavailable,
                           "the broker is unreachable, nothing was published; retry later",
                           kBrokerDownRetryAfter);
    case Admission::kQueued:  // not a refusal; never passed here
    case Admission::kClosed:
      break;
  }
  return ErrorResponse(503, kShuttingDown, "the gateway is shutting down");
}

http::Response NotPublished(PublishResult result) {
  return ErrorResponse(
      503, kBrokerUnavailable,
      std::string("the broker did not store the message (") + ToString(result) + "); retry later");
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

class Gateway::Impl {
 public:
  Impl(GatewayOptions options, GatewayPorts ports, const infra::clock::Clock& clock,
       infra::metrics::Registry& registry, const infra::log::Logger& logger)
      : options_(std::move(options)),
        clock_(clock),
        registry_(registry),
        metrics_(registry),
        logger_(logger),
        token_digest_(infra::crypto::Sha256Hex(options_.api_token)),
        reader_(options_.portone_verifier),
        pipeline_(std::move(ports.publishers), options_.publishing, metrics_,
                  logger.Child("publish")),
        db_(std::move(ports.connections), options_.database, metrics_, logger.Child("db")) {}

  domain::Status Start() {
    pipeline_.Start();
    db_.Start();
    server::ServerOptions server_options;
    server_options.host = options_.host;
    server_options.port = options_.port;
    server_options.loop_threads = options_.loop_threads;
    server_options.max_body_bytes = options_.max_body_bytes;
    server_options.handler_timeout = options_.handler_timeout;
    auto started = server::Server::Start(server_options, Routes().ToHandler());
    if (!started.ok()) return started.error();
    server_ = std::move(*started);
    server_ready_ = server_.get();
    return domain::Ok();
  }

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }

  bool Stop(std::chrono::milliseconds grace) {
    if (stopped_.exchange(true)) return stopped_cleanly_;
    stopping_ = true;
    const auto deadline = SteadyClock::now() + grace;
    if (server_) server_->Stop(grace * 3 / 4);
    // Database work first: what it still publishes needs the pipeline.
    const bool queried = db_.Stop(deadline);
    const bool published = pipeline_.Stop(deadline);
    stopped_cleanly_ = published && queried;
    return stopped_cleanly_;
  }

  [[nodiscard]] std::string RenderMetrics() const {
    std::string text = registry_.RenderText();
    if (const server::Server* running = server_ready_.load()) {
      text += RenderServerStats(running->stats());
    }
    return text;
  }

 private:
  using RouteHandler = std::function<void(http::Request, PathParams, Responder)>;

  server::Router Routes() {
    server::Router router;
    Add(router, "POST", "/webhooks/toss", [this](http::Request request, PathParams, Responder r) {
      OnWebhook(reader_.ReadToss(std::move(request), clock_.Now()), "toss", std::move(r));
    });
    Add(router, "POST", "/webhooks/portone",
        [this](http::Request request, PathParams, Responder r) {
          OnWebhook(reader_.ReadPortOne(std::move(request), clock_.Now()), "portone", std::move(r));
        });
    Add(router, "POST", "/v1/checkouts", Authenticated(&Impl::OnCheckout));
    Add(router, "POST", "/v1/payments/confirm", Authenticated(&Impl::OnConfirm));
    Add(router, "POST", "/v1/payments/{paymentKey}/cancel", Authenticated(&Impl::OnCancel));
    Add(router, "GET", "/v1/payments/{paymentKey}", Authenticated(&Impl::OnGetPayment));
    Add(router, "GET", "/v1/orders/{orderId}", Authenticated(&Impl::OnGetOrder));
    Add(router, "GET", "/healthz", [](http::Request, PathParams, Responder r) {
      r.Respond(JsonResponse(200, {{"status", "ok"}}));
    });
    Add(router, "GET", "/readyz",
        [this](http::Request, PathParams, Responder r) { OnReady(std::move(r)); });
    Add(router, "GET", "/metrics", [this](http::Request, PathParams, Responder r) {
      http::Response response = http::Response::Text(200, RenderMetrics());
      response.headers.Set("Content-Type", std::string(infra::metrics::kTextContentType));
      r.Respond(std::move(response));
    });
    router.SetFallback([this](http::Request, Responder responder) {
      Counted("other", std::move(responder))
          .Respond(ErrorResponse(404, "NOT_FOUND", "no such resource"));
    });
    return router;
  }

  // Registers a route whose responses are counted by route pattern, status and error code.
  void Add(server::Router& router, std::string_view method, std::string_view pattern,
           RouteHandler handler) {
    router.Add(method, pattern,
               [this, route = std::string(pattern), handler = std::move(handler)](
                   http::Request request, PathParams params, Responder responder) {
                 handler(std::move(request), std::move(params),
                         Counted(route, std::move(responder)));
               });
  }

  Responder Counted(const std::string& route, Responder responder) {
    return Responder::WithCallback(
        [this, route, responder = std::move(responder)](http::Response response) {
          metrics_.requests.WithLabels({route, std::to_string(response.status)}).Increment();
          if (response.status >= 400) {
            const json body = json::parse(response.body, nullptr, false);
            const std::string code =
                body.is_object() && body.contains("code") && body["code"].is_string()
                    ? body["code"].get<std::string>()
                    : "UNKNOWN";
            metrics_.errors.WithLabels({route, code}).Increment();
          }
          responder.Respond(std::move(response));
        });
  }

  using ApiHandler = void (Impl::*)(http::Request&, PathParams&, Responder&);

  // The payment API answers 401 unless the request carries `Authorization: Bearer <token>`.
  RouteHandler Authenticated(ApiHandler handler) {
    return [this, handler](http::Request request, PathParams params, Responder responder) {
      if (!Authorized(request)) {
        http::Response response =
            ErrorResponse(401, kUnauthorized, "a valid bearer token is required");
        response.headers.Set("WWW-Authenticate", "Bearer");
        responder.Respond(std::move(response));
        return;
      }
      (this->*handler)(request, params, responder);
    };
  }

  [[nodiscard]] bool Authorized(const http::Request& request) const {
    const auto header = request.headers.Get("authorization");
    if (!header || !domain::StartsWithIgnoringCase(*header, "Bearer ")) return false;
    const std::string token = Trim(header->substr(7));
    if (token.empty() || options_.api_token.empty()) return false;
    // Digests have one length whatever was sent, so the comparison's time reveals nothing.
    return infra::crypto::ConstantTimeEquals(infra::crypto::Sha256Hex(token), token_digest_);
  }

  [[nodiscard]] std::int64_t NowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch())
        .count();
  }

  // --- webhooks ---------------------------------------------------------------------------

  void OnWebhook(WebhookVerdict verdict, std::string_view provider, Responder responder) {
    if (auto* refusal = std::get_if<WebhookRefusal>(&verdict)) {
      metrics_.webhooks_refused.WithLabels({provider, refusal->reason}).Increment();
      responder.Respond(ErrorResponse(refusal->status, refusal->code, refusal->message));
      return;
    }
    auto& accepted = std::get<AcceptedWebhook>(verdict);
    const std::string format = messages::ToString(accepted.webhook.format);
    infra::amqp::OutgoingMessage message = runtime::ToAmqp(
        messages::BuildWebhookReceived(accepted.webhook, std::move(accepted.correlation_id)));
    const Admission admission = pipeline_.Submit(
        std::move(message),
        [this, provider = std::string(provider), format, responder](PublishResult result) {
          if (result == PublishResult::kConfirmed) {
            metrics_.webhooks_accepted.WithLabels({format}).Increment();
            responder.Respond(http::Response::Json(200, std::string(kWebhookAccepted)));
            return;
          }
          metrics_.webhooks_refused
              .WithLabels({provider, std::string("broker_") + ToString(result)})
              .Increment();
          responder.Respond(NotPublished(result));
        });
    if (admission != Admission::kQueued) {
      metrics_.webhooks_refused.WithLabels({provider, ToString(admission)}).Increment();
      responder.Respond(Refused(admission));
    }
  }

  // --- payment API ------------------------------------------------------------------------

  using DbWork = std::function<void(Connection&, const Responder&)>;

  // Runs `work` on a database thread; answers 503 when no connection can be had.
  void WithDatabase(Responder responder, DbWork work) {
    const Admission admission = db_.Submit(
        [this, responder, work = std::move(work)](domain::Result<Connection*> connection) {
          if (!connection.ok()) {
            RespondDatabaseError(responder, connection.error());
            return;
          }
          work(**connection, responder);
        });
    if (admission != Admission::kQueued) responder.Respond(Refused(admission));
  }

  void RespondDatabaseError(const Responder& responder, const domain::Error& error) {
    if (error.kind == domain::ErrorKind::kPermanent) {
      // Valid input met a database that refused it: a bug or a schema mismatch, not the client.
      logger_.Error("database refused a gateway statement", {{"error", error.ToString()}});
      responder.Respond(ErrorResponse(500, kInternal, "internal error"));
      return;
    }
    responder.Respond(ErrorResponse(503, kDatabaseUnavailable,
                                    "the database is unavailable (" + error.code + "); retry"));
  }

  // Publishes `message` and answers `on_confirmed` once the broker stored it, 503 otherwise.
  void PublishThen(infra::amqp::OutgoingMessage message, const Responder& responder,
                   http::Response on_confirmed) {
    const Admission admission = pipeline_.Submit(
        std::move(message),
        [responder, on_confirmed = std::move(on_confirmed)](PublishResult result) {
          responder.Respond(result == PublishResult::kConfirmed ? on_confirmed
                                                                : NotPublished(result));
        });
    if (admission != Admission::kQueued) responder.Respond(Refused(admission));
  }

  void OnCheckout(http::Request& request, PathParams&, Responder& responder) {
    auto checkout = ParseCheckoutRequest(request.body);
    if (!checkout.ok()) {
      responder.Respond(RequestError(checkout.error()));
      return;
    }
    WithDatabase(
        responder, [this, checkout = std::move(*checkout)](Connection& db, const Responder& r) {
          auto checked_out = CreateCheckout(db, checkout);
          if (!checked_out.ok()) return RespondDatabaseError(r, checked_out.error());
          switch (checked_out->outcome) {
            case CheckoutOutcome::kCreated:
              r.Respond(JsonResponse(201, checked_out->view));
              return;
            case CheckoutOutcome::kUnknownPartner:
              r.Respond(ErrorResponse(422, kUnknownPartner, "partnerId names no partner"));
              return;
            case CheckoutOutcome::kPartnerInactive:
              r.Respond(ErrorResponse(422, kPartnerInactive, "the partner does not accept orders"));
              return;
            case CheckoutOutcome::kConflict:
              r.Respond(ErrorResponse(409, kOrderConflict,
                                      "orderId is already registered with different content"));
              return;
            case CheckoutOutcome::kRepeated:
              break;
          }
          auto view = LoadOrderView(db, checkout.order_id);
          if (!view.ok()) return RespondDatabaseError(r, view.error());
          if (!view->has_value()) {
            r.Respond(ErrorResponse(503, kDatabaseUnavailable, "the order cannot be read back"));
            return;
          }
          r.Respond(JsonResponse(200, **view));
        });
  }

  void OnConfirm(http::Request& request, PathParams&, Responder& responder) {
    auto confirm = ParseConfirmRequest(request.body);
    if (!confirm.ok()) {
      responder.Respond(RequestError(confirm.error()));
      return;
    }
    WithDatabase(responder, [this, confirm = std::move(*confirm)](Connection& db,
                                                                  const Responder& r) {
      auto order = FindOrderForConfirm(db, confirm.order_id);
      if (!order.ok()) return RespondDatabaseError(r, order.error());
      if (!order->has_value()) {
        r.Respond(ErrorResponse(404, kOrderNotFound, "no checkout registered this orderId"));
        return;
      }
      const OrderForConfirm& found = **order;
      if (found.stored_provider != messages::ToString(confirm.provider)) {
        r.Respond(
            ErrorResponse(422, kProviderMismatch,
                          "the order was checked out with provider " + found.stored_provider));
        return;
      }
      // A mismatch is forwarded all the same: with PortOne the money may already have moved,
      // and only the confirm stage can make sure it is returned (auto-cancel) and alert. The
      // storefront is told 422 so that it never shows success.
      http::Response answer =
          found.amount != confirm.amount
              ? ErrorResponse(422, kAmountMismatch,
                              "amount differs from the order's; the payment will not be "
                              "approved (or is being canceled)")
              : JsonResponse(
                    202, {{"orderId", confirm.order_id.str()},
                          {"paymentKey", confirm.payment_key.str()},
                          {"status", found.status == "CREATED" ? "IN_PROGRESS" : found.status}});
      PublishThen(runtime::ToAmqp(messages::BuildPaymentConfirm(confirm, NowSeconds())), r,
                  std::move(answer));
    });
  }

  void OnCancel(http::Request& request, PathParams& params, Responder& responder) {
    auto cancel = ParseCancelRequest(params.Get("paymentKey").value_or(""), request.body,
                                     request.headers.Get("idempotency-key"));
    if (!cancel.ok()) {
      responder.Respond(RequestError(cancel.error()));
      return;
    }
    WithDatabase(responder, [this, cancel = std::move(*cancel)](Connection& db,
                                                                const Responder& r) {
      auto payment = FindPaymentForCancel(db, cancel.payment_key);
      if (!payment.ok()) return RespondDatabaseError(r, payment.error());
      if (!payment->has_value()) {
        r.Respond(ErrorResponse(404, kPaymentNotFound, "no payment has this paymentKey"));
        return;
      }
      const PaymentForCancel& found = **payment;
      if (!found.provider) {
        return RespondDatabaseError(
            r, domain::Error::Permanent("UNKNOWN_PROVIDER", "payment has an unknown provider"));
      }
      const messages::PaymentCancel message{*found.provider,        cancel.payment_key,
                                            cancel.cancel_reason,   cancel.cancel_amount,
                                            cancel.idempotency_key, messages::CancelOrigin::kApi};
      PublishThen(
          runtime::ToAmqp(messages::BuildPaymentCancel(message, found.order_id, NowSeconds())), r,
          JsonResponse(202, {{"paymentKey", cancel.payment_key.str()},
                             {"orderId", found.order_id.str()},
                             {"idempotencyKey", cancel.idempotency_key.str()},
                             {"status", "CANCEL_REQUESTED"}}));
    });
  }

  void OnGetPayment(http::Request&, PathParams& params, Responder& responder) {
    const std::string key(params.Get("paymentKey").value_or(""));
    if (auto checked = CheckPaymentKey(key); !checked.ok()) {
      responder.Respond(RequestError(checked.error()));
      return;
    }
    WithDatabase(responder, [this, key](Connection& db, const Responder& r) {
      auto view = LoadPaymentView(db, domain::PaymentKey(key));
      if (!view.ok()) return RespondDatabaseError(r, view.error());
      r.Respond(view->has_value()
                    ? JsonResponse(200, **view)
                    : ErrorResponse(404, kPaymentNotFound, "no payment has this paymentKey"));
    });
  }

  void OnGetOrder(http::Request&, PathParams& params, Responder& responder) {
    const std::string id(params.Get("orderId").value_or(""));
    if (auto checked = CheckOrderId(id); !checked.ok()) {
      responder.Respond(RequestError(checked.error()));
      return;
    }
    WithDatabase(responder, [this, id](Connection& db, const Responder& r) {
      auto view = LoadOrderView(db, domain::OrderId(id));
      if (!view.ok()) return RespondDatabaseError(r, view.error());
      r.Respond(view->has_value()
                    ? JsonResponse(200, **view)
                    : ErrorResponse(404, kOrderNotFound, "no checkout registered this orderId"));
    });
  }

  // --- health -----------------------------------------------------------------------------

  void OnReady(Responder responder) {
    if (stopping_) {
      responder.Respond(JsonResponse(503, {{"status", "stopping"}}));
      return;
    }
    const bool broker = pipeline_.broker_ready();
    const Admission admission = db_.Submit([broker,
                                            responder](domain::Result<Connection*> connection) {
      const bool database = connection.ok() && (*connection)->Ping().ok();
      const bool ready = broker && database;
      responder.Respond(JsonResponse(
          ready ? 200 : 503,
          {{"status", ready ? "ready" : "not ready"}, {"broker", broker}, {"database", database}}));
    });
    if (admission != Admission::kQueued) {
      responder.Respond(
          JsonResponse(503, {{"status", "not ready"}, {"broker", broker}, {"database", false}}));
    }
  }

  GatewayOptions options_;
  const infra::clock::Clock& clock_;
  infra::metrics::Registry& registry_;
  GatewayMetrics metrics_;
  infra::log::Logger logger_;
  const std::string token_digest_;
  const WebhookReader reader_;
  PublishPipeline pipeline_;
  DbPool db_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  bool stopped_cleanly_ = true;
  std::atomic<const server::Server*> server_ready_{nullptr};
  // Last: destroyed first, so that no handler runs once the queues are gone.
  std::unique_ptr<server::Server> server_;
};

domain::Result<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options, GatewayPorts ports,
                                                        const infra::clock::Clock& clock,
                                                        infra::metrics::Registry& metrics,
                                                        const infra::log::Logger& logger) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(ports), clock, metrics, logger);
  PAYPIPE_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() {
  if (impl_) static_cast<void>(impl_->Stop(std::chrono::milliseconds(0)));
}

std::uint16_t Gateway::port() const { return impl_->port(); }

bool Gateway::Stop(std::chrono::milliseconds grace) { return impl_->Stop(grace); }

std::string Gateway::RenderMetrics() const { return impl_->RenderMetrics(); }

}  // namespace paypipe::gateway
