#include "paypipe/infra/http_client/client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "curl_handles.hpp"

namespace paypipe::infra::http_client {
namespace {

using domain::Error;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

// The URL as it may appear in an error message: no credentials, no query, no fragment (either
// may carry secrets).
std::string RedactedUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority = scheme_end + 3;
  const auto path = url.find('/', authority);
  const auto at = url.rfind('@', path);
  if (at != std::string_view::npos && at >= authority) {
    return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1));
  }
  return std::string(url);
}

// What one transfer collects through the libcurl callbacks.
struct Transfer {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t max_body = 0;
  bool too_large = false;
};

std::size_t OnHeaderLine(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new header block (after 100 Continue): only the final response's headers count.
    transfer.headers.clear();
    return length;
  }
  if (line.empty()) return length;
  if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
    if (!transfer.headers.empty()) {
      transfer.headers.back().second.push_back(' ');
      transfer.headers.back().second.append(Trim(line));
    }
    return length;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return length;
  const std::string_view name = Trim(line.substr(0, colon));
  const std::string_view value = Trim(line.substr(colon + 1));
  if (http::EqualsIgnoreCase(name, "Content-Length")) {
    std::uint64_t announced = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), announced);
    if (parsed.ec == std::errc() && announced > transfer.max_body) {
      transfer.too_large = true;  // refuse before reading any of it
      return 0;
    }
    if (parsed.ec == std::errc()) {
      transfer.body.reserve(
          static_cast<std::size_t>(std::min<std::uint64_t>(announced, std::uint64_t{1} << 20)));
    }
  }
  transfer.headers.emplace_back(std::string(name), std::string(value));
  return length;
}

std::size_t OnBodyData(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  if (transfer.body.size() + length > transfer.max_body) {
    transfer.too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer.body.append(data, length);
  return length;
}

template <typename Value>
void SetOption(CURL* easy, CURLcode& rc, CURLoption option, Value value) {
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
}

long Milliseconds(std::chrono::milliseconds duration) {
  return static_cast<long>(duration.count());
}

}  // namespace

bool MayHaveBeenApplied(const domain::Error& error) {
  return error.code != kUnreachable && error.code != kConnectTimeout &&
         error.code != kInvalidRequest;
}

CurlGlobal::CurlGlobal() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("curl_global_init failed");
  }
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

