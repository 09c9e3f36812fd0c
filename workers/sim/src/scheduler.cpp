#include "paypipe/sim/scheduler.hpp"

namespace paypipe::sim {

TimerThread::TimerThread() : thread_([this] { Loop(); }) {}

TimerThread::~TimerThread() { Stop(); }

void TimerThread::RunAfter(std::chrono::milliseconds delay, std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      tasks_.emplace(Key{std::chrono::steady_clock::now() + delay, ++sequence_}, std::move(task));
      wake_.notify_one();
      return;
    }
  }
  task();  // after Stop: nothing waits any more
}

void TimerThread::Loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (stopping_) break;
    if (tasks_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = tasks_.begin()->first.first;
    if (due > std::chrono::steady_clock::now()) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto node = tasks_.extract(tasks_.begin());
    lock.unlock();
    node.mapped()();
    lock.lock();
  }
  // Shutting down: run what is left now, in order.
  while (!tasks_.empty()) {
    auto node = tasks_.extract(tasks_.begin());
    lock.unlock();
    node.mapped()();
    lock.lock();
  }
}

void TimerThread::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace paypipe::sim
