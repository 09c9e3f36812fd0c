#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Access to the local RabbitMQ started by scripts/services.sh, for integration tests.
// Configured by `eval "$(scripts/services.sh env)"`:
//   TEST_AMQP_URL            amqp://user:password@host:port/
//   TEST_RABBITMQ_API_URL    http://user:password@host:port of the management API (administrator)
//   TEST_SERVICES_SCRIPT     path of scripts/services.sh (restart/start the broker)
// A missing variable throws std::runtime_error naming it, which fails the test: integration
// tests must never pass by skipping.
namespace paypipe::testing::rabbitmq {

// The value of an environment variable that integration tests need; throws when unset or empty.
[[nodiscard]] std::string RequiredEnv(const char* name);

struct HttpResponse {
  long status = 0;
  std::string body;
};

struct QueueStats {
  std::int64_t messages_ready = 0;
  std::int64_t messages_unacknowledged = 0;
  std::int64_t consumers = 0;
};

// A thin client of the RabbitMQ management HTTP API. Throws std::runtime_error on transport
// failures and on unexpected statuses, with the method, path, status and body.
class ManagementApi {
 public:
  // From TEST_RABBITMQ_API_URL.
  [[nodiscard]] static ManagementApi FromEnvironment();
  explicit ManagementApi(std::string base_url);

  [[nodiscard]] HttpResponse Request(std::string_view method, const std::string& path,
                                     const std::string& body = {}) const;

  void CreateVhost(const std::string& vhost) const;
  void DeleteVhost(const std::string& vhost) const;
  void GrantAllPermissions(const std::string& vhost, const std::string& user) const;
  // Names of the client connections to `vhost`, as the management API lists them.
  [[nodiscard]] std::vector<std::string> ConnectionNames(const std::string& vhost) const;
  // Force-closes every client connection to `vhost` (connection.close 320); returns how many.
  std::size_t CloseConnections(const std::string& vhost) const;
  // Capabilities a client connection announced as true in its client properties.
  [[nodiscard]] std::vector<std::string> ClientCapabilities(const std::string& connection) const;
  [[nodiscard]] QueueStats Queue(const std::string& vhost, const std::string& queue) const;

 private:
  std::string base_url_;
};

// Percent-encodes one URL path segment.
[[nodiscard]] std::string EncodePathSegment(std::string_view text);

// A uniquely named vhost for one test, with full permissions for the TEST_AMQP_URL user,
// deleted (with everything in it) when the object goes away.
class ScopedVhost {
 public:
  ScopedVhost();
  ~ScopedVhost();
  ScopedVhost(const ScopedVhost&) = delete;
  ScopedVhost& operator=(const ScopedVhost&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  // TEST_AMQP_URL with this vhost as its path.
  [[nodiscard]] const std::string& amqp_url() const { return amqp_url_; }
  [[nodiscard]] const ManagementApi& api() const { return api_; }

 private:
  ManagementApi api_;
  std::string name_;
  std::string amqp_url_;
};

// `$TEST_SERVICES_SCRIPT restart rabbitmq`: stops and starts the broker (about 8 s). Throws when
// the script fails.
void RestartBroker();
// `$TEST_SERVICES_SCRIPT start rabbitmq`: a no-op when the broker runs. Throws when it fails.
void StartBroker();

}  // namespace paypipe::testing::rabbitmq
