#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/gateway/bounded_queue.hpp"
#include "paypipe/gateway/gateway_metrics.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/log/logger.hpp"

namespace paypipe::gateway {

using ConnectionFactory = std::function<domain::Result<std::unique_ptr<infra::db::Connection>>()>;

// Opens connections to `url` with `options`.
[[nodiscard]] ConnectionFactory MysqlConnectionFactory(infra::db::MysqlUrl url,
                                                       infra::db::ConnectOptions options);

// A task receives its thread's connection, or the reason there is none (Transient
// DB_UNREACHABLE / DB_QUEUE_TIMEOUT): it must answer its request either way.
using DbTask = std::function<void(domain::Result<infra::db::Connection*> connection)>;

inline constexpr std::string_view kDbQueueTimeout = "DB_QUEUE_TIMEOUT";

struct DbPoolOptions {
  std::size_t threads = 4;
  // Tasks waiting for a thread; beyond it Submit answers kFull (503).
  std::size_t capacity = 1'000;
  // A task that waited longer than this is given DB_QUEUE_TIMEOUT instead of a connection: its
  // client is about to give up, and running it late would only deepen the backlog.
  std::chrono::milliseconds queue_timeout{5'000};
  // After a failed connect a thread fails tasks at once for this long instead of trying again
  // for each (an unreachable database must not cost every request a connect timeout).
  std::chrono::milliseconds reconnect_pause{500};
};

// Database work off the event loop: a few threads, each owning one Connection (opened lazily,
// replaced when broken, never shared), fed by a bounded queue. An exception escaping a task is
// caught and counted; the task's responder then answers 500 by itself.
//
// Thread safety: Submit from any thread; Start and Stop from one.
class DbPool {
 public:
  DbPool(ConnectionFactory factory, DbPoolOptions options, GatewayMetrics& metrics,
         infra::log::Logger logger);
  ~DbPool();
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  void Start();
  // kFull / kClosed: not queued, the task is never run.
  [[nodiscard]] Admission Submit(DbTask task);
  // Refuses new tasks, runs what is queued, waits for the threads until `deadline`. False when
  // they did not finish in time (see PublishPipeline::Stop).
  [[nodiscard]] bool Stop(std::chrono::steady_clock::time_point deadline);

 private:
  struct Item {
    DbTask task;
    std::chrono::steady_clock::time_point submitted;
  };

  void Run();

  ConnectionFactory factory_;
  DbPoolOptions options_;
  GatewayMetrics& metrics_;
  infra::log::Logger logger_;
  BoundedQueue<Item> queue_;
  std::atomic<std::size_t> running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace paypipe::gateway
