// Real signals delivered to this process; no sleeps, waits are bounded.
#include "paypipe/cli/shutdown_signals.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace paypipe::cli {
namespace {

bool WaitForStop(std::stop_token token) {
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  // Returns as soon as stop is requested; the limit only keeps a broken build from hanging.
  return wakeup.wait_for(lock, token, std::chrono::seconds{30}, [] { return false; }) ||
         token.stop_requested();
}

bool SigtermBlocked() {
  sigset_t current;
  pthread_sigmask(SIG_BLOCK, nullptr, &current);
  return sigismember(&current, SIGTERM) == 1;
}

TEST(ShutdownSignals, FirstSigtermRequestsStop) {
  ASSERT_FALSE(SigtermBlocked());
  {
    const ShutdownSignals signals;
    EXPECT_TRUE(SigtermBlocked());
    EXPECT_FALSE(signals.token().stop_requested());
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    EXPECT_TRUE(WaitForStop(signals.token()));
  }
  EXPECT_FALSE(SigtermBlocked()) << "the previous mask is restored";
}

TEST(ShutdownSignals, SigintRequestsStopToo) {
  const ShutdownSignals signals;
  ASSERT_EQ(::kill(::getpid(), SIGINT), 0);
  EXPECT_TRUE(WaitForStop(signals.token()));
}

TEST(ShutdownSignals, DestroyingWithoutASignalDoesNotRequestStop) {
  std::stop_token token;
  {
    const ShutdownSignals signals;
    token = signals.token();
  }
  EXPECT_FALSE(token.stop_requested());
}

TEST(ShutdownSignals, SecondSignalEndsTheProcessAtOnce) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const ShutdownSignals signals;
    ::kill(::getpid(), SIGTERM);
    if (!WaitForStop(signals.token())) ::_exit(10);
    ::kill(::getpid(), SIGTERM);
    std::mutex mutex;
    std::condition_variable wakeup;
    std::unique_lock lock(mutex);
    wakeup.wait_for(lock, std::chrono::seconds{30});
    ::_exit(11);  // the second signal should have ended the process before this
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
}

}  // namespace
}  // namespace paypipe::cli
