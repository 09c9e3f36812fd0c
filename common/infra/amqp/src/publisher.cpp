#include "paypipe/infra/amqp/publisher.hpp"

#include <algorithm>
#include <array>
#include <charconv>

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
using domain::Status;

const char* ToString(PublishStatus status) {
  switch (status) {
    case PublishStatus::kConfirmed:
      return "confirmed";
    case PublishStatus::kReturned:
      return "returned";
    case PublishStatus::kNacked:
      return "nacked";
    case PublishStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, PublishStatus status) {
  return out << ToString(status);
}

bool PublishBatchResult::AllConfirmed() const {
  return std::all_of(outcomes.begin(), outcomes.end(), [](const PublishOutcome& outcome) {
    return outcome.status == PublishStatus::kConfirmed;
  });
}

std::size_t PublishBatchResult::Count(PublishStatus status) const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(),
                    [status](const PublishOutcome& outcome) { return outcome.status == status; }));
}

class Publisher::Impl {
 public:
  Impl(AmqpUrl url, PublisherOptions options)
      : options_(std::move(options)), session_(std::move(url), options_.connection) {
    session_.set_channel_setup([this] { return SelectConfirms(); });
  }

  Status Connect(std::chrono::milliseconds timeout) {
    return session_.Ensure(SteadyClock::now() + timeout);
  }

  PublishBatchResult PublishBatch(std::span<const OutgoingMessage> messages,
                                  SteadyClock::time_point deadline);

  Status KeepAlive() {
    if (!session_.ready()) return Ok();
    return session_.DrainIdle();
  }

  [[nodiscard]] bool connected() const { return session_.connected(); }
  [[nodiscard]] std::uint64_t reconnects() const { return session_.reconnects(); }
  [[nodiscard]] std::chrono::milliseconds publish_timeout() const {
    return options_.publish_timeout;
  }

 private:
  // Per-batch bookkeeping, kept across calls so that its storage is reused.
  struct Batch {
    std::span<const OutgoingMessage> messages;
    std::vector<PublishOutcome>* outcomes = nullptr;
    std::uint64_t first_tag = 0;
    std::size_t published = 0;
    std::vector<std::uint8_t> settled;
    std::size_t lowest_unsettled = 0;  // every index below is settled
    std::size_t unsettled = 0;
    std::size_t next_return_candidate = 0;  // returns arrive in publish order
  };

  Status SelectConfirms() {
    if (amqp_confirm_select(session_.state(), Session::kChannel) == nullptr) {
      return Fail(session_.OnRpcFailure(amqp_get_rpc_reply(session_.state()), "confirm.select"));
    }
    // Publish sequence numbers restart at 1 on every channel.
    next_tag_ = 1;
    return Ok();
  }

  Status Prepare(SteadyClock::time_point deadline);
  int PublishOne(const OutgoingMessage& message);
  std::optional<Error> AwaitConfirms(SteadyClock::time_point deadline);
  void Settle(std::uint64_t tag, bool multiple, PublishStatus status);
  std::optional<Error> HandleReturn(const amqp_frame_t& frame);

  PublisherOptions options_;
  Session session_;
  std::uint64_t next_tag_ = 1;
  std::vector<amqp_table_entry_t> header_entries_;
  Batch batch_;
};

Status Publisher::Impl::Prepare(SteadyClock::time_point deadline) {
  PAYPIPE_RETURN_IF_ERROR(session_.EnsureLive(deadline));
  // Writing while blocked would stall in the socket until the alarm clears.
  PAYPIPE_RETURN_IF_ERROR(session_.WaitWhileBlocked(deadline));
  if (!session_.ready()) PAYPIPE_RETURN_IF_ERROR(session_.EnsureLive(deadline));
  if (session_.blocked()) {
    return Fail(Error::Transient(std::string(kErrBlocked),
                                 "the broker blocked publishing (resource alarm)"));
  }
  return Ok();
}

