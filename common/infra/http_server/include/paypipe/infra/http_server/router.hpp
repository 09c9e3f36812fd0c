#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "paypipe/infra/http/message.hpp"
#include "paypipe/infra/http_server/handler.hpp"

namespace paypipe::infra::http_server {

// Values captured by `{name}` segments, percent-decoded.
class PathParams {
 public:
  void Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
  }
  [[nodiscard]] std::optional<std::string_view> Get(std::string_view name) const;
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

using RouteHandler =
    std::function<void(http::Request request, PathParams params, Responder responder)>;

struct RouteMatch {
  enum class Outcome { kMatched, kMethodNotAllowed, kNotFound };

  Outcome outcome = Outcome::kNotFound;
  const RouteHandler* handler = nullptr;  // kMatched: valid while the router lives
  PathParams params;                      // kMatched
  std::string allow;                      // kMethodNotAllowed: "GET, HEAD, POST"
};

// Method + path routing. Patterns are absolute paths whose segments are literals or `{name}`
// captures of one whole non-empty segment ("/v1/payments/{paymentKey}/cancel"). Matching is exact
// (no trailing-slash folding) and ignores the query string. When several patterns match a path,
// the one with a literal at the first differing segment wins; HEAD falls back to GET routes.
// A path that matches a pattern under other methods only is answered 405 with Allow; a path that
// matches nothing goes to the fallback, by default a 404.
//
// Thread safety: build the router on one thread, then Find/Dispatch are const and may run on
// any number of threads at once.
class Router {
 public:
  // Throws std::invalid_argument on a malformed method or pattern, or a route that duplicates an
  // existing one: routes are fixed at start-up, so a mistake there is a programming error.
  Router& Add(std::string_view method, std::string_view pattern, RouteHandler handler);
  Router& SetFallback(Handler fallback);

  [[nodiscard]] RouteMatch Find(std::string_view method, std::string_view path) const;

  // Finds the route for the request and runs it, or answers 404/405 (JSON errors
  // {"code","message"}) or runs the fallback.
  void Dispatch(http::Request request, Responder responder) const;

  // A server handler dispatching to a copy of this router.
  [[nodiscard]] Handler ToHandler() const;

 private:
  struct Segment {
    std::string text;  // literal text, or the capture name
    bool capture = false;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    RouteHandler handler;
  };

  std::vector<Route> routes_;  // most specific first
  Handler fallback_;
};

}  // namespace paypipe::infra::http_server
