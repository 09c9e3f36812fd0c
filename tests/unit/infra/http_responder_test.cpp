#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "paypipe/infra/http_server/handler.hpp"

namespace paypipe::infra::http_server {
namespace {

TEST(Responder, FirstCompletionWinsAcrossCopiesAndThreads) {
  std::atomic<int> completions{0};
  std::atomic<int> winners{0};
  const Responder responder = Responder::WithCallback([&](http::Response) { ++completions; });
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([copy = responder, &winners] {
      if (copy.Respond(http::Response::Text(200, "x"))) ++winners;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(completions.load(), 1);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_TRUE(responder.completed());
}

TEST(Responder, LastCopyDroppedUnansweredAnswers500) {
  int status = 0;
  {
    Responder first = Responder::WithCallback([&](http::Response r) { status = r.status; });
    Responder second = first;  // NOLINT(performance-unnecessary-copy-initialization)
    Responder third = std::move(first);
    EXPECT_FALSE(
        first.Respond(http::Response::Text(200, "moved-from")));  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(status, 0);
  }
  EXPECT_EQ(status, 500);
}

TEST(Responder, AnsweredResponderIsNotAnsweredAgainOnDestruction) {
  std::vector<int> statuses;
  {
    Responder responder =
        Responder::WithCallback([&](http::Response r) { statuses.push_back(r.status); });
    responder.Respond(http::Response::Text(202, ""));
  }
  EXPECT_EQ(statuses, std::vector<int>{202});
}

TEST(Responder, AssignmentReleasesThePreviousRequest) {
  int first_status = 0;
  int second_status = 0;
  Responder a = Responder::WithCallback([&](http::Response r) { first_status = r.status; });
  Responder b = Responder::WithCallback([&](http::Response r) { second_status = r.status; });
  a = b;  // a's request had no other handle: answered 500
  EXPECT_EQ(first_status, 500);
  a.Respond(http::Response::Text(200, ""));
  EXPECT_EQ(second_status, 200);
  EXPECT_TRUE(b.completed());
}

}  // namespace
}  // namespace paypipe::infra::http_server
