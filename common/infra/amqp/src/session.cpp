#include "session.hpp"

#include <algorithm>
#include <array>
#include <thread>

#include "paypipe/infra/amqp/errors.hpp"

namespace paypipe::infra::amqp::detail {
namespace {

using domain::Error;
using domain::ErrorKind;
using domain::Fail;
using domain::Ok;
using domain::Status;

// Closing politely must not hold up a shutdown when the broker is gone.
constexpr std::chrono::milliseconds kCloseTimeout{2'000};

std::string StatusText(int status) { return amqp_error_string2(status); }

amqp_table_entry_t BoolEntry(const char* key, bool value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  entry.value.value.boolean = value ? 1 : 0;
  return entry;
}

}  // namespace

Session::Session(AmqpUrl url, ConnectionOptions options)
    : url_(std::move(url)),
      options_(std::move(options)),
      backoff_(options_.backoff, options_.random_unit) {
  if (options_.connection_name.empty()) options_.connection_name = "paypipe";
}

Session::~Session() { CloseGracefully(); }

std::string Session::Describe(std::string_view what) const {
  std::string text(what);
  text += " [";
  text += url_.ToString();
  text += ']';
  return text;
}

Status Session::Ensure(SteadyClock::time_point deadline) {
  if (ready()) return Ok();
  while (true) {
    const auto now = SteadyClock::now();
    if (now < next_attempt_) {
      if (next_attempt_ > deadline) {
        if (deadline > now) std::this_thread::sleep_until(deadline);
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ -
                                                                                SteadyClock::now());
        const std::string suffix =
            "; next attempt in " + std::to_string(std::max<std::int64_t>(wait.count(), 0)) + " ms";
        if (last_error_) {
          Error error = *last_error_;
          error.message += suffix;
          return Fail(std::move(error));
        }
        return Fail(
            Error::Transient(std::string(kErrConnectionLost), Describe("reconnecting") + suffix));
      }
      std::this_thread::sleep_until(next_attempt_);
    }
    Status status = Attempt();
    if (status.ok()) {
      last_error_.reset();
      return status;
    }
    last_error_ = status.error();
    const auto failed_at = SteadyClock::now();
    // Drop() may already have scheduled the next attempt.
    if (next_attempt_ <= failed_at) next_attempt_ = failed_at + backoff_.Next();
    if (status.error().kind == ErrorKind::kPermanent || failed_at >= deadline) return status;
  }
}

Status Session::EnsureLive(SteadyClock::time_point deadline) {
  PAYPIPE_RETURN_IF_ERROR(Ensure(deadline));
  // Whatever happened while idle concerns no pending call: only its effect (a closed channel or
  // connection) matters, and the second Ensure repairs that.
  static_cast<void>(DrainIdle());
  if (!ready()) PAYPIPE_RETURN_IF_ERROR(Ensure(deadline));
  return Ok();
}

Status Session::DrainIdle() {
  while (channel_open()) {
    auto frame = ReadIdleFrame(timeval{});
    if (!frame.ok()) return Fail(frame.error());
    if (!*frame) break;
  }
  return Ok();
}

Status Session::WaitWhileBlocked(SteadyClock::time_point deadline) {
  while (channel_open() && blocked_) {
    const auto remaining = deadline - SteadyClock::now();
    if (remaining <= SteadyClock::duration::zero()) break;
    auto frame = ReadIdleFrame(ToTimeval(remaining));
    if (!frame.ok()) return Fail(frame.error());
  }
  return Ok();
}

domain::Result<bool> Session::ReadIdleFrame(const timeval& wait) {
  amqp_frame_t frame;
  const int status = amqp_simple_wait_frame_noblock(state_, &frame, &wait);
  if (status == AMQP_STATUS_TIMEOUT) return false;
  if (status != AMQP_STATUS_OK) return Fail(OnLibraryError(status, "reading frames"));
  if (frame.frame_type == AMQP_FRAME_METHOD) {
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD:
      case AMQP_BASIC_NACK_METHOD:
        break;  // confirms of an abandoned batch
      case AMQP_BASIC_RETURN_METHOD: {
        // Its content frames follow; read them so that they are not taken for something else.
        amqp_message_t message;
        const amqp_rpc_reply_t reply = amqp_read_message(state_, frame.channel, &message, 0);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
          return Fail(OnRpcFailure(reply, "reading a returned message"));
        }
        amqp_destroy_message(&message);
        break;
      }
      default:
        if (auto error = OnAsyncMethod(frame)) return Fail(std::move(*error));
        break;
    }
  }
  if (state_ != nullptr) amqp_maybe_release_buffers(state_);
  return true;
}

