// BoundedQueue::PopUpTo's gather: once an item is held, the wait for more until `max` are queued
// or the queue closes. Every gather here is long (a minute) and is ended by an event (enough
// items, Close); a call that ran its gather out would take the whole minute, which the generous
// bound kPrompt tells apart without depending on how fast the machine is.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

#include "paypipe/gateway/bounded_queue.hpp"

namespace paypipe::gateway {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr std::chrono::microseconds kLongGather = 60s;
// Half of kLongGather: a call that returned within it did not wait its gather out.
constexpr auto kPrompt = 30s;

// PopUpTo(max, wait, gather) on another thread, started once that thread is about to call it.
class Consumer {
 public:
  Consumer(BoundedQueue<int>& queue, std::size_t max, std::chrono::milliseconds wait,
           std::chrono::microseconds gather) {
    std::promise<void> started;
    auto ready = started.get_future();
    taken_ = std::async(std::launch::async,
                        [&queue, max, wait, gather, started = std::move(started)]() mutable {
                          started.set_value();
                          return queue.PopUpTo(max, wait, gather);
                        });
    ready.wait();
  }

  std::vector<int> Get() { return taken_.get(); }

 private:
  std::future<std::vector<int>> taken_;
};

std::vector<int> Drain(BoundedQueue<int>& queue) { return queue.PopUpTo(1'000, 0ms); }

TEST(BoundedQueueGather, ItemsPushedDuringTheGatherJoinTheBatch) {
  BoundedQueue<int> queue(100);
  ASSERT_EQ(queue.Push(0), Admission::kQueued);
  const auto start = SteadyClock::now();
  Consumer consumer(queue, 3, 0ms, kLongGather);
  ASSERT_EQ(queue.Push(1), Admission::kQueued);
  ASSERT_EQ(queue.Push(2), Admission::kQueued);
  EXPECT_EQ(consumer.Get(), (std::vector<int>{0, 1, 2}));
  EXPECT_LT(SteadyClock::now() - start, kPrompt) << "the gather must end once max are queued";
  EXPECT_EQ(queue.size(), 0u);
}

TEST(BoundedQueueGather, TheGatherEndsAsSoonAsMaxItemsAreQueuedAndTakesNoMore) {
  BoundedQueue<int> queue(100);
  ASSERT_EQ(queue.Push(0), Admission::kQueued);
  const auto start = SteadyClock::now();
  Consumer consumer(queue, 2, 0ms, kLongGather);
  for (int i = 1; i <= 4; ++i) ASSERT_EQ(queue.Push(i), Admission::kQueued);
  EXPECT_EQ(consumer.Get(), (std::vector<int>{0, 1}));
  EXPECT_LT(SteadyClock::now() - start, kPrompt);
  EXPECT_EQ(Drain(queue), (std::vector<int>{2, 3, 4})) << "the rest stays queued, in order";
}

TEST(BoundedQueueGather, AQueueAlreadyHoldingMaxIsTakenWithoutGathering) {
  BoundedQueue<int> queue(100);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(queue.Push(i), Admission::kQueued);
  const auto start = SteadyClock::now();
  EXPECT_EQ(queue.PopUpTo(3, 0ms, kLongGather), (std::vector<int>{0, 1, 2}));
  EXPECT_LT(SteadyClock::now() - start, kPrompt);
  EXPECT_EQ(queue.size(), 2u);
}

TEST(BoundedQueueGather, CloseEndsTheGatherWithWhatIsQueued) {
  BoundedQueue<int> queue(100);
  ASSERT_EQ(queue.Push(0), Admission::kQueued);
  const auto start = SteadyClock::now();
  Consumer consumer(queue, 3, 0ms, kLongGather);
  queue.Close();
  EXPECT_EQ(consumer.Get(), (std::vector<int>{0}));
  EXPECT_LT(SteadyClock::now() - start, kPrompt) << "Close must end a gather";
  EXPECT_TRUE(queue.drained());
  EXPECT_EQ(queue.Push(1), Admission::kClosed);
}

TEST(BoundedQueueGather, AClosedQueueIsTakenWithoutGathering) {
  BoundedQueue<int> queue(100);
  ASSERT_EQ(queue.Push(0), Admission::kQueued);
  queue.Close();
  const auto start = SteadyClock::now();
  EXPECT_EQ(queue.PopUpTo(3, 0ms, kLongGather), (std::vector<int>{0}));
  EXPECT_LT(SteadyClock::now() - start, kPrompt);
  EXPECT_TRUE(queue.drained());
}

TEST(BoundedQueueGather, NoGatherStartsWhileTheQueueIsEmpty) {
  BoundedQueue<int> queue(100);
  const auto start = SteadyClock::now();
  EXPECT_TRUE(queue.PopUpTo(3, 0ms, kLongGather).empty());
  EXPECT_LT(SteadyClock::now() - start, kPrompt) << "the gather begins only once an item is held";
}

TEST(BoundedQueueGather, WithoutAGatherWhatIsQueuedIsTakenAtOnce) {
  BoundedQueue<int> queue(100);
  ASSERT_EQ(queue.Push(0), Admission::kQueued);
  const auto start = SteadyClock::now();
  // A long wait for the first item is no wait for more once there is one.
  EXPECT_EQ(queue.PopUpTo(3, 60s, 0us), (std::vector<int>{0}));
  ASSERT_EQ(queue.Push(1), Admission::kQueued);
  EXPECT_EQ(queue.PopUpTo(3, 60s), (std::vector<int>{1})) << "the default is no gather";
  EXPECT_LT(SteadyClock::now() - start, kPrompt);
}

TEST(BoundedQueueGather, WithoutAGatherTheFirstItemPushedEndsTheWait) {
  BoundedQueue<int> queue(100);
  const auto start = SteadyClock::now();
  Consumer consumer(queue, 3, 60s, 0us);
  ASSERT_EQ(queue.Push(7), Admission::kQueued);
  EXPECT_EQ(consumer.Get(), (std::vector<int>{7}));
  EXPECT_LT(SteadyClock::now() - start, kPrompt);
}

}  // namespace
}  // namespace paypipe::gateway
