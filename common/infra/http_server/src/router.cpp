#include "paypipe/infra/http_server/router.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "paypipe/domain/percent_encoding.hpp"
#include "response_writer.hpp"

namespace paypipe::infra::http_server {
namespace {

// Calls `visit(segment)` for each '/'-separated segment of an absolute path; stops early when
// visit returns false. "/" has one empty segment.
template <typename Visit>
bool ForEachSegment(std::string_view path, Visit&& visit) {
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    if (!visit(path.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

bool IsMethodChar(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

bool IsCaptureNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::optional<std::string_view> PathParams::Get(std::string_view name) const {
  for (const auto& [key, value] : entries_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

Router& Router::Add(std::string_view method, std::string_view pattern, RouteHandler handler) {
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsMethodChar)) {
    throw std::invalid_argument("route method must be an upper-case token: " + std::string(method));
  }
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  if (!handler) throw std::invalid_argument("route handler is empty: " + std::string(pattern));

  Route route{std::string(method), {}, std::move(handler)};
  ForEachSegment(pattern, [&](std::string_view segment) {
    if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
      const std::string_view name = segment.substr(1, segment.size() - 2);
      if (name.empty() || !std::all_of(name.begin(), name.end(), IsCaptureNameChar)) {
        throw std::invalid_argument("bad capture name in route pattern: " + std::string(pattern));
      }
      for (const auto& existing : route.segments) {
        if (existing.capture && existing.text == name) {
          throw std::invalid_argument("capture name repeated in route pattern: " +
                                      std::string(pattern));
        }
      }
      route.segments.push_back({std::string(name), true});
    } else {
      if (segment.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("braces must enclose a whole segment: " + std::string(pattern));
      }
      route.segments.push_back({std::string(segment), false});
    }
    return true;
  });

  const auto same_shape = [&](const Route& other) {
    if (other.method != route.method || other.segments.size() != route.segments.size()) {
      return false;
    }
    for (std::size_t i = 0; i < other.segments.size(); ++i) {
      const auto& a = other.segments[i];
      const auto& b = route.segments[i];
      if (a.capture != b.capture || (!a.capture && a.text != b.text)) return false;
    }
    return true;
  };
  if (std::any_of(routes_.begin(), routes_.end(), same_shape)) {
    throw std::invalid_argument("duplicate route: " + route.method + " " + std::string(pattern));
  }

  routes_.push_back(std::move(route));
  // Literal before capture at the first segment where two patterns differ in kind.
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    const std::size_t n = std::min(a.segments.size(), b.segments.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (a.segments[i].capture != b.segments[i].capture) return !a.segments[i].capture;
    }
    return false;
  });
  return *this;
}

Router& Router::SetFallback(Handler fallback) {
  fallback_ = std::move(fallback);
  return *this;
}

RouteMatch Router::Find(std::string_view method, std::string_view path) const {
  RouteMatch result;
  if (path.empty() || path.front() != '/') return result;

  // Fills `params` (when given) and tells whether the route's pattern matches the path.
  const auto matches = [path](const Route& route, PathParams* params) {
    std::size_t index = 0;
    const bool all = ForEachSegment(path, [&](std::string_view segment) {
      if (index >= route.segments.size()) return false;
      const auto& expected = route.segments[index++];
      if (!expected.capture) return segment == expected.text;
      if (segment.empty()) return false;
      auto decoded = domain::PercentDecode(segment);
      if (!decoded) return false;
      if (params != nullptr) params->Add(expected.text, std::move(*decoded));
      return true;
    });
    return all && index == route.segments.size();
  };

  const Route* chosen = nullptr;
  const Route* get_for_head = nullptr;
  std::vector<std::string_view> methods;
  for (const auto& route : routes_) {
    if (!matches(route, nullptr)) continue;
    if (route.method == method) {
      chosen = &route;
      break;
    }
    if (get_for_head == nullptr && method == "HEAD" && route.method == "GET") {
      get_for_head = &route;
    }
    methods.push_back(route.method);
  }
  if (chosen == nullptr) chosen = get_for_head;
  if (chosen != nullptr) {
    result.outcome = RouteMatch::Outcome::kMatched;
    result.handler = &chosen->handler;
    matches(*chosen, &result.params);
    return result;
  }
  if (methods.empty()) return result;

  if (std::find(methods.begin(), methods.end(), "GET") != methods.end())
    methods.emplace_back("HEAD");
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  result.outcome = RouteMatch::Outcome::kMethodNotAllowed;
  for (const auto m : methods) {
    if (!result.allow.empty()) result.allow.append(", ");
    result.allow.append(m);
  }
  return result;
}

void Router::Dispatch(http::Request request, Responder responder) const {
  RouteMatch match = Find(request.method, request.path());
  switch (match.outcome) {
    case RouteMatch::Outcome::kMatched:
      (*match.handler)(std::move(request), std::move(match.params), std::move(responder));
      return;
    case RouteMatch::Outcome::kMethodNotAllowed: {
      http::Response response =
          internal::ErrorResponse(405, "METHOD_NOT_ALLOWED", "method not allowed on this resource");
      response.headers.Set("Allow", std::move(match.allow));
      responder.Respond(std::move(response));
      return;
    }
    case RouteMatch::Outcome::kNotFound:
      if (fallback_) {
        fallback_(std::move(request), std::move(responder));
      } else {
        responder.Respond(internal::ErrorResponse(404, "NOT_FOUND", "no such resource"));
      }
      return;
  }
}

Handler Router::ToHandler() const {
  auto router = std::make_shared<const Router>(*this);
  return [router](http::Request request, Responder responder) {
    router->Dispatch(std::move(request), std::move(responder));
  };
}

}  // namespace paypipe::infra::http_server
