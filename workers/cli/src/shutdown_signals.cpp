#include "paypipe/cli/shutdown_signals.hpp"

#include <pthread.h>

#include <cstdlib>
#include <system_error>

namespace paypipe::cli {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  if (const int error = pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_); error != 0) {
    throw std::system_error(error, std::generic_category(), "pthread_sigmask");
  }
  waiter_ = std::thread([this] { Wait(); });
}

ShutdownSignals::~ShutdownSignals() {
  closing_.store(true);
  // Wakes the waiter's sigwait: the signal is blocked and directed at that thread, which consumes
  // it, so nothing is terminated.
  pthread_kill(waiter_.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void ShutdownSignals::Wait() {
  bool stop_requested = false;
  for (;;) {
    int signal_number = 0;
    if (sigwait(&signals_, &signal_number) != 0) continue;
    if (closing_.load()) return;
    if (stop_requested) std::_Exit(128 + signal_number);
    stop_requested = true;
    source_.request_stop();
  }
}

}  // namespace paypipe::cli
