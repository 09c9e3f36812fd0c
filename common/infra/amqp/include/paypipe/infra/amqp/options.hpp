#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace paypipe::infra::amqp {

// Reconnect delays: the n-th consecutive failure waits a random time in [d/2, d] where
// d = min(max, initial * multiplier^(n-1)) ("equal jitter": never zero, never synchronised
// across many workers).
struct BackoffOptions {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{10'000};
  double multiplier = 2.0;
};

struct ConnectionOptions {
  // Negotiated with the broker. rabbitmq-c sends and checks heartbeats only inside library
  // calls: the owner of a connection must call into it at least every `heartbeat` (see the
  // class comments), or the broker drops the connection after about two intervals.
  std::chrono::seconds heartbeat{30};
  // Bounds the TCP connect and, separately, the AMQP login handshake.
  std::chrono::milliseconds connect_timeout{5'000};
  // Bounds every synchronous method (channel.open, declarations, qos, consume, close). A
  // timeout closes the connection: an answer that comes late cannot be matched any more.
  std::chrono::milliseconds rpc_timeout{15'000};
  std::uint32_t frame_max = 131'072;
  // Shown in the management UI next to the connection; defaults to "paypipe".
  std::string connection_name;
  BackoffOptions backoff;
  // Uniform in [0, 1), for the backoff jitter. Empty: a per-connection PRNG.
  std::function<double()> random_unit;
  // A connection that lived at least this long resets the backoff when it drops; one that
  // drops sooner counts as a failed attempt, so a flapping broker is not hammered.
  std::chrono::milliseconds stable_after{5'000};
};

}  // namespace paypipe::infra::amqp
