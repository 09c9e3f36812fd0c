#include "paypipe/infra/amqp/consumer.hpp"

#include <algorithm>

#include "paypipe/infra/amqp/errors.hpp"
#include "session.hpp"

namespace paypipe::infra::amqp {

using detail::Bytes;
using detail::Copy;
using detail::Session;
using detail::SteadyClock;
using domain::Error;
using domain::Fail;
using domain::Ok;
using domain::Result;
using domain::Status;

class Consumer::Impl {
 public:
  Impl(AmqpUrl url, ConsumerOptions options)
      : options_(std::move(options)), session_(std::move(url), options_.connection) {
    subscriptions_.reserve(options_.queues.size());
    for (const std::string& queue : options_.queues) subscriptions_.push_back({queue, {}, 0});
    session_.set_channel_setup([this] { return Setup(); });
  }

  Status Connect(std::chrono::milliseconds timeout) {
    return session_.Ensure(SteadyClock::now() + timeout);
  }

  Result<std::optional<Delivery>> Next(std::chrono::milliseconds timeout);

  template <typename Send>
  Status Settle(const DeliveryTag& tag, std::string_view what, Send send) {
    if (!session_.channel_open() || tag.generation != session_.generation()) {
      return Fail(Error::Transient(
          std::string(kErrStaleDelivery),
          std::string(what) + " of delivery " + std::to_string(tag.value) + " from channel " +
              "generation " + std::to_string(tag.generation) +
              " refused: the current generation is " +
              (session_.channel_open() ? std::to_string(session_.generation()) : "none") +
              "; the broker requeues that delivery"));
    }
    const int status = send(session_.state(), Session::kChannel, tag.value);
    if (status != AMQP_STATUS_OK) return Fail(session_.OnLibraryError(status, what));
    return Ok();
  }

  [[nodiscard]] bool connected() const { return session_.connected(); }
  [[nodiscard]] std::uint64_t reconnects() const { return session_.reconnects(); }
  [[nodiscard]] std::uint64_t generation() const { return session_.generation(); }

 private:
  struct Subscription {
    std::string queue;
    std::string consumer_tag;
    std::uint64_t generation = 0;  // channel generation it is active on; 0 = not active
  };

  Status Setup();
  std::optional<Error> HandleUnexpectedFrame();
  [[nodiscard]] Delivery ToDelivery(const amqp_envelope_t& envelope) const;

