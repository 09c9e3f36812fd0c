#pragma once

#include <memory>
#include <string>

#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/mysql_url.hpp"

// Access to the local MariaDB started by scripts/services.sh, for integration tests.
// Configured by `eval "$(scripts/services.sh env)"`:
//   TEST_MYSQL_URL         mysql://user:password@host:port/ of an account that may create and
//                          drop databases and KILL other sessions
//   TEST_SERVICES_SCRIPT   path of scripts/services.sh (restart the database server)
// A missing variable throws std::runtime_error naming it, which fails the test: integration
// tests must never pass by skipping.
namespace paypipe::testing::mysql {

// TEST_MYSQL_URL, parsed. Throws std::runtime_error when it is unset or malformed.
[[nodiscard]] infra::db::MysqlUrl ServerUrl();

// Connection::Open, throwing std::runtime_error with the adapter's error on failure.
[[nodiscard]] std::unique_ptr<infra::db::Connection> ConnectOrThrow(
    const infra::db::MysqlUrl& url, const infra::db::ConnectOptions& options = {});

// `$TEST_SERVICES_SCRIPT restart mariadb`: shuts the server down cleanly and starts it again (a
// few seconds); every open connection breaks. Throws when the script fails. Only for tests that
// run alone (*_disruptive_test.cpp).
void RestartDatabase();

// A database of its own for one test: created (utf8mb4) with a unique name derived from the
// running test, dropped with everything in it when the object goes away.
class ScopedDatabase {
 public:
  ScopedDatabase();
  ~ScopedDatabase();
  ScopedDatabase(const ScopedDatabase&) = delete;
  ScopedDatabase& operator=(const ScopedDatabase&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  // TEST_MYSQL_URL with this database as its path.
  [[nodiscard]] const infra::db::MysqlUrl& url() const { return url_; }
  // url() as text, password included (it is the local test account).
  [[nodiscard]] std::string url_string() const { return url_.Serialize(); }
  // A new connection to this database; throws on failure.
  [[nodiscard]] std::unique_ptr<infra::db::Connection> Connect(
      const infra::db::ConnectOptions& options = {}) const;

 private:
  std::string name_;
  infra::db::MysqlUrl url_;
};

}  // namespace paypipe::testing::mysql
