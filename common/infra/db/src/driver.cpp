#include "paypipe/infra/db/driver.hpp"

#include <mysql_driver.h>

#include <mutex>
#include <optional>

#include "driver_internal.hpp"

namespace paypipe::infra::db {
namespace {

std::once_flag driver_once;
sql::mysql::MySQL_Driver* driver_instance = nullptr;

// Depth of ThreadScope nesting on this thread: only the outermost scope talks to the driver.
thread_local int thread_scope_depth = 0;

}  // namespace

void InitDriver() {
  // get_mysql_driver_instance() builds a process-wide singleton without locking; call_once
  // makes concurrent first calls safe.
  std::call_once(driver_once, [] { driver_instance = sql::mysql::get_mysql_driver_instance(); });
}

namespace internal {

sql::mysql::MySQL_Driver& Driver() {
  InitDriver();
  return *driver_instance;
}

void EnsureThreadScope() {
  if (thread_scope_depth > 0) return;
  // Lives until the thread exits; thread_local objects are destroyed before static ones, so
  // threadEnd still finds the driver.
  thread_local std::optional<ThreadScope> implicit_scope;
  implicit_scope.emplace();
}

}  // namespace internal

ThreadScope::ThreadScope() {
  if (thread_scope_depth++ == 0) internal::Driver().threadInit();
}

ThreadScope::~ThreadScope() {
  if (--thread_scope_depth == 0) internal::Driver().threadEnd();
}

}  // namespace paypipe::infra::db
