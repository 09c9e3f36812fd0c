#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace paypipe::sim {

// Runs tasks after a delay, so that injected latency and held (timed-out) answers never block an
// event-loop thread.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void RunAfter(std::chrono::milliseconds delay, std::function<void()> task) = 0;
};

// One thread that runs each task when its delay has passed (real time). Stop() runs every task
// still waiting at once, so that no request is left unanswered at shutdown. Thread-safe.
class TimerThread final : public Scheduler {
 public:
  TimerThread();
  ~TimerThread() override;
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  void RunAfter(std::chrono::milliseconds delay, std::function<void()> task) override;
  void Stop();

 private:
  using Key = std::pair<std::chrono::steady_clock::time_point, std::uint64_t>;
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<Key, std::function<void()>> tasks_;
  std::uint64_t sequence_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace paypipe::sim
