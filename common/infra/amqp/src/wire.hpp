#pragma once

// Conversions between paypipe's value types and rabbitmq-c's. Internal to the adapter.

// amqp.h of rabbitmq-c 0.11 uses struct timeval without including its header.
#include <sys/time.h>
// clang-format off
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
// clang-format on

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/infra/amqp/field_table.hpp"
#include "paypipe/infra/amqp/message.hpp"

namespace paypipe::infra::amqp::detail {

// Views `text` without copying. rabbitmq-c takes non-const pointers but only reads them when
// sending.
[[nodiscard]] inline amqp_bytes_t Bytes(std::string_view text) {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return bytes;
}

[[nodiscard]] inline std::string_view View(amqp_bytes_t bytes) {
  if (bytes.len == 0 || bytes.bytes == nullptr) return {};
  return {static_cast<const char*>(bytes.bytes), bytes.len};
}

[[nodiscard]] inline std::string Copy(amqp_bytes_t bytes) { return std::string(View(bytes)); }

// Negative durations become zero (a poll that does not block).
[[nodiscard]] timeval ToTimeval(std::chrono::nanoseconds duration);

// Builds a rabbitmq-c table viewing `table`'s keys and values; `entries` is the (reusable)
// storage. The result is valid while `table` and `entries` are unchanged.
[[nodiscard]] amqp_table_t EncodeTable(const FieldTable& table,
                                       std::vector<amqp_table_entry_t>& entries);

// Copies the string, integer and boolean entries; integers of every width become int64 (a u64
// above INT64_MAX is dropped), timestamps become int64 seconds.
[[nodiscard]] FieldTable DecodeTable(const amqp_table_t& table);

[[nodiscard]] MessageProperties DecodeProperties(const amqp_basic_properties_t& properties);

}  // namespace paypipe::infra::amqp::detail
