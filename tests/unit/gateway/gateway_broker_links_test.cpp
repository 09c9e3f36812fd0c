#include <gtest/gtest.h>

#include <initializer_list>

#include "paypipe/gateway/broker_links.hpp"

namespace paypipe::gateway {
namespace {

constexpr LinkState kConnecting = LinkState::kConnecting;
constexpr LinkState kUp = LinkState::kUp;
constexpr LinkState kDown = LinkState::kDown;

// Links whose threads reported `states`, in order (kConnecting: nothing reported yet).
BrokerLinks With(std::initializer_list<LinkState> states) {
  BrokerLinks links(states.size());
  std::size_t index = 0;
  for (const LinkState state : states) {
    if (state != kConnecting) links.Report(index, state);
    ++index;
  }
  return links;
}

TEST(BrokerLinks, TheBrokerIsNotDownWhileAConnectionIsStillMakingItsFirstAttempt) {
  const BrokerLinks starting = With({kConnecting, kConnecting});
  EXPECT_FALSE(starting.any_up());
  EXPECT_FALSE(starting.all_down());
  EXPECT_FALSE(With({kDown, kConnecting}).all_down());
  const BrokerLinks down = With({kDown, kDown});
  EXPECT_TRUE(down.all_down());
  EXPECT_FALSE(down.any_up());
}

TEST(BrokerLinks, OneLiveConnectionIsEnough) {
  const BrokerLinks links = With({kDown, kUp, kDown});
  EXPECT_TRUE(links.any_up());
  EXPECT_FALSE(links.all_down());
}

TEST(BrokerLinks, TheBrokerIsBackAsSoonAsOneConnectionIs) {
  BrokerLinks links = With({kDown, kDown});
  ASSERT_TRUE(links.all_down());
  links.Report(1, kUp);
  EXPECT_FALSE(links.all_down());
  EXPECT_TRUE(links.any_up());
  EXPECT_EQ(links.state(0), kDown);
  EXPECT_EQ(links.state(1), kUp);
}

TEST(BrokerLinks, AThreadWithoutAConnectionTakesWorkOnlyWhenNoOtherHasOne) {
  BrokerLinks links = With({kUp, kDown});
  EXPECT_TRUE(links.TakesWork(0));
  EXPECT_FALSE(links.TakesWork(1));
  // Nobody can publish now: what is queued still has to be answered, by whichever thread.
  links.Report(0, kDown);
  EXPECT_TRUE(links.TakesWork(0));
  EXPECT_TRUE(links.TakesWork(1));
}

TEST(BrokerLinks, AThreadStillConnectingTakesWorkUntilAnotherIsUp) {
  EXPECT_TRUE(With({kConnecting, kConnecting}).TakesWork(0));
  const BrokerLinks links = With({kConnecting, kUp});
  EXPECT_FALSE(links.TakesWork(0));
  EXPECT_TRUE(links.TakesWork(1));
}

TEST(BrokerLinks, StatesHaveLabels) {
  EXPECT_STREQ(ToString(kConnecting), "connecting");
  EXPECT_STREQ(ToString(kUp), "up");
  EXPECT_STREQ(ToString(kDown), "down");
}

}  // namespace
}  // namespace paypipe::gateway
