// Webhooks a running sim sends to a real HTTP receiver: bodies, headers, signatures, retries.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <regex>
#include <sstream>

#include "sim_http_support.hpp"

namespace paypipe::sim::test {
namespace {

// Standard Webhooks verification written out independently of the sim: HMAC-SHA256 via OpenSSL
// over "{id}.{timestamp}.{body}", keyed with the base64-decoded secret after "whsec_".
bool VerifiesWith(const std::string& secret, const Received& r) {
  const std::string id(r.headers.Get("webhook-id").value_or(""));
  const std::string timestamp(r.headers.Get("webhook-timestamp").value_or(""));
  const std::string signatures(r.headers.Get("webhook-signature").value_or(""));
  if (id.empty() || timestamp.empty() || signatures.empty()) return false;
  const long long ts = std::stoll(timestamp);
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  if (std::llabs(now - ts) > 300) return false;

  const std::string encoded = secret.substr(6);
  std::string key(encoded.size(), '\0');
  const int key_length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                                         reinterpret_cast<const unsigned char*>(encoded.data()),
                                         static_cast<int>(encoded.size()));
  if (key_length < 0) return false;
  key.resize(static_cast<std::size_t>(key_length) -
             std::count(encoded.begin(), encoded.end(), '='));
  const std::string content = id + "." + timestamp + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_length);
  std::string expected(4 * ((mac_length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()), mac,
                  static_cast<int>(mac_length));

  std::istringstream list(signatures);
  std::string entry;
  while (list >> entry) {
    if (entry.rfind("v1,", 0) == 0 && entry.substr(3) == expected) return true;
  }
  return false;
}

class SimWebhooks : public SimTest {
 protected:
  void SetUp() override { StartSim(); }
  void Route(WebhookReceiver& receiver) {
    client().Control("PUT", "/webhooks",
                     {{"toss_url", receiver.Url("/webhooks/toss")},
                      {"portone_v2_url", receiver.Url("/webhooks/portone")},
                      {"portone_v1_url", receiver.Url("/webhooks/portone-v1")}});
  }
};

TEST_F(SimWebhooks, TossPaymentStatusChangedBodyAndHeaders) {
  WebhookReceiver receiver;
  Route(receiver);
  const std::string key = client().Paid("order-wh-0001", 15000);
  ASSERT_TRUE(receiver.WaitForCount(1));
  const Received r = receiver.received()[0];
  EXPECT_EQ(r.path, "/webhooks/toss");
  const json body = json::parse(r.body);
  EXPECT_EQ(body["eventType"], "PAYMENT_STATUS_CHANGED");
  EXPECT_EQ(body["data"]["status"], "DONE");
  EXPECT_EQ(body["data"]["paymentKey"], key);
  EXPECT_EQ(body["data"]["orderId"], "order-wh-0001");
  EXPECT_EQ(body["data"]["totalAmount"], 15000);
  EXPECT_EQ(body["data"]["balanceAmount"], 15000);
  EXPECT_TRUE(body["data"]["lastTransactionKey"].is_string());
  const std::string created = body["createdAt"];
  EXPECT_TRUE(
      std::regex_match(created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?)")))
      << created;
  EXPECT_TRUE(
      std::regex_match(std::string(*r.headers.Get("tosspayments-webhook-transmission-time")),
                       std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00)")));
  EXPECT_EQ(r.headers.Get("tosspayments-webhook-transmission-retried-count"), "0");
  EXPECT_TRUE(r.headers.Get("tosspayments-webhook-transmission-id"));
  EXPECT_FALSE(r.headers.Get("webhook-signature"));
}

TEST_F(SimWebhooks, FailingReceiverGetsRetriesOnTheScaledTossSchedule) {
  WebhookReceiver receiver;
  receiver.Script({500, 503, 200});
  Route(receiver);
  client().Paid("order-wh-0002", 1000);
  ASSERT_TRUE(receiver.WaitForCount(3));
  const auto received = receiver.received();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(received[i].body, received[0].body);
    EXPECT_EQ(received[i].headers.Get("tosspayments-webhook-transmission-retried-count"),
              std::to_string(i));
  }
  // Toss retries after 1 and 4 minutes; at scale 0.0005 that is 30 ms and 120 ms.
  EXPECT_GE(received[1].at - received[0].at, 30ms);
  EXPECT_GE(received[2].at - received[1].at, 120ms);
  ASSERT_TRUE(WaitFor([&] { return client().Ledger()["webhooks"][0]["state"] == "delivered"; }));
  const json delivery = client().Ledger()["webhooks"][0];
  ASSERT_EQ(delivery["attempts"].size(), 3u);
  EXPECT_EQ(delivery["attempts"][0]["status"], 500);
  EXPECT_EQ(delivery["attempts"][2]["status"], 200);
}

TEST_F(SimWebhooks, HangingReceiverDoesNotSlowTheApi) {
  WebhookReceiver receiver;
  receiver.Hang(true);
  Route(receiver);
  for (int i = 0; i < 30; ++i) {
    const auto started = std::chrono::steady_clock::now();
    client().Paid("order-wh-h" + std::to_string(10000 + i), 1000);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  }
  ASSERT_TRUE(receiver.WaitForCount(4));  // every delivery thread is stuck on the receiver
  const json ledger = client().Ledger();
  EXPECT_EQ(ledger["confirms"].size(), 30u);
}

TEST_F(SimWebhooks, PortOneV2WebhooksAreSignedWithEveryActiveSecretAndKeepTheirId) {
  WebhookReceiver receiver;
  receiver.Script({500, 200});
  Route(receiver);
  client().Control("PUT", "/webhooks",
                   {{"portone_v2_secrets", {kWebhookSecretOld, kWebhookSecretNew}}});
  client().Control("POST", "/portone/v2/payments",
                   {{"paymentId", "pay-wh-0001"}, {"amount", 5000}});
  ASSERT_TRUE(receiver.WaitForCount(2));
  const auto received = receiver.received();
  EXPECT_EQ(received[0].path, "/webhooks/portone");
  EXPECT_EQ(received[0].headers.Get("webhook-id"), received[1].headers.Get("webhook-id"));
  EXPECT_EQ(received[0].body, received[1].body);
  for (const Received& r : received) {
    EXPECT_TRUE(VerifiesWith(kWebhookSecretOld, r))
        << r.headers.Get("webhook-signature").value_or("");
    EXPECT_TRUE(VerifiesWith(kWebhookSecretNew, r));
    EXPECT_FALSE(VerifiesWith("whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==", r));
  }
  const json body = json::parse(received[0].body);
  EXPECT_EQ(body["type"], "Transaction.Paid");
  EXPECT_EQ(body["data"]["paymentId"], "pay-wh-0001");
  // A tampered body no longer verifies.
  Received tampered = received[0];
  tampered.body[tampered.body.size() / 2] ^= 1;
  EXPECT_FALSE(VerifiesWith(kWebhookSecretOld, tampered));

  // After rotation only the new secret signs.
  client().Control("PUT", "/webhooks", {{"portone_v2_secrets", kWebhookSecretNew}});
  client().Control("POST", "/portone/v2/payments",
                   {{"paymentId", "pay-wh-0002"}, {"amount", 5000}});
  ASSERT_TRUE(receiver.WaitForCount(3));
  const Received rotated = receiver.received()[2];
  EXPECT_TRUE(VerifiesWith(kWebhookSecretNew, rotated));
  EXPECT_FALSE(VerifiesWith(kWebhookSecretOld, rotated));
}

TEST_F(SimWebhooks, DuplicateAndOutOfOrderFaultsReachTheReceiver) {
  WebhookReceiver receiver;
  Route(receiver);
  client().Control("PUT", "/faults/webhooks", {{"duplicate", 1.0}});
  client().Control("POST", "/portone/v2/payments", {{"paymentId", "pay-wh-0003"}, {"amount", 100}});
  ASSERT_TRUE(receiver.WaitForCount(2));
  auto received = receiver.received();
  EXPECT_EQ(received[0].headers.Get("webhook-id"), received[1].headers.Get("webhook-id"));

  // The DONE event is held back; the cancel that follows overtakes it.
  client().Control("PUT", "/faults/webhooks", {{"out_of_order", 1.0}});
  const std::string key = client().Paid("order-wh-0004", 1000);
  client().Control("PUT", "/faults/webhooks", json::object());
  client().Toss("POST", "/v1/payments/" + key + "/cancel", {{"cancelReason", "r"}});
  ASSERT_TRUE(receiver.WaitForCount(4));
  received = receiver.received();
  EXPECT_EQ(json::parse(received[2].body)["data"]["status"], "CANCELED");
  EXPECT_EQ(json::parse(received[3].body)["data"]["status"], "DONE");
}

TEST_F(SimWebhooks, PortOneV1WebhookCarriesIdsAndStatus) {
  WebhookReceiver receiver;
  Route(receiver);
  client().Control("POST", "/portone/v1/payments",
                   {{"merchant_uid", "m-wh-1"}, {"amount", 700}, {"imp_uid", "imp_wh_1"}});
  ASSERT_TRUE(receiver.WaitForCount(1));
  const Received r = receiver.received()[0];
  EXPECT_EQ(r.path, "/webhooks/portone-v1");
  EXPECT_EQ(json::parse(r.body),
            (json{{"imp_uid", "imp_wh_1"}, {"merchant_uid", "m-wh-1"}, {"status", "paid"}}));
}

}  // namespace
}  // namespace paypipe::sim::test
