#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "paypipe/infra/http_server/router.hpp"

namespace paypipe::infra::http_server {
namespace {

RouteHandler Named(std::string name, std::string* hit) {
  return [name = std::move(name), hit](http::Request, PathParams, Responder responder) {
    *hit = name;
    responder.Respond(http::Response::Text(200, name));
  };
}

// Dispatches through the router and returns what it answered.
std::optional<http::Response> DispatchTo(const Router& router, std::string method,
                                         std::string target) {
  std::optional<http::Response> answered;
  http::Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  router.Dispatch(std::move(request),
                  Responder::WithCallback([&](http::Response r) { answered = std::move(r); }));
  return answered;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Add("POST", "/webhooks/toss", Named("toss", &hit_))
        .Add("POST", "/v1/payments/confirm", Named("confirm", &hit_))
        .Add("GET", "/v1/payments/{paymentKey}", Named("payment", &hit_))
        .Add("POST", "/v1/payments/{paymentKey}/cancel", Named("cancel", &hit_))
        .Add("GET", "/v1/orders/{orderId}", Named("order", &hit_))
        .Add("GET", "/", Named("root", &hit_));
  }
  Router router_;
  std::string hit_;
};

TEST_F(RouterTest, LiteralRoutesMatchExactly) {
  const auto match = router_.Find("POST", "/webhooks/toss");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::kMatched);
  EXPECT_EQ(match.params.size(), 0U);
  EXPECT_EQ(router_.Find("POST", "/webhooks/toss/").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(router_.Find("POST", "/webhooks").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(router_.Find("POST", "/WEBHOOKS/toss").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/").outcome, RouteMatch::Outcome::kMatched);
  EXPECT_EQ(router_.Find("GET", "").outcome, RouteMatch::Outcome::kNotFound);
}

TEST_F(RouterTest, CapturesArePercentDecoded) {
  const auto match = router_.Find("POST", "/v1/payments/tgen_2024%2Fabc%20x/cancel");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::kMatched);
  EXPECT_EQ(match.params.Get("paymentKey"), "tgen_2024/abc x");
  EXPECT_FALSE(match.params.Get("orderId"));
}

TEST_F(RouterTest, CapturesNeedOneWholeNonEmptyValidSegment) {
  EXPECT_EQ(router_.Find("GET", "/v1/payments/").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/v1/payments/a/b").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/v1/payments/bad%zz").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(router_.Find("GET", "/v1/payments/cut%2").outcome, RouteMatch::Outcome::kNotFound);
}

TEST_F(RouterTest, LiteralBeatsCaptureButMethodDecides) {
  ASSERT_TRUE(DispatchTo(router_, "POST", "/v1/payments/confirm"));
  EXPECT_EQ(hit_, "confirm");
  // GET on the same path is a payment key that happens to read "confirm".
  const auto match = router_.Find("GET", "/v1/payments/confirm");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::kMatched);
  EXPECT_EQ(match.params.Get("paymentKey"), "confirm");
}

TEST_F(RouterTest, RegistrationOrderDoesNotChangeThePreference) {
  Router router;
  std::string hit;
  router.Add("GET", "/a/{x}", Named("capture", &hit)).Add("GET", "/a/b", Named("literal", &hit));
  ASSERT_TRUE(DispatchTo(router, "GET", "/a/b"));
  EXPECT_EQ(hit, "literal");
  ASSERT_TRUE(DispatchTo(router, "GET", "/a/c"));
  EXPECT_EQ(hit, "capture");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  const auto match = router_.Find("DELETE", "/v1/payments/confirm");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, HEAD, POST");

  const auto response = DispatchTo(router_, "PUT", "/webhooks/toss");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers.Get("Allow"), "POST");
  EXPECT_EQ(response->body,
            R"({"code":"METHOD_NOT_ALLOWED","message":"method not allowed on this resource"})");
  EXPECT_TRUE(hit_.empty());
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  const auto response = DispatchTo(router_, "HEAD", "/v1/orders/o-1");
  ASSERT_TRUE(response);
  EXPECT_EQ(hit_, "order");
}

TEST_F(RouterTest, UnknownPathIs404UnlessThereIsAFallback) {
  auto response = DispatchTo(router_, "GET", "/nowhere?x=1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(response->body, R"({"code":"NOT_FOUND","message":"no such resource"})");

  router_.SetFallback([](http::Request request, Responder responder) {
    responder.Respond(http::Response::Text(418, std::string(request.path())));
  });
  response = DispatchTo(router_, "GET", "/nowhere?x=1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 418);
  EXPECT_EQ(response->body, "/nowhere");
  // The fallback is for unknown paths only: a known path with a wrong method is still 405.
  response = DispatchTo(router_, "DELETE", "/webhooks/toss");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
}

TEST_F(RouterTest, QueryStringIsIgnoredWhenMatching) {
  const auto response = DispatchTo(router_, "GET", "/v1/orders/o-9?verbose=1");
  ASSERT_TRUE(response);
  EXPECT_EQ(hit_, "order");
}

TEST(Router, MalformedOrDuplicateRoutesAreRejectedAtStartUp) {
  Router router;
  const RouteHandler noop = [](http::Request, PathParams, Responder) {};
  EXPECT_THROW(router.Add("GET", "no-slash", noop), std::invalid_argument);
  EXPECT_THROW(router.Add("get", "/lower", noop), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{}", noop), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{x}{y}", noop), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/x{y}", noop), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{x}/{x}", noop), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a", RouteHandler{}), std::invalid_argument);
  router.Add("GET", "/a/{x}", noop);
  EXPECT_THROW(router.Add("GET", "/a/{y}", noop), std::invalid_argument);
  EXPECT_NO_THROW(router.Add("POST", "/a/{y}", noop));
}

TEST(Router, ToHandlerKeepsItsOwnCopy) {
  std::string hit;
  Handler handler;
  {
    Router router;
    router.Add("GET", "/x", Named("x", &hit));
    handler = router.ToHandler();
  }
  std::optional<http::Response> answered;
  http::Request request;
  request.method = "GET";
  request.target = "/x";
  handler(std::move(request),
          Responder::WithCallback([&](http::Response r) { answered = std::move(r); }));
  ASSERT_TRUE(answered);
  EXPECT_EQ(hit, "x");
}

}  // namespace
}  // namespace paypipe::infra::http_server
