// The HTTP server on 127.0.0.1, port 0, driven by raw sockets.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_test_support.hpp"
#include "paypipe/infra/http_server/router.hpp"
#include "paypipe/infra/http_server/server.hpp"

namespace paypipe::infra::http_server {
namespace {

using namespace std::chrono_literals;
using test::Clock;
using test::RawConnection;
using test::RawRequest;
using test::WaitFor;

std::unique_ptr<Server> StartServer(ServerOptions options, Handler handler) {
  auto started = Server::Start(std::move(options), std::move(handler));
  if (!started.ok()) {
    ADD_FAILURE() << started.error().ToString();
    return nullptr;
  }
  return std::move(started).value();
}

// Answers at once with "<method> <target> <body>".
void Echo(http::Request request, Responder responder) {
  responder.Respond(
      http::Response::Text(200, request.method + " " + request.target + " " + request.body));
}

// Keeps every request's responder for the test to complete.
class Parking {
 public:
  Handler AsHandler() {
    return [this](http::Request request, Responder responder) {
      const std::lock_guard lock(mutex_);
      targets_.push_back(request.target);
      responders_.push_back(std::move(responder));
    };
  }
  std::size_t count() {
    const std::lock_guard lock(mutex_);
    return responders_.size();
  }
  Responder responder(std::size_t i) {
    const std::lock_guard lock(mutex_);
    return responders_.at(i);
  }
  std::string target(std::size_t i) {
    const std::lock_guard lock(mutex_);
    return targets_.at(i);
  }
  void Clear() {
    const std::lock_guard lock(mutex_);
    responders_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> targets_;
  std::vector<Responder> responders_;
};

bool SaysClose(const test::RawResponse& response) {
  const auto connection = response.headers.Get("Connection");
  return connection && http::EqualsIgnoreCase(*connection, "close");
}

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  auto server = StartServer({}, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 200; ++i) {
    const std::string target = "/items/" + std::to_string(i);
    ASSERT_TRUE(client.Send(RawRequest("GET", target)));
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "GET " + target + " ");
    EXPECT_FALSE(SaysClose(*response));
    EXPECT_TRUE(response->headers.Get("Date"));
  }
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, 1U);
  EXPECT_EQ(stats.requests, 200U);
  EXPECT_EQ(stats.responses(2), 200U);
}

TEST(HttpServer, RequestReachesTheHandlerIntact) {
  std::promise<http::Request> seen;
  auto server = StartServer({}, [&](http::Request request, Responder responder) {
    seen.set_value(std::move(request));
    responder.Respond(http::Response::Text(204, ""));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("POST", "/v1/checkouts?dry=1", R"({"amount":1000})",
                                     "X-Empty:\r\nIdempotency-Key: k-1\r\nX-Multi: a\r\n"
                                     "X-Multi: b\r\n")));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 204);
  EXPECT_FALSE(response->headers.Get("Content-Length"));

  const http::Request request = seen.get_future().get();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/checkouts?dry=1");
  EXPECT_EQ(request.path(), "/v1/checkouts");
  EXPECT_EQ(request.query(), "dry=1");
  EXPECT_EQ(request.body, R"({"amount":1000})");
  EXPECT_EQ(request.headers.Get("idempotency-key"), "k-1");
  EXPECT_EQ(request.headers.Get("X-Empty"), "");
  EXPECT_EQ(request.headers.Get("Host"), "test");
  const auto& entries = request.headers.entries();
  EXPECT_EQ(std::count_if(entries.begin(), entries.end(),
                          [](const auto& e) { return e.first == "X-Multi"; }),
            2);
  EXPECT_EQ(request.remote_address.rfind("127.0.0.1:", 0), 0U) << request.remote_address;
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrderWhenHandlersCompleteOutOfOrder) {
  Parking parking;
  auto server = StartServer({}, parking.AsHandler());
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  std::string burst;
  for (int i = 0; i < 5; ++i) burst += RawRequest("GET", "/r" + std::to_string(i));
  ASSERT_TRUE(client.Send(burst));
  ASSERT_TRUE(WaitFor([&] { return parking.count() == 5; }));

  // Completed from another thread, last first; nothing may go out while the first is pending.
  test::WorkerThread worker;
  std::promise<void> done;
  worker.Post([&] {
    for (std::size_t i = 4; i >= 1; --i) {
      parking.responder(i).Respond(http::Response::Text(200, parking.target(i)));
    }
    done.set_value();
  });
  done.get_future().wait();
  EXPECT_FALSE(client.ReadResponse(200ms)) << "a later response overtook the first";

  worker.Post([&] { parking.responder(0).Respond(http::Response::Text(200, parking.target(0))); });
  for (int i = 0; i < 5; ++i) {
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response) << "response " << i;
    EXPECT_EQ(response->body, "/r" + std::to_string(i));
  }
}

