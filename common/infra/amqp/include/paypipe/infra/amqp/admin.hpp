#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/amqp/field_table.hpp"
#include "paypipe/infra/amqp/options.hpp"
#include "paypipe/infra/amqp/url.hpp"

namespace paypipe::infra::amqp {

enum class ExchangeType { kDirect, kFanout, kTopic, kHeaders };

[[nodiscard]] const char* ToString(ExchangeType type);

struct ExchangeSpec {
  std::string name;
  ExchangeType type = ExchangeType::kDirect;
  bool durable = true;
  bool auto_delete = false;
  bool internal = false;
  FieldTable arguments;
};

struct QueueSpec {
  std::string name;
  bool durable = true;
  bool exclusive = false;
  bool auto_delete = false;
  // x-queue-type, x-dead-letter-exchange, x-max-length, x-delivery-limit, ...
  FieldTable arguments;
};

struct QueueCounts {
  std::uint32_t messages = 0;  // ready messages (not counting unacked ones)
  std::uint32_t consumers = 0;
};

// Declarations and queue maintenance on its own connection and channel: used by topology
// apply/check, tools and tests.
//
// Declarations are idempotent when the arguments match. A mismatch (406) or a missing entity
// (404) closes the channel on the broker; the error is returned with the broker's reply text
// (Permanent AMQP_PRECONDITION_FAILED / AMQP_NOT_FOUND) and the next call reopens the channel,
// so the object stays usable. A lost connection is re-established by the next call.
//
// Thread safety: none; one Admin per thread.
class Admin {
 public:
  Admin(AmqpUrl url, ConnectionOptions options);
  ~Admin();
  Admin(Admin&&) noexcept;
  Admin& operator=(Admin&&) noexcept;
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  [[nodiscard]] domain::Status Connect(std::chrono::milliseconds timeout);

  [[nodiscard]] domain::Status DeclareExchange(const ExchangeSpec& spec);
  // Fails with AMQP_NOT_FOUND when the exchange does not exist.
  [[nodiscard]] domain::Status CheckExchange(std::string_view name);
  [[nodiscard]] domain::Result<QueueCounts> DeclareQueue(const QueueSpec& spec);
  // Passive declare: counts of an existing queue, AMQP_NOT_FOUND when it does not exist.
  [[nodiscard]] domain::Result<QueueCounts> InspectQueue(std::string_view name);
  [[nodiscard]] domain::Status Bind(std::string_view queue, std::string_view exchange,
                                    std::string_view routing_key, const FieldTable& arguments = {});
  [[nodiscard]] domain::Status Unbind(std::string_view queue, std::string_view exchange,
                                      std::string_view routing_key,
                                      const FieldTable& arguments = {});
  // Returns the number of messages removed.
  [[nodiscard]] domain::Result<std::uint32_t> Purge(std::string_view queue);
  // Returns the number of messages deleted with the queue.
  [[nodiscard]] domain::Result<std::uint32_t> DeleteQueue(std::string_view queue);
  [[nodiscard]] domain::Status DeleteExchange(std::string_view name);

  [[nodiscard]] bool connected() const;
  [[nodiscard]] std::uint64_t reconnects() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paypipe::infra::amqp
