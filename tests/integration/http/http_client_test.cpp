// The HTTP client against the paypipe HTTP server (and a few raw sockets) on 127.0.0.1.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_test_support.hpp"
#include "paypipe/infra/http_client/client.hpp"
#include "paypipe/infra/http_client/status.hpp"
#include "paypipe/infra/http_server/server.hpp"

namespace paypipe::infra::http_client {
namespace {

using namespace std::chrono_literals;
using http_server::Handler;
using http_server::Responder;
using http_server::Server;
using http_server::ServerOptions;
using test::Clock;
using test::WaitFor;

// libcurl's global set-up, once per test binary, before any test thread exists.
class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_ = std::make_unique<CurlGlobal>(); }
  void TearDown() override { curl_.reset(); }

 private:
  std::unique_ptr<CurlGlobal> curl_;
};
[[maybe_unused]] ::testing::Environment* const kCurlEnvironment =
    ::testing::AddGlobalTestEnvironment(new CurlEnvironment);

std::unique_ptr<Server> StartServer(Handler handler, ServerOptions options = {}) {
  auto started = Server::Start(std::move(options), std::move(handler));
  if (!started.ok()) {
    ADD_FAILURE() << started.error().ToString();
    return nullptr;
  }
  return std::move(started).value();
}

std::string UrlOf(const Server& server, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

// A listening socket on 127.0.0.1 that the test drives by hand.
class RawListener {
 public:
  explicit RawListener(int backlog) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(fd_, backlog);
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;
  ~RawListener() { ::close(fd_); }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(HttpClient, StatusHeadersAndBodyRoundTrip) {
  std::promise<http::Request> seen;
  auto server = StartServer([&](http::Request request, Responder responder) {
    seen.set_value(request);
    http::Response response = http::Response::Json(201, R"({"status":"DONE"})");
    response.headers.Add("X-Request-Id", "r-42");
    response.headers.Add("Set-Cookie", "a=1");
    response.headers.Add("Set-Cookie", "b=2");
    responder.Respond(std::move(response));
  });
  ASSERT_TRUE(server);
  Client client;
  ClientRequest request;
  request.method = "POST";
  request.url = UrlOf(*server, "/v1/payments/confirm?x=1");
  request.headers.Add("Authorization", "Basic c2VjcmV0Og==");
  request.headers.Add("Content-Type", "application/json");
  request.headers.Add("Idempotency-Key", "key-1");
  request.body = R"({"paymentKey":"pk","amount":1000})";

  const auto response = client.Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"status":"DONE"})");
  EXPECT_EQ(response->headers.Get("x-request-id"), "r-42");
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  int cookies = 0;
  for (const auto& [name, value] : response->headers.entries()) cookies += name == "Set-Cookie";
  EXPECT_EQ(cookies, 2);
  EXPECT_TRUE(CheckStatus(*response).ok());

  const http::Request received = seen.get_future().get();
  EXPECT_EQ(received.method, "POST");
  EXPECT_EQ(received.target, "/v1/payments/confirm?x=1");
  EXPECT_EQ(received.body, request.body);
  EXPECT_EQ(received.headers.Get("Idempotency-Key"), "key-1");
  EXPECT_EQ(received.headers.Get("Content-Type"), "application/json");
  EXPECT_FALSE(received.headers.Get("Expect"));
}

TEST(HttpClient, MethodsWithAndWithoutBodies) {
  auto server = StartServer([](http::Request request, Responder responder) {
    responder.Respond(http::Response::Text(200, request.method + ":" + request.body));
  });
  ASSERT_TRUE(server);
  Client client;
  const auto send = [&](std::string method, std::string body) {
    ClientRequest request;
    request.method = std::move(method);
    request.url = UrlOf(*server, "/m");
    request.body = std::move(body);
    return client.Send(request);
  };
  for (const auto& [method, body] : std::vector<std::pair<std::string, std::string>>{
           {"GET", ""}, {"POST", ""}, {"PUT", "p"}, {"PATCH", "q"}, {"DELETE", ""}}) {
    const auto response = send(method, body);
    ASSERT_TRUE(response.ok()) << method << ": " << response.error().ToString();
    EXPECT_EQ(response->body, method + ":" + body);
  }
  const auto head = send("HEAD", "");
  ASSERT_TRUE(head.ok()) << head.error().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  // The connection is still usable after HEAD.
  const auto after = send("GET", "");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->body, "GET:");
}

