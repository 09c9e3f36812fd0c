#include <gtest/gtest.h>

#include "paypipe/infra/http_client/pool.hpp"

namespace paypipe::infra::http_client {
namespace {

struct Counted {
  int serial = 0;
};

TEST(HttpClientPool, ReusesAReturnedClientAndMakesOneOnlyWhenNoneIsIdle) {
  int made = 0;
  Pool<Counted> pool([&made] { return std::make_unique<Counted>(Counted{++made}); });
  const Counted* first = nullptr;
  {
    auto lease = pool.Acquire();
    first = &*lease;
    EXPECT_EQ(lease->serial, 1);
  }
  {
    auto again = pool.Acquire();  // the returned one, not a new one
    EXPECT_EQ(&*again, first);
    auto second = pool.Acquire();  // the first is lent: a new one
    EXPECT_EQ(second->serial, 2);
    EXPECT_NE(&*second, first);
  }
  EXPECT_EQ(made, 2);
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  EXPECT_NE(&*a, &*b);
  EXPECT_EQ(made, 2);  // both idle ones lent again
}

TEST(HttpClientPool, AMovedLeaseReturnsItsClientOnce) {
  int made = 0;
  Pool<Counted> pool([&made] { return std::make_unique<Counted>(Counted{++made}); });
  {
    auto lease = pool.Acquire();
    auto moved = std::move(lease);
    EXPECT_EQ(moved->serial, 1);
  }
  auto one = pool.Acquire();
  auto two = pool.Acquire();
  EXPECT_EQ(one->serial, 1);
  EXPECT_EQ(two->serial, 2);  // one idle client came back, not two copies of it
}

}  // namespace
}  // namespace paypipe::infra::http_client