TEST(HttpServer, PipelineDeeperThanTheLimitIsReadInStepsAndAnsweredInOrder) {
  ServerOptions options;
  options.max_pipelined_requests = 2;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += RawRequest("GET", "/p" + std::to_string(i));
  ASSERT_TRUE(client.Send(burst));
  for (int i = 0; i < 50; ++i) {
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response) << "response " << i;
    EXPECT_EQ(response->body, "GET /p" + std::to_string(i) + " ");
  }
  EXPECT_EQ(server->stats().requests, 50U);
}

TEST(HttpServer, HandlersMayCompleteOnAnotherThread) {
  test::WorkerThread worker;
  std::mutex mutex;
  std::set<std::thread::id> handler_threads;
  auto server = StartServer({}, [&](http::Request request, Responder responder) {
    {
      const std::lock_guard lock(mutex);
      handler_threads.insert(std::this_thread::get_id());
    }
    worker.Post([request = std::move(request), responder = std::move(responder)] {
      responder.Respond(http::Response::Text(200, "worker " + request.target));
    });
  });
  ASSERT_TRUE(server);
  std::vector<RawConnection> clients;
  for (int c = 0; c < 4; ++c) clients.emplace_back(server->port());
  for (int round = 0; round < 25; ++round) {
    for (auto& client : clients) ASSERT_TRUE(client.Send(RawRequest("GET", "/x")));
    for (auto& client : clients) {
      const auto response = client.ReadResponse();
      ASSERT_TRUE(response);
      EXPECT_EQ(response->body, "worker /x");
    }
  }
  EXPECT_EQ(server->stats().responses(2), 100U);
  const std::lock_guard lock(mutex);
  ASSERT_EQ(handler_threads.size(), 1U);
  EXPECT_NE(*handler_threads.begin(), worker.id());
}

TEST(HttpServer, ContentLengthOverTheLimitGets413BeforeTheBodyIsSent) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  auto server = StartServer(options, [&](http::Request, Responder responder) {
    ++calls;
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n"));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(SaysClose(*response));
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(server->stats().oversize_bodies, 1U);
  EXPECT_EQ(server->stats().responses(4), 1U);
}

TEST(HttpServer, ChunkedBodyIsReassembledAndOneCrossingTheLimitGets413WhileStreaming) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  auto server = StartServer(options, [&](http::Request request, Responder responder) {
    ++calls;
    responder.Respond(http::Response::Text(200, std::to_string(request.body.size())));
  });
  ASSERT_TRUE(server);
  const std::string head = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "200\r\n" + std::string(512, 'a') + "\r\n";

  RawConnection small(server->port());
  ASSERT_TRUE(small.Send(head + chunk + chunk + "0\r\n\r\n"));
  const auto accepted = small.ReadResponse();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200);
  EXPECT_EQ(accepted->body, "1024");

  RawConnection large(server->port());
  ASSERT_TRUE(large.Send(head));
  ASSERT_TRUE(large.Send(chunk));
  ASSERT_TRUE(large.Send(chunk));
  EXPECT_FALSE(large.ReadResponse(100ms)) << "1024 bytes are within the limit";
  ASSERT_TRUE(large.Send(chunk));  // 1536 bytes: over, and the body is not finished
  const auto rejected = large.ReadResponse();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 413);
  EXPECT_TRUE(large.WaitClosed());
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(server->stats().oversize_bodies, 1U);
}