TEST(HttpClient, ReusesOneConnectionAcrossRequests) {
  auto server = StartServer([](http::Request, Responder responder) {
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);
  Client client;
  for (int i = 0; i < 20; ++i) {
    ClientRequest request;
    request.method = i % 2 == 0 ? "GET" : "POST";
    request.url = UrlOf(*server, "/r");
    request.body = i % 2 == 0 ? "" : "x";
    const auto response = client.Send(request);
    ASSERT_TRUE(response.ok()) << response.error().ToString();
  }
  EXPECT_EQ(server->stats().requests, 20U);
  EXPECT_EQ(server->stats().connections_accepted, 1U);
}

TEST(HttpClient, TimeoutWaitingForTheResponseMayHaveBeenApplied) {
  std::mutex mutex;
  std::vector<Responder> parked;
  auto server = StartServer([&](http::Request, Responder responder) {
    const std::lock_guard lock(mutex);
    parked.push_back(std::move(responder));
  });
  ASSERT_TRUE(server);
  Client client;
  ClientRequest request;
  request.method = "POST";
  request.url = UrlOf(*server, "/v1/payments/confirm");
  request.body = std::string(10'000, 'b');
  request.total_timeout = 300ms;
  const auto started = Clock::now();
  const auto response = client.Send(request);
  const auto took = Clock::now() - started;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(response.error().code, kTimeoutAfterSend) << response.error().ToString();
  EXPECT_TRUE(MayHaveBeenApplied(response.error()));
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3000ms);
  EXPECT_EQ(server->stats().requests, 1U);
  // The error message never carries the body.
  EXPECT_EQ(response.error().message.find("bbbb"), std::string::npos);
}

TEST(HttpClient, ConnectionRefusedIsUnreachable) {
  std::uint16_t port = 0;
  {
    RawListener closed_soon(1);
    port = closed_soon.port();
  }
  Client client;
  ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  const auto response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(response.error().code, kUnreachable) << response.error().ToString();
  EXPECT_FALSE(MayHaveBeenApplied(response.error()));
}

TEST(HttpClient, UnresolvableHostIsUnreachable) {
  Client client;
  ClientRequest request;
  request.url = "http://no-such-host.invalid/x";
  request.connect_timeout = 2000ms;
  const auto response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kUnreachable) << response.error().ToString();
}

TEST(HttpClient, ServerThatNeverAcceptsGivesAConnectTimeout) {
  // A full accept queue: the kernel drops further SYNs, so connecting hangs.
  RawListener listener(0);
  struct Fillers {
    std::vector<int> fds;
    ~Fillers() {
      for (const int fd : fds) ::close(fd);
    }
  } fillers;
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(listener.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static_cast<void>(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)));
    fillers.fds.push_back(fd);
  }
  Client client;
  ClientRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/x";
  request.body = "x";
  request.connect_timeout = 300ms;
  request.total_timeout = 2000ms;
  const auto response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kConnectTimeout) << response.error().ToString();
  EXPECT_FALSE(MayHaveBeenApplied(response.error()));
}

TEST(HttpClient, TimeoutWhileTheBodyIsStillBeingSentIsNotAfterSend) {
  // Accepted by the kernel, never read: the body stalls once the socket buffers are full.
  RawListener listener(16);
  Client client;
  ClientRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/upload";
  request.body = std::string(64 * 1024 * 1024, 'x');
  request.total_timeout = 500ms;
  const auto response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kConnectTimeout) << response.error().ToString();
  EXPECT_FALSE(MayHaveBeenApplied(response.error()));
}

