#include "response_writer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace paypipe::infra::http_server::internal {
namespace {

bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u) != 0) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool ValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), IsTokenChar);
}

bool ValidValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool ContainsCloseToken(std::string_view value) {
  constexpr std::string_view kClose = "close";
  if (value.size() < kClose.size()) return false;
  for (std::size_t i = 0; i + kClose.size() <= value.size(); ++i) {
    if (http::EqualsIgnoreCase(value.substr(i, kClose.size()), kClose)) return true;
  }
  return false;
}

void AppendNumber(std::string& out, std::uint64_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool IsValid(const http::Response& response) {
  if (response.status < 200 || response.status > 999) return false;
  return std::all_of(
      response.headers.entries().begin(), response.headers.entries().end(),
      [](const auto& entry) { return ValidName(entry.first) && ValidValue(entry.second); });
}

}  // namespace

AppendResult AppendResponse(const http::Response& response, const ResponseFraming& framing,
                            std::string& out) {
  if (!IsValid(response)) {
    return AppendResponse(
        ErrorResponse(500, "INTERNAL", "the handler produced an invalid response"), framing, out);
  }
  const int status = response.status;
  const bool body_allowed = status != 204 && status != 304;

  out.reserve(out.size() + 160 + response.body.size());
  out.append("HTTP/1.1 ");
  AppendNumber(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(http::ReasonPhrase(status));
  out.append("\r\n");

  bool close = framing.close;
  bool has_date = false;
  for (const auto& [name, value] : response.headers.entries()) {
    if (http::EqualsIgnoreCase(name, "Content-Length") ||
        http::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;  // framing is the server's
    }
    if (http::EqualsIgnoreCase(name, "Connection")) {
      close = close || ContainsCloseToken(value);
      continue;
    }
    if (http::EqualsIgnoreCase(name, "Date")) has_date = true;
    AppendHeader(out, name, value);
  }
  if (!has_date && !framing.date.empty()) AppendHeader(out, "Date", framing.date);
  if (body_allowed) {
    out.append("Content-Length: ");
    AppendNumber(out, response.body.size());
    out.append("\r\n");
  }
  if (close) {
    out.append("Connection: close\r\n");
  } else if (framing.http_1_0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (body_allowed && !framing.head_request) out.append(response.body);
  return {status, close};
}

http::Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  std::string body = R"({"code":")";
  body.append(code);
  body.append(R"(","message":")");
  for (const char c : message) {
    if (c == '"' || c == '\\') body.push_back('\\');
    body.push_back(c);
  }
  body.append("\"}");
  return http::Response::Json(status, std::move(body));
}

}  // namespace paypipe::infra::http_server::internal
