#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace paypipe::infra::http {

// Header names compare case-insensitively; order and repeats are kept as received.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every header of that name with one.
  void Set(std::string name, std::string value);
  // The first header of that name.
  [[nodiscard]] std::optional<std::string_view> Get(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& entries() const {
    return entries_;
  }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

[[nodiscard]] bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path plus optional "?query"
  Headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:54321" on the server side; empty on the client side

  // The target without its query string.
  [[nodiscard]] std::string_view path() const;
  // The raw query string after '?', empty if none.
  [[nodiscard]] std::string_view query() const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  [[nodiscard]] static Response Json(int status, std::string body);
  [[nodiscard]] static Response Text(int status, std::string body);
};

[[nodiscard]] std::string_view ReasonPhrase(int status);

}  // namespace paypipe::infra::http