TEST(HttpClient, ResponsesOverTheSizeLimitAreRefused) {
  auto server = StartServer([](http::Request, Responder responder) {
    responder.Respond(http::Response::Text(200, std::string(10'000, 'r')));
  });
  ASSERT_TRUE(server);
  Client client(ClientOptions{.max_response_bytes = 1000});
  ClientRequest request;
  request.url = UrlOf(*server, "/big");
  const auto refused = client.Send(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(refused.error().code, kResponseTooLarge);

  request.max_response_bytes = 10'000;
  const auto exact = client.Send(request);
  ASSERT_TRUE(exact.ok()) << exact.error().ToString();
  EXPECT_EQ(exact->body.size(), 10'000U);
}

TEST(HttpClient, ChunkedResponsesOverTheSizeLimitAreRefusedWhileStreaming) {
  // No Content-Length to refuse early: the limit applies to the bytes as they arrive.
  RawListener listener(4);
  std::thread server([&] {
    const int fd = ::accept(listener.fd(), nullptr, nullptr);
    char buffer[4096];
    static_cast<void>(::recv(fd, buffer, sizeof(buffer), 0));
    std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) response += "100\r\n" + std::string(256, 'c') + "\r\n";
    response += "0\r\n\r\n";
    static_cast<void>(::send(fd, response.data(), response.size(), MSG_NOSIGNAL));
    ::shutdown(fd, SHUT_WR);
    while (::recv(fd, buffer, sizeof(buffer), 0) > 0) {
    }
    ::close(fd);
  });
  Client client;
  ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/chunked";
  request.max_response_bytes = 1000;
  const auto response = client.Send(request);
  client = Client();  // closes the connection, so that the raw server's read loop ends
  server.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kResponseTooLarge);
}

TEST(HttpClient, TooManyRequestsIsTransientWithItsRetryAfter) {
  auto server = StartServer([](http::Request request, Responder responder) {
    if (request.target == "/busy") {
      http::Response response = http::Response::Json(429, R"({"code":"SLOW_DOWN"})");
      response.headers.Set("Retry-After", "7");
      responder.Respond(std::move(response));
    } else if (request.target == "/down") {
      responder.Respond(http::Response::Json(503, "{}"));
    } else {
      responder.Respond(http::Response::Json(400, R"({"code":"INVALID_CARD"})"));
    }
  });
  ASSERT_TRUE(server);
  Client client;
  ClientRequest request;

  request.url = UrlOf(*server, "/busy");
  auto response = client.Send(request);
  ASSERT_TRUE(response.ok());
  auto status = CheckStatus(*response);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(status.error().code, kTooManyRequests);
  EXPECT_EQ(status.error().message.find("SLOW_DOWN"), std::string::npos);
  EXPECT_EQ(RetryAfter(*response), std::chrono::seconds(7));

  request.url = UrlOf(*server, "/down");
  response = client.Send(request);
  ASSERT_TRUE(response.ok());
  status = CheckStatus(*response);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, domain::ErrorKind::kTransient);
  EXPECT_EQ(status.error().code, kServerError);
  EXPECT_FALSE(RetryAfter(*response));

  request.url = UrlOf(*server, "/bad");
  response = client.Send(request);
  ASSERT_TRUE(response.ok());
  status = CheckStatus(*response);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, domain::ErrorKind::kPermanent);
  EXPECT_EQ(status.error().code, kClientError);
}

TEST(HttpClient, InvalidRequestsFailWithoutSending) {
  Client client;
  ClientRequest request;
  request.url = "http://127.0.0.1:1/x";
  request.headers.Add("X-Evil", "a\r\nInjected: 1");
  auto response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kInvalidRequest);
  EXPECT_EQ(response.error().kind, domain::ErrorKind::kPermanent);

  ClientRequest ftp;
  ftp.url = "ftp://127.0.0.1/file";
  response = client.Send(ftp);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, kInvalidRequest);
  EXPECT_FALSE(MayHaveBeenApplied(response.error()));
}

TEST(HttpClient, ErrorMessagesHideCredentialsAndQuery) {
  std::uint16_t port = 0;
  {
    RawListener closed_soon(1);
    port = closed_soon.port();
  }
  Client client;
  ClientRequest request;
  request.url = "http://user:hunter2@127.0.0.1:" + std::to_string(port) + "/x?token=s3cret";
  const auto response = client.Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message.find("hunter2"), std::string::npos);
  EXPECT_EQ(response.error().message.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace paypipe::infra::http_client
