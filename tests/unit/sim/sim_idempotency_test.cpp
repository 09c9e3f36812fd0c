#include <gtest/gtest.h>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/sim/idempotency.hpp"

namespace paypipe::sim {
namespace {

TEST(IdempotencyStore, FirstUseRunsThenRepeatsReplayTheStoredAnswer) {
  infra::clock::FakeClock clock;
  IdempotencyStore store(clock, std::chrono::hours(24 * 15));
  EXPECT_EQ(store.Begin("k").state, IdempotencyState::kNew);
  EXPECT_EQ(store.Begin("k").state, IdempotencyState::kInFlight);
  store.Complete("k", infra::http::Response::Json(200, R"({"n":1})"));
  const IdempotencyBegin again = store.Begin("k");
  ASSERT_EQ(again.state, IdempotencyState::kReplay);
  EXPECT_EQ(again.replay->body, R"({"n":1})");
}

TEST(IdempotencyStore, AbandonedKeyRunsAgain) {
  infra::clock::FakeClock clock;
  IdempotencyStore store(clock, std::chrono::hours(3));
  ASSERT_EQ(store.Begin("k").state, IdempotencyState::kNew);
  store.Abandon("k");
  EXPECT_EQ(store.Begin("k").state, IdempotencyState::kNew);
}

TEST(IdempotencyStore, KeysAreForgottenAfterTheRetention) {
  infra::clock::FakeClock clock;
  IdempotencyStore store(clock, std::chrono::hours(24 * 15));
  ASSERT_EQ(store.Begin("k").state, IdempotencyState::kNew);
  store.Complete("k", infra::http::Response::Json(200, "{}"));
  clock.Advance(std::chrono::hours(24 * 15 - 1));
  EXPECT_EQ(store.Begin("k").state, IdempotencyState::kReplay);
  clock.Advance(std::chrono::hours(2));
  EXPECT_EQ(store.Begin("k").state, IdempotencyState::kNew);
}

}  // namespace
}  // namespace paypipe::sim
