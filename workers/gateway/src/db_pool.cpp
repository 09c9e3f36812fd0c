#include "paypipe/gateway/db_pool.hpp"

#include <algorithm>
#include <optional>

#include "paypipe/infra/db/driver.hpp"

namespace paypipe::gateway {

using SteadyClock = std::chrono::steady_clock;

ConnectionFactory MysqlConnectionFactory(infra::db::MysqlUrl url,
                                         infra::db::ConnectOptions options) {
  return [url = std::move(url), options] { return infra::db::Connection::Open(url, options); };
}

DbPool::DbPool(ConnectionFactory factory, DbPoolOptions options, GatewayMetrics& metrics,
               infra::log::Logger logger)
    : factory_(std::move(factory)),
      options_(options),
      metrics_(metrics),
      logger_(std::move(logger)),
      queue_(options.capacity) {}

DbPool::~DbPool() {
  queue_.Close();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void DbPool::Start() {
  const std::size_t count = std::max<std::size_t>(options_.threads, 1);
  running_ = count;
  for (std::size_t i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
}

Admission DbPool::Submit(DbTask task) {
  const Admission admission = queue_.Push(Item{std::move(task), SteadyClock::now()});
  if (admission == Admission::kQueued) metrics_.db_queue_depth.Increment();
  return admission;
}

bool DbPool::Stop(SteadyClock::time_point deadline) {
  return CloseAndJoin(queue_, running_, threads_, deadline);
}

void DbPool::Run() {
  const infra::db::ThreadScope db_thread;
  std::unique_ptr<infra::db::Connection> connection;
  std::optional<domain::Error> connect_error;
  SteadyClock::time_point next_connect{};
  auto& served = metrics_.db_tasks.WithLabels({"connected"});
  auto& unavailable = metrics_.db_tasks.WithLabels({"unavailable"});
  auto& expired = metrics_.db_tasks.WithLabels({"expired"});
  auto& failed = metrics_.db_tasks.WithLabels({"exception"});

  while (true) {
    std::vector<Item> items = queue_.PopUpTo(1, std::chrono::milliseconds(1'000));
    if (items.empty()) {
      if (queue_.drained()) break;
      continue;
    }
    metrics_.db_queue_depth.Decrement();
    Item& item = items.front();
    const auto now = SteadyClock::now();
    domain::Result<infra::db::Connection*> given = static_cast<infra::db::Connection*>(nullptr);
    if (now - item.submitted > options_.queue_timeout) {
      expired.Increment();
      given = domain::Error::Transient(std::string(kDbQueueTimeout),
                                       "the database work queue is too long");
    } else {
      if (connection && connection->IsBroken()) connection.reset();
      if (!connection && now >= next_connect) {
        auto opened = factory_();
        if (opened.ok()) {
          connection = std::move(*opened);
          connect_error.reset();
        } else {
          connect_error = opened.error();
          next_connect = SteadyClock::now() + options_.reconnect_pause;
          logger_.Warn("database unreachable", {{"error", opened.error().ToString()}});
        }
      }
      if (connection) {
        served.Increment();
        given = connection.get();
      } else {
        unavailable.Increment();
        given = connect_error.value_or(
            domain::Error::Transient("DB_UNREACHABLE", "the database cannot be reached"));
      }
    }
    try {
      item.task(std::move(given));
    } catch (const std::exception& error) {
      failed.Increment();
      logger_.Error("database task failed", {{"error", error.what()}});
    }
  }
  --running_;
}

}  // namespace paypipe::gateway
