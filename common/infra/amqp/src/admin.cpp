#include "paypipe/infra/amqp/admin.hpp"

#include "session.hpp"

namespace paypipe::infra::amqp {

using detail::Bytes;
using detail::Session;
using detail::SteadyClock;
using domain::Fail;
using domain::Ok;
using domain::Result;
using domain::Status;

const char* ToString(ExchangeType type) {
  switch (type) {
    case ExchangeType::kDirect:
      return "direct";
    case ExchangeType::kFanout:
      return "fanout";
    case ExchangeType::kTopic:
      return "topic";
    case ExchangeType::kHeaders:
      return "headers";
  }
  return "direct";
}

namespace {

std::string Quoted(std::string_view kind, std::string_view name) {
  std::string text(kind);
  text += " '";
  text += name;
  text += '\'';
  return text;
}

}  // namespace

class Admin::Impl {
 public:
  Impl(AmqpUrl url, ConnectionOptions options)
      : connect_timeout_(options.connect_timeout), session_(std::move(url), std::move(options)) {}

  Status Connect(std::chrono::milliseconds timeout) {
    return session_.Ensure(SteadyClock::now() + timeout);
  }

  // Runs one synchronous method: `call` returns the reply pointer, null on failure.
  template <typename Call>
  auto Rpc(const std::string& what, Call call)
      -> Result<std::remove_pointer_t<decltype(call(amqp_connection_state_t{}))>> {
    PAYPIPE_RETURN_IF_ERROR(session_.EnsureLive(SteadyClock::now() + connect_timeout_));
    auto* reply = call(session_.state());
    if (reply == nullptr) {
      return Fail(session_.OnRpcFailure(amqp_get_rpc_reply(session_.state()), what));
    }
    return *reply;
  }

  [[nodiscard]] bool connected() const { return session_.connected(); }
  [[nodiscard]] std::uint64_t reconnects() const { return session_.reconnects(); }

 private:
  std::chrono::milliseconds connect_timeout_;
  Session session_;
};

Admin::Admin(AmqpUrl url, ConnectionOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {}
Admin::~Admin() = default;
Admin::Admin(Admin&&) noexcept = default;
Admin& Admin::operator=(Admin&&) noexcept = default;

Status Admin::Connect(std::chrono::milliseconds timeout) { return impl_->Connect(timeout); }

Status Admin::DeclareExchange(const ExchangeSpec& spec) {
  std::vector<amqp_table_entry_t> entries;
  const amqp_table_t arguments = detail::EncodeTable(spec.arguments, entries);
  auto reply = impl_->Rpc(
      "exchange.declare " + Quoted("exchange", spec.name), [&](amqp_connection_state_t state) {
        return amqp_exchange_declare(state, Session::kChannel, Bytes(spec.name),
                                     amqp_cstring_bytes(ToString(spec.type)), /*passive=*/0,
                                     spec.durable ? 1 : 0, spec.auto_delete ? 1 : 0,
                                     spec.internal ? 1 : 0, arguments);
      });
  if (!reply.ok()) return Fail(reply.error());
  return Ok();
}

Status Admin::CheckExchange(std::string_view name) {
  auto reply = impl_->Rpc("exchange.declare (passive) " + Quoted("exchange", name),
                          [&](amqp_connection_state_t state) {
                            return amqp_exchange_declare(state, Session::kChannel, Bytes(name),
                                                         amqp_cstring_bytes("direct"),
                                                         /*passive=*/1, 0, 0, 0, amqp_empty_table);
                          });
  if (!reply.ok()) return Fail(reply.error());
  return Ok();
}

Result<QueueCounts> Admin::DeclareQueue(const QueueSpec& spec) {
  std::vector<amqp_table_entry_t> entries;
  const amqp_table_t arguments = detail::EncodeTable(spec.arguments, entries);
  auto reply =
      impl_->Rpc("queue.declare " + Quoted("queue", spec.name), [&](amqp_connection_state_t state) {
        return amqp_queue_declare(state, Session::kChannel, Bytes(spec.name),
                                  /*passive=*/0, spec.durable ? 1 : 0, spec.exclusive ? 1 : 0,
                                  spec.auto_delete ? 1 : 0, arguments);
      });
  if (!reply.ok()) return Fail(reply.error());
  return QueueCounts{reply->message_count, reply->consumer_count};
}

Result<QueueCounts> Admin::InspectQueue(std::string_view name) {
  auto reply = impl_->Rpc("queue.declare (passive) " + Quoted("queue", name),
                          [&](amqp_connection_state_t state) {
                            return amqp_queue_declare(state, Session::kChannel, Bytes(name),
                                                      /*passive=*/1, 0, 0, 0, amqp_empty_table);
                          });
  if (!reply.ok()) return Fail(reply.error());
  return QueueCounts{reply->message_count, reply->consumer_count};
}

Status Admin::Bind(std::string_view queue, std::string_view exchange, std::string_view routing_key,
                   const FieldTable& arguments) {
  std::vector<amqp_table_entry_t> entries;
  const amqp_table_t table = detail::EncodeTable(arguments, entries);
  auto reply =
      impl_->Rpc("queue.bind " + Quoted("queue", queue) + " to " + Quoted("exchange", exchange),
                 [&](amqp_connection_state_t state) {
                   return amqp_queue_bind(state, Session::kChannel, Bytes(queue), Bytes(exchange),
                                          Bytes(routing_key), table);
                 });
  if (!reply.ok()) return Fail(reply.error());
  return Ok();
}

Status Admin::Unbind(std::string_view queue, std::string_view exchange,
                     std::string_view routing_key, const FieldTable& arguments) {
  std::vector<amqp_table_entry_t> entries;
  const amqp_table_t table = detail::EncodeTable(arguments, entries);
  auto reply =
      impl_->Rpc("queue.unbind " + Quoted("queue", queue) + " from " + Quoted("exchange", exchange),
                 [&](amqp_connection_state_t state) {
                   return amqp_queue_unbind(state, Session::kChannel, Bytes(queue), Bytes(exchange),
                                            Bytes(routing_key), table);
                 });
  if (!reply.ok()) return Fail(reply.error());
  return Ok();
}

Result<std::uint32_t> Admin::Purge(std::string_view queue) {
  auto reply =
      impl_->Rpc("queue.purge " + Quoted("queue", queue), [&](amqp_connection_state_t state) {
        return amqp_queue_purge(state, Session::kChannel, Bytes(queue));
      });
  if (!reply.ok()) return Fail(reply.error());
  return reply->message_count;
}

Result<std::uint32_t> Admin::DeleteQueue(std::string_view queue) {
  auto reply =
      impl_->Rpc("queue.delete " + Quoted("queue", queue), [&](amqp_connection_state_t state) {
        return amqp_queue_delete(state, Session::kChannel, Bytes(queue),
                                 /*if_unused=*/0, /*if_empty=*/0);
      });
  if (!reply.ok()) return Fail(reply.error());
  return reply->message_count;
}

Status Admin::DeleteExchange(std::string_view name) {
  auto reply =
      impl_->Rpc("exchange.delete " + Quoted("exchange", name), [&](amqp_connection_state_t state) {
        return amqp_exchange_delete(state, Session::kChannel, Bytes(name),
                                    /*if_unused=*/0);
      });
  if (!reply.ok()) return Fail(reply.error());
  return Ok();
}

bool Admin::connected() const { return impl_->connected(); }
std::uint64_t Admin::reconnects() const { return impl_->reconnects(); }

}  // namespace paypipe::infra::amqp
