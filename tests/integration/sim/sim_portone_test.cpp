// PortOne V1 and V2 of a running sim, over HTTP.
#include "sim_http_support.hpp"

namespace paypipe::sim::test {
namespace {

class SimPortOne : public SimTest {
 protected:
  void SetUp() override { StartSim(); }

  std::string V1Token() {
    auto response = client().Must("POST", "/portone/v1/users/getToken",
                                  "imp_key=imp_sim_key&imp_secret=imp_sim_secret",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(response.status, 200);
    return json::parse(response.body)["response"]["access_token"];
  }
  Headers V2Auth() { return {{"Authorization", std::string("PortOne ") + kV2Secret}}; }
};

TEST_F(SimPortOne, V1InvalidCredentialsAndMissingTokenAre401) {
  auto wrong =
      client().Must("POST", "/portone/v1/users/getToken", "imp_key=imp_sim_key&imp_secret=wrong",
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(client().Must("GET", "/portone/v1/payments/imp_x").status, 401);
  EXPECT_EQ(
      client()
          .Must("GET", "/portone/v1/payments/imp_x", "", {{"Authorization", "Bearer not-a-token"}})
          .status,
      401);
}

TEST_F(SimPortOne, V1ChecksumMismatchIsNotExecuted) {
  const std::string token = V1Token();
  client().Control("POST", "/portone/v1/payments",
                   {{"merchant_uid", "m-it-1"}, {"amount", 10000}, {"imp_uid", "imp_it_1"}});
  const Headers auth = {{"Authorization", "Bearer " + token}};
  auto first = client().Must(
      "POST", "/portone/v1/payments/cancel",
      json{{"imp_uid", "imp_it_1"}, {"amount", 4000}, {"checksum", 10000}}.dump(), auth);
  EXPECT_EQ(json::parse(first.body)["code"], 0);
  auto mismatch = client().Must(
      "POST", "/portone/v1/payments/cancel",
      json{{"imp_uid", "imp_it_1"}, {"amount", 4000}, {"checksum", 10000}}.dump(), auth);
  EXPECT_EQ(mismatch.status, 200);
  EXPECT_EQ(json::parse(mismatch.body)["code"], 1);
  auto payment = client().Must("GET", "/portone/v1/payments/imp_it_1", "", auth);
  EXPECT_EQ(json::parse(payment.body)["response"]["cancel_amount"], 4000);
  const json ledger = client().Ledger();
  ASSERT_EQ(ledger["cancels"].size(), 1u);
  EXPECT_EQ(ledger["cancels"][0]["provider"], "portone_v1");
}

TEST_F(SimPortOne, V2ErrorsAreTypeAndMessageWithTheDocumentedStatus) {
  auto unauthorized =
      client().Must("GET", "/portone/v2/payments/p", "", {{"Authorization", "PortOne nope"}});
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(json::parse(unauthorized.body)["type"], "UNAUTHORIZED");
  auto missing = client().Must("GET", "/portone/v2/payments/p", "", V2Auth());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["type"], "PAYMENT_NOT_FOUND");

  client().Control("POST", "/portone/v2/payments", {{"paymentId", "pay-it-1"}, {"amount", 9000}});
  auto cancel = [&](const json& body, Headers headers = {}) {
    for (auto& h : V2Auth()) headers.push_back(h);
    return client().Must("POST", "/portone/v2/payments/pay-it-1/cancel", body.dump(), headers);
  };
  auto exceeds = cancel({{"reason", "r"}, {"amount", 9001}});
  EXPECT_EQ(exceeds.status, 409);
  EXPECT_EQ(json::parse(exceeds.body)["type"], "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT");
  auto broken = cancel({{"reason", "r"}, {"currentCancellableAmount", 1}});
  EXPECT_EQ(json::parse(broken.body)["type"], "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN");
  const Headers idem = {{"Idempotency-Key", "\"cancel-pay-it-1-full\""}};
  auto full = cancel({{"reason", "r"}}, idem);
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(cancel({{"reason", "r"}}, idem).body, full.body);  // replayed
  auto already = cancel({{"reason", "r"}});
  EXPECT_EQ(already.status, 409);
  EXPECT_EQ(json::parse(already.body)["type"], "PAYMENT_ALREADY_CANCELLED");
  client().Control("PUT", "/faults/endpoints/portone_v2.cancel",
                   {{"faults", {{{"error", "PG_PROVIDER"}, {"count", 1}}}}});
  client().Control("POST", "/portone/v2/payments", {{"paymentId", "pay-it-2"}, {"amount", 9000}});
  auto pg = client().Must("POST", "/portone/v2/payments/pay-it-2/cancel",
                          json{{"reason", "r"}}.dump(), V2Auth());
  EXPECT_EQ(pg.status, 502);
  EXPECT_EQ(json::parse(pg.body)["type"], "PG_PROVIDER");
  EXPECT_EQ(client().Ledger()["cancels"].size(), 1u);
}

}  // namespace
}  // namespace paypipe::sim::test