struct Client::Impl {
  ClientOptions options;
  internal::CurlEasy easy;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  // Whether the whole request reached the socket. The initial send is recorded in
  // CURLINFO_REQUEST_SIZE; body bytes (including any sent with the headers) in
  // CURLINFO_SIZE_UPLOAD_T. When the headers themselves go out in pieces, their remainder is
  // counted as upload too, which can only overstate progress: the answer errs towards "may have
  // been applied", never the other way.
  [[nodiscard]] bool RequestFullySent(std::size_t body_size) const {
    long request_size = 0;
    curl_off_t uploaded = 0;
    if (curl_easy_getinfo(easy.get(), CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK ||
        curl_easy_getinfo(easy.get(), CURLINFO_SIZE_UPLOAD_T, &uploaded) != CURLE_OK) {
      return true;  // unknown: assume the worst
    }
    return request_size > 0 && uploaded >= static_cast<curl_off_t>(body_size);
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->easy.reset(curl_easy_init());
  if (!impl_->easy) throw std::runtime_error("curl_easy_init failed");
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

domain::Result<http::Response> Client::Send(const ClientRequest& request) {
  Impl& impl = *impl_;
  const std::string where = request.method + " " + RedactedUrl(request.url);
  const auto invalid = [&](std::string_view why) {
    return Error::Permanent(kInvalidRequest, where + ": " + std::string(why));
  };

  const auto connect_timeout = request.connect_timeout.value_or(impl.options.connect_timeout);
  const auto total_timeout = request.total_timeout.value_or(impl.options.total_timeout);
  const std::size_t max_body = request.max_response_bytes.value_or(impl.options.max_response_bytes);
  if (request.url.empty()) return invalid("empty URL");
  if (!IsToken(request.method)) return invalid("bad method");
  if (connect_timeout.count() <= 0 || total_timeout.count() <= 0) {
    return invalid("timeouts must be positive");
  }

  internal::CurlSlist header_list;
  bool has_content_type = false;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers.entries()) {
    if (!IsToken(name) || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return invalid("bad header " + name);
    }
    has_content_type = has_content_type || http::EqualsIgnoreCase(name, "Content-Type");
    has_expect = has_expect || http::EqualsIgnoreCase(name, "Expect");
    // libcurl drops "Name:" (it means: remove the header); "Name;" sends it empty.
    std::string line = name;
    line.append(value.empty() ? ";" : ": ").append(value);
    if (!internal::Append(header_list, line)) {
      return Error::Transient(kTransportError, where + ": out of memory");
    }
  }
  // No 100-continue round trip: it costs a round trip (or a one-second stall with servers that
  // ignore it) for nothing, since requests are small.
  if (!has_expect && !internal::Append(header_list, "Expect:")) {
    return Error::Transient(kTransportError, where + ": out of memory");
  }
  // libcurl would label a body as a form otherwise.
  if (!has_content_type && !internal::Append(header_list, "Content-Type:")) {
    return Error::Transient(kTransportError, where + ": out of memory");
  }

  CURL* easy = impl.easy.get();
  // Clears every option of the previous request; live connections stay cached for reuse.
  curl_easy_reset(easy);
  impl.error_buffer[0] = '\0';
  Transfer transfer;
  transfer.max_body = max_body;

  CURLcode rc = CURLE_OK;
  SetOption(easy, rc, CURLOPT_URL, request.url.c_str());
  SetOption(easy, rc, CURLOPT_PROTOCOLS_STR, "http,https");
  SetOption(easy, rc, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM-based DNS timeouts in threads
  SetOption(easy, rc, CURLOPT_FOLLOWLOCATION, 0L);
  // HTTP/1.1 only: one request per connection at a time keeps "was it sent" answerable.
  SetOption(easy, rc, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  SetOption(easy, rc, CURLOPT_CONNECTTIMEOUT_MS, Milliseconds(connect_timeout));
  SetOption(easy, rc, CURLOPT_TIMEOUT_MS, Milliseconds(total_timeout));
  SetOption(easy, rc, CURLOPT_TCP_KEEPALIVE, 1L);
  SetOption(easy, rc, CURLOPT_ERRORBUFFER, impl.error_buffer.data());
  SetOption(easy, rc, CURLOPT_USERAGENT, impl.options.user_agent.c_str());
  SetOption(easy, rc, CURLOPT_HTTPHEADER, header_list.get());
  SetOption(easy, rc, CURLOPT_HEADERFUNCTION, &OnHeaderLine);
  SetOption(easy, rc, CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
  SetOption(easy, rc, CURLOPT_WRITEFUNCTION, &OnBodyData);
  SetOption(easy, rc, CURLOPT_WRITEDATA, static_cast<void*>(&transfer));

  const std::string& method = request.method;
  if (method == "HEAD") {
    SetOption(easy, rc, CURLOPT_NOBODY, 1L);
  } else if (method == "GET" && request.body.empty()) {
    SetOption(easy, rc, CURLOPT_HTTPGET, 1L);
  } else {
    if (method == "POST") {
      SetOption(easy, rc, CURLOPT_POST, 1L);
    } else {
      SetOption(easy, rc, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    // Always for POST (else libcurl would read the body from stdin), and for any method that
    // carries one. libcurl reads the body in place; `request` outlives the transfer.
    if (method == "POST" || method == "PUT" || method == "PATCH" || !request.body.empty()) {
      SetOption(easy, rc, CURLOPT_POSTFIELDSIZE_LARGE,
                static_cast<curl_off_t>(request.body.size()));
      SetOption(easy, rc, CURLOPT_POSTFIELDS, request.body.data());
    }
  }
  if (rc != CURLE_OK) return invalid(std::string("libcurl option: ") + curl_easy_strerror(rc));

  rc = curl_easy_perform(easy);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    http::Response response;
    response.status = static_cast<int>(status);
    for (auto& [name, value] : transfer.headers) {
      response.headers.Add(std::move(name), std::move(value));
    }
    response.body = std::move(transfer.body);
    return response;
  }

  std::string detail = curl_easy_strerror(rc);
  if (impl.error_buffer[0] != '\0') {
    detail += " (";
    detail += impl.error_buffer.data();
    detail += ")";
  }
  if (transfer.too_large) {
    return Error::Permanent(kResponseTooLarge, where + ": response body exceeds " +
                                                   std::to_string(max_body) + " bytes");
  }
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return Error::Transient(kUnreachable, where + ": " + detail);
    case CURLE_OPERATION_TIMEDOUT:
      return Error::Transient(
          impl.RequestFullySent(request.body.size()) ? kTimeoutAfterSend : kConnectTimeout,
          where + ": " + detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error::Permanent(kInvalidRequest, where + ": " + detail);
    default:
      return Error::Transient(kTransportError, where + ": " + detail);
  }
}

}  // namespace paypipe::infra::http_client
