// Measures how many lines per second the logger formats and writes to /dev/null, and what a call
// below the threshold costs. Usage: paypipe_log_bench [lines_per_thread] [threads]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "paypipe/infra/clock/clock.hpp"
#include "paypipe/infra/log/logger.hpp"
#include "paypipe/infra/log/sink.hpp"

namespace {

using paypipe::infra::log::Level;
using paypipe::infra::log::Logger;

void LogLines(const Logger& logger, long lines) {
  const std::string message_id = "8d3b2c1e-4f5a-4b6c-9d7e-0f1a2b3c4d5e";
  for (long i = 0; i < lines; ++i) {
    logger.Info("message processed", {{"message_id", message_id},
                                      {"correlation_id", "order-20240101-000042"},
                                      {"attempt", i % 5},
                                      {"duration_ms", 12.5}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long lines = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;

  const int fd = ::open("/dev/null", O_WRONLY);
  if (fd < 0) {
    std::perror("open /dev/null");
    return 1;
  }
  paypipe::infra::log::FileDescriptorSink sink(fd);
  paypipe::infra::clock::SystemClock clock;
  const Logger root(sink, clock, Level::kInfo, "paypipe");
  const Logger logger = root.Child("worker", {{"stage", "confirm"}});

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back([&] { LogLines(logger, lines); });
  for (auto& worker : workers) worker.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double total = static_cast<double>(lines) * threads;
  std::printf("enabled:  %.0f lines/s (%ld lines x %d threads in %.3f s)\n",
              total / elapsed.count(), lines, threads, elapsed.count());

  const auto disabled_start = std::chrono::steady_clock::now();
  for (long i = 0; i < lines; ++i) logger.Debug("not written", {{"attempt", i}});
  const std::chrono::duration<double, std::nano> disabled =
      std::chrono::steady_clock::now() - disabled_start;
  std::printf("disabled: %.2f ns/call\n", disabled.count() / static_cast<double>(lines));
  ::close(fd);
  return 0;
}