Status Session::Attempt() {
  if (state_ == nullptr) PAYPIPE_RETURN_IF_ERROR(Connect());
  if (!channel_open_) PAYPIPE_RETURN_IF_ERROR(OpenChannel());
  if (!setup_done_) return RunSetup();
  return Ok();
}

Status Session::Connect() {
  if (options_.frame_max < AMQP_FRAME_MIN_SIZE || options_.heartbeat.count() < 0 ||
      options_.heartbeat.count() > 65'535) {
    return Fail(
        Error::Permanent(std::string(kErrConfigInvalid), "frame_max must be at least " +
                                                             std::to_string(AMQP_FRAME_MIN_SIZE) +
                                                             " and heartbeat within 0..65535 s"));
  }
  amqp_connection_state_t state = amqp_new_connection();
  if (state == nullptr) {
    return Fail(Error::Transient(std::string(kErrUnreachable), Describe("out of memory")));
  }
  auto fail = [&](Error error) {
    amqp_destroy_connection(state);
    return Fail(std::move(error));
  };
  amqp_socket_t* socket = amqp_tcp_socket_new(state);
  if (socket == nullptr) {
    return fail(Error::Transient(std::string(kErrUnreachable), Describe("cannot create a socket")));
  }
  const timeval connect_timeout = ToTimeval(options_.connect_timeout);
  const int open_status =
      amqp_socket_open_noblock(socket, url_.host.c_str(), url_.port, &connect_timeout);
  if (open_status != AMQP_STATUS_OK) {
    return fail(Error::Transient(std::string(kErrUnreachable),
                                 Describe("connect") + ": " + StatusText(open_status)));
  }
  amqp_set_handshake_timeout(state, &connect_timeout);
  const timeval rpc_timeout = ToTimeval(options_.rpc_timeout);
  amqp_set_rpc_timeout(state, &rpc_timeout);

  // Capabilities that make the broker tell us what it would otherwise do silently: cancel a
  // consumer (queue deleted), block publishers (resource alarm), refuse a login (instead of
  // just closing the socket, which looks like a network failure).
  std::array<amqp_table_entry_t, 5> capabilities = {
      BoolEntry("consumer_cancel_notify", true), BoolEntry("connection.blocked", true),
      BoolEntry("authentication_failure_close", true), BoolEntry("publisher_confirms", true),
      BoolEntry("basic.nack", true)};
  std::array<amqp_table_entry_t, 2> properties{};
  properties[0].key = amqp_cstring_bytes("connection_name");
  properties[0].value.kind = AMQP_FIELD_KIND_UTF8;
  properties[0].value.value.bytes = Bytes(options_.connection_name);
  properties[1].key = amqp_cstring_bytes("capabilities");
  properties[1].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[1].value.value.table.num_entries = static_cast<int>(capabilities.size());
  properties[1].value.value.table.entries = capabilities.data();
  amqp_table_t client_properties;
  client_properties.num_entries = static_cast<int>(properties.size());
  client_properties.entries = properties.data();

  const auto heartbeat = static_cast<int>(options_.heartbeat.count());
  const amqp_rpc_reply_t reply = amqp_login_with_properties(
      state, url_.vhost.c_str(), 0, static_cast<int>(options_.frame_max), heartbeat,
      &client_properties, AMQP_SASL_METHOD_PLAIN, url_.user.c_str(), url_.password.c_str());
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
      const std::string message = Describe("login") + ": " + Copy(close->reply_text);
      // 403 is a refused login, 530 a vhost that does not exist or is not permitted.
      if (close->reply_code == 403 || close->reply_code == 530) {
        return fail(Error::Permanent(std::string(kErrAuthFailed), message));
      }
      return fail(ErrorFromReplyCode(close->reply_code, message));
    }
    const std::string detail = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                                   ? StatusText(reply.library_error)
                                   : std::string("unexpected reply");
    return fail(Error::Transient(std::string(kErrUnreachable), Describe("login") + ": " + detail));
  }

  state_ = state;
  channel_open_ = false;
  setup_done_ = false;
  blocked_ = false;
  connected_at_ = SteadyClock::now();
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  return Ok();
}

Status Session::OpenChannel() {
  DiscardQueuedFrames();
  if (state_ == nullptr) return Fail(OnLibraryError(AMQP_STATUS_CONNECTION_CLOSED, "channel.open"));
  if (amqp_channel_open(state_, kChannel) == nullptr) {
    return Fail(OnRpcFailure(amqp_get_rpc_reply(state_), "channel.open"));
  }
  channel_open_ = true;
  setup_done_ = false;
  ++generation_;
  return Ok();
}

