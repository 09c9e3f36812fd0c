#pragma once

namespace sql::mysql {
class MySQL_Driver;
}  // namespace sql::mysql

namespace paypipe::infra::db::internal {

// The process-wide Connector/C++ driver, initialised on first use (InitDriver).
[[nodiscard]] sql::mysql::MySQL_Driver& Driver();

// Gives the calling thread a ThreadScope lasting until thread exit unless it already holds
// one.
void EnsureThreadScope();

}  // namespace paypipe::infra::db::internal
