#pragma once

namespace paypipe::infra::db {

// Initialises Connector/C++ (its driver singleton is not safe to create concurrently). Runs
// the initialisation exactly once per process, however many threads call it at once; later
// calls return immediately. Call it from main() before starting threads; Connection::Open
// calls it too, so forgetting it is harmless.
void InitDriver();

// Registers the calling thread with the MySQL client library (driver threadInit) for the
// scope's lifetime and unregisters it (threadEnd) at the end. Every thread that uses a
// Connection should hold one for longer than its connections live:
//
//   void WorkerThread() {
//     db::ThreadScope db_thread;
//     auto connection = db::Connection::Open(url);
//     ...
//   }
//
// Scopes nest per thread (only the outermost one calls threadInit/threadEnd). A thread that
// opens a Connection without a scope gets an implicit one that lasts until the thread exits.
// Not copyable or movable: it belongs to the thread that created it.
class ThreadScope {
 public:
  ThreadScope();
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;
};

}  // namespace paypipe::infra::db