  ConsumerOptions options_;
  Session session_;
  std::vector<Subscription> subscriptions_;
  std::uint64_t qos_generation_ = 0;
};

// Runs on every new channel, and after a broker-side cancel for the subscriptions that lost
// their consumer. Each step is idempotent per channel generation.
Status Consumer::Impl::Setup() {
  if (subscriptions_.empty()) {
    return Fail(Error::Permanent(std::string(kErrConfigInvalid), "consumer has no queues"));
  }
  if (options_.prefetch == 0) {
    return Fail(Error::Permanent(std::string(kErrConfigInvalid),
                                 "prefetch must be positive (0 would mean unlimited)"));
  }
  const std::uint64_t generation = session_.generation();
  if (qos_generation_ != generation) {
    if (amqp_basic_qos(session_.state(), Session::kChannel, 0, options_.prefetch, 0) == nullptr) {
      return Fail(session_.OnRpcFailure(amqp_get_rpc_reply(session_.state()), "basic.qos"));
    }
    qos_generation_ = generation;
  }
  for (Subscription& subscription : subscriptions_) {
    if (subscription.generation == generation) continue;
    const amqp_basic_consume_ok_t* ok = amqp_basic_consume(
        session_.state(), Session::kChannel, Bytes(subscription.queue), amqp_empty_bytes,
        /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
    if (ok == nullptr) {
      return Fail(session_.OnRpcFailure(amqp_get_rpc_reply(session_.state()),
                                        "basic.consume '" + subscription.queue + "'"));
    }
    subscription.consumer_tag = Copy(ok->consumer_tag);
    subscription.generation = generation;
  }
  return Ok();
}

Result<std::optional<Delivery>> Consumer::Impl::Next(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    PAYPIPE_RETURN_IF_ERROR(session_.Ensure(deadline));
    amqp_connection_state_t state = session_.state();
    amqp_maybe_release_buffers(state);
    amqp_envelope_t envelope;
    const timeval wait = detail::ToTimeval(deadline - SteadyClock::now());
    const amqp_rpc_reply_t reply = amqp_consume_message(state, &envelope, &wait, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
      Delivery delivery = ToDelivery(envelope);
      amqp_destroy_envelope(&envelope);
      return std::optional<Delivery>(std::move(delivery));
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT) {
      return std::optional<Delivery>();
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      if (auto error = HandleUnexpectedFrame()) return Fail(std::move(*error));
      if (SteadyClock::now() >= deadline) return std::optional<Delivery>();
      continue;
    }
    return Fail(session_.OnRpcFailure(reply, "consuming"));
  }
}

// amqp_consume_message leaves any frame other than basic.deliver queued for us.
std::optional<Error> Consumer::Impl::HandleUnexpectedFrame() {
  amqp_frame_t frame;
  const int status = amqp_simple_wait_frame(session_.state(), &frame);
  if (status != AMQP_STATUS_OK) return session_.OnLibraryError(status, "reading a frame");
  if (frame.frame_type != AMQP_FRAME_METHOD) return std::nullopt;  // stray content frame
  if (frame.channel == Session::kChannel && frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD) {
    const auto* cancel = static_cast<const amqp_basic_cancel_t*>(frame.payload.method.decoded);
    const std::string_view tag = detail::View(cancel->consumer_tag);
    std::string queue = "?";
    for (Subscription& subscription : subscriptions_) {
      if (subscription.consumer_tag == tag) {
        subscription.generation = 0;
        queue = subscription.queue;
      }
    }
    // Unacked deliveries of the cancelled consumer stay valid on this channel; only the
    // subscription has to be made again.
    session_.RequestSetup();
    return Error::Transient(std::string(kErrConsumerCancelled),
                            "the broker cancelled the subscription to queue '" + queue +
                                "' (queue deleted or unavailable); resubscribing");
  }
  return session_.OnAsyncMethod(frame);
}

Delivery Consumer::Impl::ToDelivery(const amqp_envelope_t& envelope) const {
  Delivery delivery;
  delivery.tag = DeliveryTag{session_.generation(), envelope.delivery_tag};
  const std::string_view consumer_tag = detail::View(envelope.consumer_tag);
  const auto subscription =
      std::find_if(subscriptions_.begin(), subscriptions_.end(),
                   [&](const Subscription& s) { return s.consumer_tag == consumer_tag; });
  if (subscription != subscriptions_.end()) delivery.queue = subscription->queue;
  delivery.exchange = Copy(envelope.exchange);
  delivery.routing_key = Copy(envelope.routing_key);
  delivery.redelivered = envelope.redelivered != 0;
  delivery.properties = detail::DecodeProperties(envelope.message.properties);
  delivery.body = Copy(envelope.message.body);
  return delivery;
}

Consumer::Consumer(AmqpUrl url, ConsumerOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {}
Consumer::~Consumer() = default;
Consumer::Consumer(Consumer&&) noexcept = default;
Consumer& Consumer::operator=(Consumer&&) noexcept = default;

Status Consumer::Connect(std::chrono::milliseconds timeout) { return impl_->Connect(timeout); }

Result<std::optional<Delivery>> Consumer::Next(std::chrono::milliseconds timeout) {
  return impl_->Next(timeout);
}

Status Consumer::Ack(const DeliveryTag& tag) {
  return impl_->Settle(
      tag, "basic.ack",
      [](amqp_connection_state_t state, amqp_channel_t channel, std::uint64_t value) {
        return amqp_basic_ack(state, channel, value, 0);
      });
}

Status Consumer::AckThrough(const DeliveryTag& tag) {
  return impl_->Settle(
      tag, "basic.ack",
      [](amqp_connection_state_t state, amqp_channel_t channel, std::uint64_t value) {
        return amqp_basic_ack(state, channel, value, /*multiple=*/1);
      });
}

Status Consumer::Nack(const DeliveryTag& tag, Requeue requeue) {
  const amqp_boolean_t requeue_flag = requeue == Requeue::kYes ? 1 : 0;
  return impl_->Settle(
      tag, "basic.nack",
      [requeue_flag](amqp_connection_state_t state, amqp_channel_t channel, std::uint64_t value) {
        return amqp_basic_nack(state, channel, value, 0, requeue_flag);
      });
}

Status Consumer::Reject(const DeliveryTag& tag, Requeue requeue) {
  const amqp_boolean_t requeue_flag = requeue == Requeue::kYes ? 1 : 0;
  return impl_->Settle(
      tag, "basic.reject",
      [requeue_flag](amqp_connection_state_t state, amqp_channel_t channel, std::uint64_t value) {
        return amqp_basic_reject(state, channel, value, requeue_flag);
      });
}

bool Consumer::connected() const { return impl_->connected(); }
std::uint64_t Consumer::reconnects() const { return impl_->reconnects(); }
std::uint64_t Consumer::generation() const { return impl_->generation(); }

}  // namespace paypipe::infra::amqp