TEST(HttpServer, OversizedHeadsGet431) {
  ServerOptions options;
  options.max_head_bytes = 1024;
  options.max_header_count = 10;
  std::atomic<int> calls{0};
  auto server = StartServer(options, [&](http::Request, Responder responder) {
    ++calls;
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);

  const auto expect_431 = [&](const std::string& request) {
    RawConnection client(server->port());
    ASSERT_TRUE(client.Send(request));
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 431);
    EXPECT_TRUE(client.WaitClosed());
  };
  expect_431(RawRequest("GET", "/", "", "X-Big: " + std::string(2000, 'v') + "\r\n"));
  expect_431(RawRequest("GET", "/" + std::string(2000, 'u')));
  std::string many;
  for (int i = 0; i < 11; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  expect_431(RawRequest("GET", "/", "", many));

  // At the limits exactly: accepted.
  RawConnection fine(server->port());
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "X-H" + std::to_string(i) + ": v\r\n";
  ASSERT_TRUE(fine.Send(RawRequest("GET", "/", "", nine)));  // + Host = 10 headers
  const auto response = fine.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);

  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(server->stats().oversize_heads, 3U);
}

TEST(HttpServer, GarbledRequestsGet400AndTheConnectionCloses) {
  std::atomic<int> calls{0};
  auto server = StartServer({}, [&](http::Request, Responder responder) {
    ++calls;
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);
  for (const std::string& garbage :
       {std::string("THIS IS NOT HTTP\r\n\r\n"), std::string("GET / HTTP/9.9x\r\n\r\n"),
        // Both framings at once: the classic request-smuggling shape.
        std::string("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")}) {
    RawConnection client(server->port());
    ASSERT_TRUE(client.Send(garbage));
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response) << garbage;
    EXPECT_EQ(response->status, 400);
    EXPECT_TRUE(SaysClose(*response));
    EXPECT_TRUE(client.WaitClosed());
  }
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(server->stats().parse_errors, 3U);
}