int Publisher::Impl::PublishOne(const OutgoingMessage& message) {
  const MessageProperties& source = message.properties;
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  properties.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  if (!source.content_type.empty()) {
    properties._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
    properties.content_type = Bytes(source.content_type);
  }
  if (!source.message_id.empty()) {
    properties._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
    properties.message_id = Bytes(source.message_id);
  }
  if (!source.correlation_id.empty()) {
    properties._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
    properties.correlation_id = Bytes(source.correlation_id);
  }
  if (!source.type.empty()) {
    properties._flags |= AMQP_BASIC_TYPE_FLAG;
    properties.type = Bytes(source.type);
  }
  if (source.timestamp) {
    properties._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    properties.timestamp = static_cast<std::uint64_t>(
        std::max<std::int64_t>(source.timestamp->time_since_epoch().count(), 0));
  }
  std::array<char, 24> expiration{};
  if (source.expiration) {
    const auto millis = std::max<std::int64_t>(source.expiration->count(), 0);
    const auto [end, ec] =
        std::to_chars(expiration.data(), expiration.data() + expiration.size(), millis);
    static_cast<void>(ec);  // 24 chars always hold an int64
    properties._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    properties.expiration = Bytes(
        std::string_view(expiration.data(), static_cast<std::size_t>(end - expiration.data())));
  }
  if (!source.headers.empty()) {
    properties._flags |= AMQP_BASIC_HEADERS_FLAG;
    properties.headers = detail::EncodeTable(source.headers, header_entries_);
  }
  return amqp_basic_publish(session_.state(), Session::kChannel, Bytes(message.exchange),
                            Bytes(message.routing_key), /*mandatory=*/1, /*immediate=*/0,
                            &properties, Bytes(message.body));
}

PublishBatchResult Publisher::Impl::PublishBatch(std::span<const OutgoingMessage> messages,
                                                 SteadyClock::time_point deadline) {
  PublishBatchResult result;
  result.outcomes.resize(messages.size());
  if (messages.empty()) return result;

  if (Status ready = Prepare(deadline); !ready.ok()) {
    result.error = ready.error();
    return result;
  }

  batch_.messages = messages;
  batch_.outcomes = &result.outcomes;
  batch_.first_tag = next_tag_;
  batch_.published = 0;
  batch_.settled.assign(messages.size(), 0);
  batch_.lowest_unsettled = 0;
  batch_.unsettled = messages.size();
  batch_.next_return_candidate = 0;

  for (const OutgoingMessage& message : messages) {
    const int status = PublishOne(message);
    if (status != AMQP_STATUS_OK) {
      if (status == AMQP_STATUS_TABLE_TOO_BIG || status == AMQP_STATUS_INVALID_PARAMETER) {
        // The method frame may already be out: the channel state is unknown, start afresh.
        session_.Drop();
        result.error = Error::Permanent(std::string(kErrInvalidMessage),
                                        "message " + std::to_string(batch_.published) + " ('" +
                                            message.properties.message_id +
                                            "') cannot be encoded: " + amqp_error_string2(status));
      } else {
        result.error = session_.OnLibraryError(status, "basic.publish");
      }
      // Messages already written may or may not have reached the broker: kUnknown.
      batch_.outcomes = nullptr;
      return result;
    }
    ++next_tag_;
    ++batch_.published;
  }

  if (auto error = AwaitConfirms(deadline)) result.error = std::move(error);
  batch_.outcomes = nullptr;
  return result;
}

std::optional<Error> Publisher::Impl::AwaitConfirms(SteadyClock::time_point deadline) {
  while (batch_.unsettled > 0) {
    const auto remaining = deadline - SteadyClock::now();
    amqp_frame_t frame;
    const timeval timeout = detail::ToTimeval(remaining);
    const int status = amqp_simple_wait_frame_noblock(session_.state(), &frame, &timeout);
    if (status == AMQP_STATUS_TIMEOUT) {
      // Late confirms and returns could be mistaken for those of the next batch: start afresh.
      session_.Drop();
      return Error::Transient(
          std::string(kErrConnectionLost),
          std::to_string(batch_.unsettled) + " publisher confirms missing after " +
              std::to_string(options_.publish_timeout.count()) + " ms; connection reset");
    }
    if (status != AMQP_STATUS_OK) return session_.OnLibraryError(status, "awaiting confirms");
    if (frame.frame_type == AMQP_FRAME_METHOD && frame.channel == Session::kChannel &&
        frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
      Settle(ack->delivery_tag, ack->multiple != 0, PublishStatus::kConfirmed);
    } else if (frame.frame_type == AMQP_FRAME_METHOD && frame.channel == Session::kChannel &&
               frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
      Settle(nack->delivery_tag, nack->multiple != 0, PublishStatus::kNacked);
    } else if (frame.frame_type == AMQP_FRAME_METHOD && frame.channel == Session::kChannel &&
               frame.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
      if (auto error = HandleReturn(frame)) return error;
    } else if (auto error = session_.OnAsyncMethod(frame)) {
      // The channel or the connection is gone; whatever is unsettled stays kUnknown.
      return error;
    }
    if (session_.connected()) amqp_maybe_release_buffers(session_.state());
  }
  return std::nullopt;
}