Status Session::RunSetup() {
  if (setup_) PAYPIPE_RETURN_IF_ERROR(setup_());
  if (!channel_open()) {
    return Fail(Error::Transient(std::string(kErrConnectionLost), Describe("channel setup")));
  }
  setup_done_ = true;
  return Ok();
}

Error Session::OnRpcFailure(const amqp_rpc_reply_t& reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return OnLibraryError(reply.library_error, what);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
        Error error =
            ErrorFromReplyCode(close->reply_code, Describe(what) + ": " + Copy(close->reply_text));
        AcknowledgeChannelClose();
        return error;
      }
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
        Error error =
            ErrorFromReplyCode(close->reply_code, Describe(what) + ": " + Copy(close->reply_text));
        AcknowledgeConnectionClose();
        return error;
      }
      Drop();
      return Error::Transient(
          std::string(kErrConnectionLost),
          Describe(what) + ": unexpected method " + amqp_method_name(reply.reply.id));
    case AMQP_RESPONSE_NORMAL:
    case AMQP_RESPONSE_NONE:
    default:
      Drop();
      return Error::Transient(std::string(kErrConnectionLost), Describe(what) + ": no reply");
  }
}

Error Session::OnLibraryError(int status, std::string_view what) {
  Drop();
  return Error::Transient(std::string(kErrConnectionLost),
                          Describe(what) + ": " + StatusText(status));
}

std::optional<Error> Session::OnAsyncMethod(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return std::nullopt;
  switch (frame.payload.method.id) {
    case AMQP_CONNECTION_BLOCKED_METHOD:
      blocked_ = true;
      return std::nullopt;
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      blocked_ = false;
      return std::nullopt;
    case AMQP_CHANNEL_CLOSE_METHOD: {
      if (frame.channel != kChannel) return std::nullopt;
      const auto* close = static_cast<const amqp_channel_close_t*>(frame.payload.method.decoded);
      Error error = ErrorFromReplyCode(close->reply_code, Describe("channel closed by the broker") +
                                                              ": " + Copy(close->reply_text));
      AcknowledgeChannelClose();
      return error;
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      const auto* close = static_cast<const amqp_connection_close_t*>(frame.payload.method.decoded);
      Error error =
          ErrorFromReplyCode(close->reply_code, Describe("connection closed by the broker") + ": " +
                                                    Copy(close->reply_text));
      AcknowledgeConnectionClose();
      return error;
    }
    default:
      return std::nullopt;
  }
}

void Session::AcknowledgeChannelClose() {
  channel_open_ = false;
  setup_done_ = false;
  if (state_ == nullptr) return;
  amqp_channel_close_ok_t close_ok{};
  if (amqp_send_method(state_, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) !=
      AMQP_STATUS_OK) {
    Drop();
    return;
  }
  // Deliveries and confirms queued before the close belong to the dead channel; their tags
  // would be misread on the reopened one.
  DiscardQueuedFrames();
}

void Session::AcknowledgeConnectionClose() {
  if (state_ == nullptr) return;
  amqp_connection_close_ok_t close_ok{};
  // Best effort: the broker closes the socket anyway.
  static_cast<void>(amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok));
  Drop();
}

void Session::DiscardQueuedFrames() {
  while (state_ != nullptr && amqp_frames_enqueued(state_) != 0) {
    amqp_frame_t frame;
    // Returns a queued frame without touching the socket.
    if (amqp_simple_wait_frame(state_, &frame) != AMQP_STATUS_OK) {
      Drop();
      return;
    }
    if (frame.channel == 0) static_cast<void>(OnAsyncMethod(frame));
  }
  if (state_ != nullptr) amqp_maybe_release_buffers(state_);
}

void Session::Drop() {
  if (state_ == nullptr) return;
  amqp_destroy_connection(state_);
  state_ = nullptr;
  channel_open_ = false;
  setup_done_ = false;
  blocked_ = false;
  const auto now = SteadyClock::now();
  if (now - connected_at_ >= options_.stable_after) {
    backoff_.Reset();
    next_attempt_ = now;
  } else {
    next_attempt_ = now + backoff_.Next();
  }
}

void Session::CloseGracefully() {
  if (state_ == nullptr) return;
  const timeval timeout =
      ToTimeval(std::min<std::chrono::milliseconds>(options_.rpc_timeout, kCloseTimeout));
  amqp_set_rpc_timeout(state_, &timeout);
  static_cast<void>(amqp_connection_close(state_, AMQP_REPLY_SUCCESS));
  amqp_destroy_connection(state_);
  state_ = nullptr;
  channel_open_ = false;
}

}  // namespace paypipe::infra::amqp::detail
