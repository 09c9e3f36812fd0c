#include "paypipe/testing/scoped_database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace paypipe::testing::mysql {
namespace {

std::string TestNameForDatabase() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info == nullptr ? std::string("test")
                                     : std::string(info->test_suite_name()) + "_" + info->name();
  std::string clean;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    clean.push_back(keep ? c : '_');
  }
  // MySQL names are at most 64 characters; the prefix and the unique suffix take at most 30.
  if (clean.size() > 32) clean.resize(32);
  return clean;
}

std::string UniqueDatabaseName() {
  static std::atomic<unsigned> counter{0};
  std::random_device device;
  const unsigned random = std::uniform_int_distribution<unsigned>(0, 0xFFFFFF)(device);
  std::array<char, 32> suffix{};
  std::snprintf(suffix.data(), suffix.size(), "_%x_%u_%06x", static_cast<unsigned>(getpid()),
                counter.fetch_add(1), random);
  return "pt_" + TestNameForDatabase() + suffix.data();
}

void ExecuteOrThrow(infra::db::Connection& connection, const std::string& sql) {
  auto result = connection.Execute(sql);
  if (!result.ok()) {
    throw std::runtime_error("test database: '" + sql + "' failed: " + result.error().ToString());
  }
}

}  // namespace

void RestartDatabase() {
  const char* script = std::getenv("TEST_SERVICES_SCRIPT");
  if (script == nullptr || *script == '\0') {
    throw std::runtime_error(
        "TEST_SERVICES_SCRIPT is not set: run scripts/services.sh start and eval \"$(scripts/"
        "services.sh env)\"");
  }
  const std::string line = "'" + std::string(script) + "' restart mariadb >&2";
  const int status = std::system(line.c_str());
  if (status != 0) {
    throw std::runtime_error("`" + line + "` failed with status " + std::to_string(status));
  }
}

infra::db::MysqlUrl ServerUrl() {
  const char* value = std::getenv("TEST_MYSQL_URL");
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(
        "TEST_MYSQL_URL is not set: integration tests need the local MariaDB; run "
        "scripts/services.sh start and eval \"$(scripts/services.sh env)\"");
  }
  auto url = infra::db::MysqlUrl::Parse(value);
  if (!url.ok()) throw std::runtime_error("TEST_MYSQL_URL: " + url.error().message);
  return *url;
}

std::unique_ptr<infra::db::Connection> ConnectOrThrow(const infra::db::MysqlUrl& url,
                                                      const infra::db::ConnectOptions& options) {
  auto connection = infra::db::Connection::Open(url, options);
  if (!connection.ok()) {
    throw std::runtime_error("cannot connect to the test database: " +
                             connection.error().ToString());
  }
  return std::move(*connection);
}

ScopedDatabase::ScopedDatabase() : name_(UniqueDatabaseName()) {
  const infra::db::MysqlUrl server = ServerUrl();
  auto admin = ConnectOrThrow(server.WithDatabase(""));
  ExecuteOrThrow(*admin,
                 "CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  url_ = server.WithDatabase(name_);
}

ScopedDatabase::~ScopedDatabase() {
  // A fresh connection: the test may have killed or broken its own.
  auto admin = infra::db::Connection::Open(url_.WithDatabase(""));
  if (!admin.ok()) {
    ADD_FAILURE() << "cannot drop test database " << name_ << ": " << admin.error().ToString();
    return;
  }
  auto dropped = (*admin)->Execute("DROP DATABASE IF EXISTS `" + name_ + "`");
  if (!dropped.ok()) {
    ADD_FAILURE() << "cannot drop test database " << name_ << ": " << dropped.error().ToString();
  }
}

std::unique_ptr<infra::db::Connection> ScopedDatabase::Connect(
    const infra::db::ConnectOptions& options) const {
  return ConnectOrThrow(url_, options);
}

}  // namespace paypipe::testing::mysql