TEST(HttpServer, Http11RequestWithoutHostGets400) {
  auto server = StartServer({}, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\n\r\n"));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(server->stats().requests, 0U);
}

TEST(HttpServer, ChunkedTrailersDoNotReachTheHandler) {
  std::promise<http::Request> seen;
  auto server = StartServer({}, [&](http::Request request, Responder responder) {
    seen.set_value(std::move(request));
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(
      client.Send("POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n0\r\nX-Signature: forged\r\n\r\n"));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  const http::Request request = seen.get_future().get();
  EXPECT_EQ(request.body, "abc");
  EXPECT_FALSE(request.headers.Get("X-Signature"));
}

TEST(HttpServer, LargeResponsesAreWrittenCompletelyAndInOrder) {
  auto server = StartServer({}, [](http::Request request, Responder responder) {
    const std::size_t size = request.target == "/big" ? 8U * 1024 * 1024 : 10U;
    responder.Respond(http::Response::Text(200, std::string(size, request.target[1])));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/big") + RawRequest("GET", "/small")));
  const auto big = client.ReadResponse(10'000ms);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->body.size(), 8U * 1024 * 1024);
  EXPECT_EQ(big->body.find_first_not_of('b'), std::string::npos);
  const auto small = client.ReadResponse();
  ASSERT_TRUE(small);
  EXPECT_EQ(small->body, std::string(10, 's'));
}

TEST(HttpServer, ClientThatStopsReadingIsClosedAfterTheWriteTimeout) {
  ServerOptions options;
  options.write_timeout = 300ms;
  auto server = StartServer(options, [](http::Request, Responder responder) {
    responder.Respond(http::Response::Text(200, std::string(64U * 1024 * 1024, 'x')));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/flood")));
  // Never read: the server's write stalls once the socket buffers are full.
  EXPECT_TRUE(WaitFor([&] { return server->stats().write_timeouts == 1; }, 10'000ms));
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_open == 0; }));
}

TEST(HttpServer, GarbageAfterAGoodRequestIsAnsweredAfterIt) {
  auto server = StartServer({}, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/ok") + "NONSENSE\r\n\r\n"));
  const auto first = client.ReadResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  const auto second = client.ReadResponse();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 400);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, SlowClientTimesOutWhileAFastClientIsServed) {
  ServerOptions options;
  options.header_timeout = 1000ms;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);

  RawConnection slow(server->port());
  ASSERT_TRUE(slow.connected());
  const int slow_fd = slow.fd();
  std::atomic<bool> stop_trickle{false};
  const auto started = Clock::now();
  // One byte at a time: the request would take far longer than the header timeout.
  std::thread trickle([&] {
    const std::string request = RawRequest("GET", "/slow");
    for (const char byte : request) {
      if (stop_trickle || ::send(slow_fd, &byte, 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(250ms);
    }
  });
  auto slow_result = std::async(std::launch::async, [&] { return slow.ReadResponse(5000ms); });

  RawConnection fast(server->port());
  int served = 0;
  auto worst = Clock::duration::zero();
  while (slow_result.wait_for(0ms) != std::future_status::ready) {
    const auto sent = Clock::now();
    ASSERT_TRUE(fast.Send(RawRequest("GET", "/fast")));
    const auto response = fast.ReadResponse(1000ms);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    worst = std::max(worst, Clock::now() - sent);
    ++served;
  }
  const auto slow_response = slow_result.get();
  const auto elapsed = Clock::now() - started;
  stop_trickle = true;
  trickle.join();

  ASSERT_TRUE(slow_response);
  EXPECT_EQ(slow_response->status, 408);
  EXPECT_TRUE(slow.WaitClosed());
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3000ms);
  EXPECT_GT(served, 10);
  EXPECT_LT(worst, 250ms);
  EXPECT_EQ(server->stats().header_timeouts, 1U);
}

TEST(HttpServer, BodyThatDoesNotArriveInTimeGets408) {
  ServerOptions options;
  options.body_timeout = 300ms;
  std::atomic<int> calls{0};
  auto server = StartServer(options, [&](http::Request, Responder responder) {
    ++calls;
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(server->stats().body_timeouts, 1U);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/")));
  ASSERT_TRUE(client.ReadResponse());
  const auto idle_from = Clock::now();
  EXPECT_TRUE(client.WaitClosed(5000ms));
  EXPECT_GE(Clock::now() - idle_from, 250ms);
  EXPECT_EQ(server->stats().idle_timeouts, 1U);
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_open == 0; }));
}

TEST(HttpServer, ConnectionThatNeverSendsIsClosedAfterTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 300ms;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  EXPECT_TRUE(client.WaitClosed(5000ms));
  EXPECT_EQ(server->stats().header_timeouts, 1U);
}

TEST(HttpServer, ConnectionCloseIsHonoured) {
  auto server = StartServer({}, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/bye", "", "Connection: close\r\n") +
                          RawRequest("GET", "/ignored")));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /bye ");
  EXPECT_TRUE(SaysClose(*response));
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(server->stats().requests, 1U);
}

TEST(HttpServer, HandlerAskingToCloseClosesAfterItsResponse) {
  auto server = StartServer({}, [](http::Request, Responder responder) {
    auto response = http::Response::Text(200, "ok");
    response.headers.Set("Connection", "close");
    responder.Respond(std::move(response));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/")));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_TRUE(SaysClose(*response));
  EXPECT_TRUE(client.WaitClosed());
}

TEST(HttpServer, Http10ClosesUnlessAskedToKeepAlive) {
  auto server = StartServer({}, Echo);
  ASSERT_TRUE(server);

  RawConnection plain(server->port());
  ASSERT_TRUE(plain.Send("GET /old HTTP/1.0\r\n\r\n"));
  const auto response = plain.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /old ");
  EXPECT_TRUE(plain.WaitClosed());

  RawConnection kept(server->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(kept.Send("GET /kept HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const auto again = kept.ReadResponse();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->headers.Get("Connection"), "keep-alive");
  }
  EXPECT_EQ(server->stats().connections_accepted, 2U);
}

TEST(HttpServer, HeadGetsTheHeadersOnly) {
  auto server = StartServer({}, [](http::Request, Responder responder) {
    responder.Respond(http::Response::Text(200, "hello"));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("HEAD", "/")));
  const auto head = client.ReadResponse(5000ms, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers.Get("Content-Length"), "5");
  EXPECT_TRUE(client.buffered().empty());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/")));
  const auto get = client.ReadResponse();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "hello");
}

TEST(HttpServer, ExpectContinueGets100BeforeTheBody) {
  auto server = StartServer({}, Echo);
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(
      "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = client.ReadResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("body"));
  const auto final_response = client.ReadResponse();
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->body, "POST /e body");
}

TEST(HttpServer, CompletingTwiceOrAfterTheClientLeftIsSafe) {
  Parking parking;
  auto server = StartServer({}, parking.AsHandler());
  ASSERT_TRUE(server);
  {
    RawConnection client(server->port());
    ASSERT_TRUE(client.Send(RawRequest("GET", "/gone")));
    ASSERT_TRUE(WaitFor([&] { return parking.count() == 1; }));
    client.Abort();  // reset, as a client giving up does
  }
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open == 0; }));
  Responder responder = parking.responder(0);
  std::thread other(
      [responder] { EXPECT_TRUE(responder.Respond(http::Response::Text(200, "a"))); });
  other.join();
  EXPECT_FALSE(responder.Respond(http::Response::Text(200, "b")));
  EXPECT_TRUE(responder.completed());
  EXPECT_TRUE(WaitFor([&] { return server->stats().responses_dropped == 1; }));
  EXPECT_EQ(server->stats().responses(2), 0U);
}

TEST(HttpServer, ClientThatHalfClosesStillGetsItsAnswers) {
  Parking parking;
  auto server = StartServer({}, parking.AsHandler());
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/one") + RawRequest("GET", "/two")));
  client.ShutdownWrite();
  ASSERT_TRUE(WaitFor([&] { return parking.count() == 2; }));
  parking.responder(1).Respond(http::Response::Text(200, "two"));
  parking.responder(0).Respond(http::Response::Text(200, "one"));
  for (const char* body : {"one", "two"}) {
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, body);
  }
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_open == 0; }));
}

TEST(HttpServer, RespondingTwiceSendsOneResponse) {
  auto server = StartServer({}, [](http::Request, Responder responder) {
    EXPECT_TRUE(responder.Respond(http::Response::Text(200, "first")));
    EXPECT_FALSE(responder.Respond(http::Response::Text(500, "second")));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/a") + RawRequest("GET", "/b")));
  for (int i = 0; i < 2; ++i) {
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "first");
  }
  EXPECT_FALSE(client.ReadResponse(100ms));
}

TEST(HttpServer, HandlerThatNeverAnswersIsAnswered503AfterTheHandlerTimeout) {
  ServerOptions options;
  options.handler_timeout = 300ms;
  Parking parking;
  auto server = StartServer(options, parking.AsHandler());
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  const auto sent = Clock::now();
  ASSERT_TRUE(client.Send(RawRequest("POST", "/webhooks/toss", "{}")));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_GE(Clock::now() - sent, 250ms);
  EXPECT_FALSE(SaysClose(*response));
  EXPECT_EQ(server->stats().handler_timeouts, 1U);
  // The late answer is refused, and the connection goes on serving.
  EXPECT_FALSE(parking.responder(0).Respond(http::Response::Text(200, "late")));
  ASSERT_TRUE(client.Send(RawRequest("GET", "/next")));
  ASSERT_TRUE(WaitFor([&] { return parking.count() == 2; }));
  EXPECT_TRUE(parking.responder(1).Respond(http::Response::Text(200, "next")));
  const auto next = client.ReadResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "next");
}

TEST(HttpServer, ForgottenResponderAndThrowingHandlerAreAnswered500) {
  auto server = StartServer({}, [](http::Request request, Responder) {
    if (request.target == "/throw") throw std::runtime_error("boom");
    // Otherwise the responder is dropped without an answer.
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  for (const char* target : {"/forget", "/throw"}) {
    ASSERT_TRUE(client.Send(RawRequest("GET", target)));
    const auto response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 500);
  }
  EXPECT_EQ(server->stats().handler_exceptions, 1U);
  EXPECT_EQ(server->stats().responses(5), 2U);
}

TEST(HttpServer, InvalidResponseHeadersBecome500) {
  auto server = StartServer({}, [](http::Request, Responder responder) {
    auto response = http::Response::Text(200, "ok");
    response.headers.Add("X-Injected", "a\r\nSet-Cookie: evil=1");
    responder.Respond(std::move(response));
  });
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/")));
  const auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_FALSE(response->headers.Get("Set-Cookie"));
}

TEST(HttpServer, ConnectionsOverTheCapAreRejected) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  RawConnection first(server->port());
  RawConnection second(server->port());
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open == 2; }));
  RawConnection third(server->port());
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_EQ(server->stats().connections_rejected, 1U);
  ASSERT_TRUE(first.Send(RawRequest("GET", "/still")));
  const auto response = first.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServer, GracefulStopAnswersInFlightRequestsAndClosesIdleOnes) {
  Parking parking;
  auto server = StartServer({}, parking.AsHandler());
  ASSERT_TRUE(server);
  const std::uint16_t port = server->port();
  RawConnection busy(port);
  RawConnection idle(port);
  ASSERT_TRUE(busy.Send(RawRequest("POST", "/webhooks/toss", "{}")));
  ASSERT_TRUE(WaitFor([&] { return parking.count() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open == 2; }));

  const auto stop_started = Clock::now();
  std::thread stopper([&] { server->Stop(10'000ms); });
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_TRUE(WaitFor([&] { return !RawConnection().Connect(port); }))
      << "still accepting while stopping";

  parking.responder(0).Respond(http::Response::Text(200, "stored"));
  const auto response = busy.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "stored");
  EXPECT_TRUE(SaysClose(*response));
  EXPECT_TRUE(busy.WaitClosed());
  busy.Close();
  stopper.join();
  EXPECT_LT(Clock::now() - stop_started, 5000ms) << "waited for the grace period";
  EXPECT_EQ(server->stats().connections_open, 0U);
}

TEST(HttpServer, GracefulStopForceClosesWhatIsLeftWhenGraceRunsOut) {
  Parking parking;
  auto server = StartServer({}, parking.AsHandler());
  ASSERT_TRUE(server);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(RawRequest("GET", "/never")));
  ASSERT_TRUE(WaitFor([&] { return parking.count() == 1; }));
  const auto stop_started = Clock::now();
  server->Stop(300ms);
  const auto took = Clock::now() - stop_started;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3000ms);
  EXPECT_TRUE(client.WaitClosed());
  // The handler's answer has nowhere to go; it must not crash anything.
  EXPECT_TRUE(parking.responder(0).Respond(http::Response::Text(200, "late")));
  server.reset();
}

