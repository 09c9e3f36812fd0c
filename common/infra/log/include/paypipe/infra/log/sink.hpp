#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace paypipe::infra::log {

// Where finished log lines go. Write receives one complete line, newline included, and must be
// safe to call from several threads at once; lines must not interleave.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Write(std::string_view line) = 0;
};

// Writes each line with write(2) straight to a file descriptor (stderr in production), unbuffered
// so that nothing is lost when the process dies. A line that cannot be written (closed pipe, full
// disk) is dropped: logging never fails the caller. Does not own the descriptor.
class FileDescriptorSink final : public Sink {
 public:
  explicit FileDescriptorSink(int fd) : fd_(fd) {}
  void Write(std::string_view line) override;

 private:
  std::mutex mutex_;
  int fd_;
};

// Keeps every line in memory, for tests that inspect what a component logged.
class MemorySink final : public Sink {
 public:
  void Write(std::string_view line) override;
  [[nodiscard]] std::vector<std::string> Lines() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace paypipe::infra::log