void Publisher::Impl::Settle(std::uint64_t tag, bool multiple, PublishStatus status) {
  if (tag < batch_.first_tag) return;  // belongs to an abandoned batch
  const std::uint64_t offset = tag - batch_.first_tag;
  if (offset >= batch_.published) return;  // never published on this channel: ignore
  const auto last = static_cast<std::size_t>(offset);
  auto settle_one = [&](std::size_t index) {
    if (batch_.settled[index] != 0) return;
    batch_.settled[index] = 1;
    --batch_.unsettled;
    PublishOutcome& outcome = (*batch_.outcomes)[index];
    // The broker acks an unroutable message after returning it: the return is what counts.
    if (outcome.status != PublishStatus::kReturned) outcome.status = status;
  };
  if (multiple) {
    for (std::size_t index = batch_.lowest_unsettled; index <= last; ++index) settle_one(index);
  } else {
    settle_one(last);
  }
  while (batch_.lowest_unsettled < batch_.published &&
         batch_.settled[batch_.lowest_unsettled] != 0) {
    ++batch_.lowest_unsettled;
  }
}

// basic.return carries no delivery tag. It is matched to the earliest unsettled message with the
// same exchange, routing key and message id that follows the previously returned one: the broker
// handles a channel's publishes in order, sends a message's return before its ack, and returns
// messages in publish order.
std::optional<Error> Publisher::Impl::HandleReturn(const amqp_frame_t& frame) {
  const auto* method = static_cast<const amqp_basic_return_t*>(frame.payload.method.decoded);
  const std::uint16_t reply_code = method->reply_code;
  std::string reply_text = Copy(method->reply_text);
  const std::string exchange = Copy(method->exchange);
  const std::string routing_key = Copy(method->routing_key);

  amqp_message_t message;
  const amqp_rpc_reply_t reply =
      amqp_read_message(session_.state(), Session::kChannel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    return session_.OnRpcFailure(reply, "reading a returned message");
  }
  std::string message_id;
  if ((message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0) {
    message_id = Copy(message.properties.message_id);
  }
  amqp_destroy_message(&message);

  const std::size_t start = std::max(batch_.next_return_candidate, batch_.lowest_unsettled);
  for (std::size_t index = start; index < batch_.published; ++index) {
    PublishOutcome& outcome = (*batch_.outcomes)[index];
    const OutgoingMessage& candidate = batch_.messages[index];
    if (batch_.settled[index] != 0 || outcome.status == PublishStatus::kReturned) continue;
    if (candidate.exchange != exchange || candidate.routing_key != routing_key ||
        candidate.properties.message_id != message_id) {
      continue;
    }
    outcome.status = PublishStatus::kReturned;
    outcome.reply_code = reply_code;
    outcome.reply_text = std::move(reply_text);
    batch_.next_return_candidate = index + 1;
    break;
  }
  return std::nullopt;
}

Publisher::Publisher(AmqpUrl url, PublisherOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {}
Publisher::~Publisher() = default;
Publisher::Publisher(Publisher&&) noexcept = default;
Publisher& Publisher::operator=(Publisher&&) noexcept = default;

Status Publisher::Connect(std::chrono::milliseconds timeout) { return impl_->Connect(timeout); }

PublishBatchResult Publisher::PublishBatch(std::span<const OutgoingMessage> messages) {
  return impl_->PublishBatch(messages, SteadyClock::now() + impl_->publish_timeout());
}

PublishBatchResult Publisher::PublishBatch(std::span<const OutgoingMessage> messages,
                                           std::chrono::steady_clock::time_point deadline) {
  return impl_->PublishBatch(messages, deadline);
}

Status Publisher::Publish(const OutgoingMessage& message) {
  PublishBatchResult result = impl_->PublishBatch(std::span<const OutgoingMessage>(&message, 1),
                                                  SteadyClock::now() + impl_->publish_timeout());
  const PublishOutcome& outcome = result.outcomes.front();
  switch (outcome.status) {
    case PublishStatus::kConfirmed:
      return Ok();
    case PublishStatus::kReturned:
      return Fail(Error::Permanent(std::string(kErrUnroutable),
                                   "exchange '" + message.exchange + "' routing key '" +
                                       message.routing_key + "': " + outcome.reply_text));
    case PublishStatus::kNacked:
      return Fail(Error::Transient(
          std::string(kErrNacked),
          "the broker refused to store message '" + message.properties.message_id + "'"));
    case PublishStatus::kUnknown:
      break;
  }
  if (result.error) return Fail(std::move(*result.error));
  return Fail(Error::Transient(std::string(kErrConnectionLost), "publish outcome unknown"));
}

Status Publisher::KeepAlive() { return impl_->KeepAlive(); }
bool Publisher::connected() const { return impl_->connected(); }
std::uint64_t Publisher::reconnects() const { return impl_->reconnects(); }

}  // namespace paypipe::infra::amqp
