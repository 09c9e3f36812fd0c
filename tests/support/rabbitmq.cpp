#include "paypipe/testing/rabbitmq.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "paypipe/domain/percent_encoding.hpp"

namespace paypipe::testing::rabbitmq {
namespace {

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// `amqp://user:password@host:port/...` → {"amqp://user:password@host:port", "user"}.
struct AmqpBase {
  std::string prefix;
  std::string user;
};

AmqpBase SplitAmqpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "amqp://";
  if (url.rfind(kScheme, 0) != 0) {
    throw std::runtime_error("TEST_AMQP_URL must start with amqp:// (it does not)");
  }
  const std::size_t slash = url.find('/', kScheme.size());
  AmqpBase base;
  base.prefix = url.substr(0, slash);
  const std::string authority = base.prefix.substr(kScheme.size());
  const std::size_t at = authority.rfind('@');
  if (at == std::string::npos) throw std::runtime_error("TEST_AMQP_URL has no user");
  base.user = authority.substr(0, authority.find(':'));
  return base;
}

std::string SanitizedTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info == nullptr ? std::string("test")
                                     : std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    if (!keep) c = '_';
  }
  if (name.size() > 100) name.resize(100);
  return name;
}

std::string UniqueVhostName() {
  static std::atomic<unsigned> counter{0};
  std::random_device device;
  const unsigned random = std::uniform_int_distribution<unsigned>(0, 0xFFFFFF)(device);
  std::array<char, 64> suffix{};
  std::snprintf(suffix.data(), suffix.size(), "%ld-%u-%06x", static_cast<long>(::getpid()),
                counter.fetch_add(1), random);
  return "paypipe-test-" + SanitizedTestName() + "-" + suffix.data();
}

void RunServicesScript(const char* command) {
  const std::string script = RequiredEnv("TEST_SERVICES_SCRIPT");
  const std::string line = "'" + script + "' " + command + " rabbitmq >&2";
  const int status = std::system(line.c_str());
  if (status != 0) {
    throw std::runtime_error("`" + line + "` failed with status " + std::to_string(status));
  }
}

}  // namespace

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: integration tests need the local services; run "
                             "`scripts/services.sh start` and `eval \"$(scripts/services.sh "
                             "env)\"` first");
  }
  return value;
}

std::string EncodePathSegment(std::string_view text) { return domain::PercentEncode(text); }

ManagementApi ManagementApi::FromEnvironment() {
  return ManagementApi(RequiredEnv("TEST_RABBITMQ_API_URL"));
}

ManagementApi::ManagementApi(std::string base_url) : base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

HttpResponse ManagementApi::Request(std::string_view method, const std::string& path,
                                    const std::string& body) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  const std::string url = base_url_ + path;
  const std::string method_text(method);
  HttpResponse response;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                           &curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 30'000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
  if (!body.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw std::runtime_error("management API " + method_text + " " + path + ": " +
                             curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

namespace {

void ExpectSuccess(const HttpResponse& response, std::string_view what) {
  if (response.status < 200 || response.status >= 300) {
    throw std::runtime_error("management API " + std::string(what) + " answered " +
                             std::to_string(response.status) + ": " + response.body);
  }
}

}  // namespace

void ManagementApi::CreateVhost(const std::string& vhost) const {
  ExpectSuccess(Request("PUT", "/api/vhosts/" + EncodePathSegment(vhost), "{}"),
                "PUT vhost " + vhost);
}

void ManagementApi::DeleteVhost(const std::string& vhost) const {
  const HttpResponse response = Request("DELETE", "/api/vhosts/" + EncodePathSegment(vhost));
  if (response.status == 404) return;
  ExpectSuccess(response, "DELETE vhost " + vhost);
}

void ManagementApi::GrantAllPermissions(const std::string& vhost, const std::string& user) const {
  ExpectSuccess(
      Request("PUT", "/api/permissions/" + EncodePathSegment(vhost) + "/" + EncodePathSegment(user),
              R"({"configure":".*","write":".*","read":".*"})"),
      "PUT permissions " + vhost + "/" + user);
}

std::vector<std::string> ManagementApi::ConnectionNames(const std::string& vhost) const {
  const HttpResponse response =
      Request("GET", "/api/vhosts/" + EncodePathSegment(vhost) + "/connections");
  ExpectSuccess(response, "GET connections of " + vhost);
  std::vector<std::string> names;
  for (const auto& connection : nlohmann::json::parse(response.body)) {
    names.push_back(connection.at("name").get<std::string>());
  }
  return names;
}

std::size_t ManagementApi::CloseConnections(const std::string& vhost) const {
  std::size_t closed = 0;
  for (const std::string& name : ConnectionNames(vhost)) {
    const HttpResponse response = Request("DELETE", "/api/connections/" + EncodePathSegment(name));
    if (response.status == 404) continue;  // went away by itself
    ExpectSuccess(response, "DELETE connection " + name);
    ++closed;
  }
  return closed;
}

std::vector<std::string> ManagementApi::ClientCapabilities(const std::string& connection) const {
  const HttpResponse response = Request("GET", "/api/connections/" + EncodePathSegment(connection));
  ExpectSuccess(response, "GET connection " + connection);
  const auto json = nlohmann::json::parse(response.body);
  std::vector<std::string> capabilities;
  const auto properties = json.find("client_properties");
  if (properties == json.end()) return capabilities;
  const auto table = properties->find("capabilities");
  if (table == properties->end() || !table->is_object()) return capabilities;
  for (const auto& [name, value] : table->items()) {
    if (value.is_boolean() && value.get<bool>()) capabilities.push_back(name);
  }
  return capabilities;
}

QueueStats ManagementApi::Queue(const std::string& vhost, const std::string& queue) const {
  const HttpResponse response =
      Request("GET", "/api/queues/" + EncodePathSegment(vhost) + "/" + EncodePathSegment(queue));
  ExpectSuccess(response, "GET queue " + queue);
  const auto json = nlohmann::json::parse(response.body);
  QueueStats stats;
  stats.messages_ready = json.value("messages_ready", std::int64_t{0});
  stats.messages_unacknowledged = json.value("messages_unacknowledged", std::int64_t{0});
  stats.consumers = json.value("consumers", std::int64_t{0});
  return stats;
}

ScopedVhost::ScopedVhost() : api_(ManagementApi::FromEnvironment()), name_(UniqueVhostName()) {
  const AmqpBase base = SplitAmqpUrl(RequiredEnv("TEST_AMQP_URL"));
  api_.CreateVhost(name_);
  try {
    api_.GrantAllPermissions(name_, base.user);
  } catch (...) {
    api_.DeleteVhost(name_);
    throw;
  }
  amqp_url_ = base.prefix + "/" + EncodePathSegment(name_);
}

ScopedVhost::~ScopedVhost() {
  try {
    api_.DeleteVhost(name_);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "could not delete vhost " << name_ << ": " << error.what();
  }
}

void RestartBroker() { RunServicesScript("restart"); }
void StartBroker() { RunServicesScript("start"); }

}  // namespace paypipe::testing::rabbitmq
