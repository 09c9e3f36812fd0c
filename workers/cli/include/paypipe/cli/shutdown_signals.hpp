#pragma once

#include <atomic>
#include <csignal>
#include <stop_token>
#include <thread>

namespace paypipe::cli {

// Turns the first SIGTERM or SIGINT into a stop request that commands observe through their
// stop_token; a second one ends the process at once (exit status 128 + signal).
//
// Construct it in main before any other thread starts: it blocks both signals in the calling
// thread, every thread started afterwards inherits that mask, and a dedicated thread waits for
// them with sigwait, so no code runs in a signal handler. Destroy it on the thread that built it;
// the previous signal mask is restored.
class ShutdownSignals {
 public:
  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  [[nodiscard]] std::stop_token token() const noexcept { return source_.get_token(); }

 private:
  void Wait();

  sigset_t signals_;
  sigset_t previous_mask_;
  std::stop_source source_;
  std::atomic<bool> closing_{false};
  std::thread waiter_;
};

}  // namespace paypipe::cli