TEST(HttpServer, ServesMoreThanAThousandConcurrentConnections) {
  constexpr int kConnections = 1200;
  test::WorkerThread worker;
  auto server = StartServer({}, [&](http::Request request, Responder responder) {
    worker.Post([target = request.target, responder = std::move(responder)] {
      responder.Respond(http::Response::Text(200, target));
    });
  });
  ASSERT_TRUE(server);
  std::vector<RawConnection> clients;
  clients.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    clients.emplace_back(server->port());
    ASSERT_TRUE(clients.back().connected()) << i;
  }
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open == kConnections; }));
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_TRUE(
        clients[static_cast<std::size_t>(i)].Send(RawRequest("GET", "/c" + std::to_string(i))));
  }
  for (int i = 0; i < kConnections; ++i) {
    const auto response = clients[static_cast<std::size_t>(i)].ReadResponse();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "/c" + std::to_string(i));
  }
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, static_cast<std::uint64_t>(kConnections));
  EXPECT_EQ(stats.responses(2), static_cast<std::uint64_t>(kConnections));
}

TEST(HttpServer, SeveralLoopsShareOnePort) {
  ServerOptions options;
  options.loop_threads = 2;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto server = StartServer(options, [&](http::Request, Responder responder) {
    {
      const std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    responder.Respond(http::Response::Text(200, "ok"));
  });
  ASSERT_TRUE(server);
  for (int i = 0; i < 64; ++i) {
    RawConnection client(server->port());
    ASSERT_TRUE(client.Send(RawRequest("GET", "/")));
    ASSERT_TRUE(client.ReadResponse());
  }
  const std::lock_guard lock(mutex);
  EXPECT_EQ(threads.size(), 2U);
  EXPECT_EQ(server->stats().connections_accepted, 64U);
}

TEST(HttpServer, StartFailsWhenThePortIsTaken) {
  auto first = StartServer({}, Echo);
  ASSERT_TRUE(first);
  ServerOptions options;
  options.port = first->port();
  auto second = Server::Start(options, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "HTTP_LISTEN_FAILED");

  options.loop_threads = 0;
  auto bad = Server::Start(options, Echo);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "HTTP_SERVER_BAD_OPTIONS");
}

TEST(HttpServer, RouterAnswers404And405ThroughTheServer) {
  Router router;
  router.Add("GET", "/v1/payments/{paymentKey}",
             [](http::Request, PathParams params, Responder responder) {
               responder.Respond(http::Response::Text(200, std::string(*params.Get("paymentKey"))));
             });
  auto server = StartServer({}, router.ToHandler());
  ASSERT_TRUE(server);
  RawConnection client(server->port());

  ASSERT_TRUE(client.Send(RawRequest("GET", "/v1/payments/pk%2D1?x=1")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "pk-1");

  ASSERT_TRUE(client.Send(RawRequest("DELETE", "/v1/payments/pk")));
  response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers.Get("Allow"), "GET, HEAD");

  ASSERT_TRUE(client.Send(RawRequest("GET", "/nope")));
  response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
}

}  // namespace
}  // namespace paypipe::infra::http_server
