#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/amqp/backoff.hpp"
#include "paypipe/infra/amqp/options.hpp"
#include "paypipe/infra/amqp/url.hpp"
#include "wire.hpp"

namespace paypipe::infra::amqp::detail {

using SteadyClock = std::chrono::steady_clock;

// One connection with one channel, and everything needed to keep them alive: connecting with
// backoff, reopening the channel after the broker closed it, acknowledging broker-initiated
// closes, and turning rabbitmq-c's failures into classified Errors. Publisher, Consumer and
// Admin each own one. Not thread-safe.
//
// The channel has a generation, incremented every time it is opened: delivery tags and
// publish sequence numbers are only meaningful within one generation.
class Session {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  // Runs after the channel is opened, and again whenever RequestSetup() was called: selects
  // confirms, sets QoS, subscribes. Failures must go through OnRpcFailure/OnLibraryError.
  using ChannelSetup = std::function<domain::Status()>;

  Session(AmqpUrl url, ConnectionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void set_channel_setup(ChannelSetup setup) { setup_ = std::move(setup); }

  // Makes the connection, the channel and the setup usable. Attempts are spaced by the backoff;
  // when the next attempt is due after `deadline` this sleeps until `deadline` and returns the
  // last failure, so callers that loop on it cannot spin.
  [[nodiscard]] domain::Status Ensure(SteadyClock::time_point deadline);

  // Ensure(), after first reading without blocking whatever arrived while the connection sat
  // idle, so that a close the broker sent meanwhile leads to a reconnect now instead of failing
  // the caller's next operation.
  [[nodiscard]] domain::Status EnsureLive(SteadyClock::time_point deadline);

  // Reads the frames that are already waiting, without blocking: absorbs heartbeats,
  // connection.blocked/unblocked and confirms or returns of abandoned publishes; reports a
  // channel or connection close (after handling it) or a dead socket.
  [[nodiscard]] domain::Status DrainIdle();

  // While the broker blocks publishing (connection.blocked), reads frames until it unblocks or
  // `deadline` passes. Returns an error only when the connection or channel is lost.
  [[nodiscard]] domain::Status WaitWhileBlocked(SteadyClock::time_point deadline);

  // Asks Ensure() to run the setup again (e.g. to resubscribe after a basic.cancel).
  void RequestSetup() { setup_done_ = false; }

  [[nodiscard]] bool connected() const { return state_ != nullptr; }
  [[nodiscard]] bool ready() const { return state_ != nullptr && channel_open_ && setup_done_; }
  [[nodiscard]] bool channel_open() const { return state_ != nullptr && channel_open_; }
  [[nodiscard]] amqp_connection_state_t state() const { return state_; }
  [[nodiscard]] std::uint64_t generation() const { return generation_; }
  [[nodiscard]] std::uint64_t reconnects() const { return reconnects_; }
  // connection.blocked received and not yet followed by connection.unblocked.
  [[nodiscard]] bool blocked() const { return blocked_; }

  // Turns a failed synchronous reply into an Error and deals with its consequences: a
  // channel.close is acknowledged (the channel reopens on the next Ensure), a connection.close
  // or a library failure drops the connection.
  [[nodiscard]] domain::Error OnRpcFailure(const amqp_rpc_reply_t& reply, std::string_view what);
  // A library status other than OK after the connection was established: drops the connection.
  [[nodiscard]] domain::Error OnLibraryError(int status, std::string_view what);
  // Handles a connection- or channel-level method that arrived asynchronously. Returns the
  // error when it closed the channel or the connection; nullopt when it was absorbed
  // (connection.blocked/unblocked) or is not the session's business.
  [[nodiscard]] std::optional<domain::Error> OnAsyncMethod(const amqp_frame_t& frame);

  // Abandons the connection without any handshake (its state is no longer trustworthy).
  void Drop();

 private:
  // Reads and handles at most one frame, waiting up to `wait`; false when none arrived.
  [[nodiscard]] domain::Result<bool> ReadIdleFrame(const timeval& wait);
  [[nodiscard]] domain::Status Attempt();
  [[nodiscard]] domain::Status Connect();
  [[nodiscard]] domain::Status OpenChannel();
  [[nodiscard]] domain::Status RunSetup();
  void AcknowledgeChannelClose();
  void AcknowledgeConnectionClose();
  void DiscardQueuedFrames();
  void CloseGracefully();
  [[nodiscard]] std::string Describe(std::string_view what) const;

  AmqpUrl url_;
  ConnectionOptions options_;
  ChannelSetup setup_;
  Backoff backoff_;

  amqp_connection_state_t state_ = nullptr;
  bool channel_open_ = false;
  bool setup_done_ = false;
  bool blocked_ = false;
  bool ever_connected_ = false;
  std::uint64_t generation_ = 0;
  std::uint64_t reconnects_ = 0;
  SteadyClock::time_point connected_at_{};
  SteadyClock::time_point next_attempt_{};
  std::optional<domain::Error> last_error_;
};

}  // namespace paypipe::infra::amqp::detail
