#include "paypipe/infra/log/sink.hpp"

#include <unistd.h>

#include <cerrno>

namespace paypipe::infra::log {

void FileDescriptorSink::Write(std::string_view line) {
  std::lock_guard lock(mutex_);
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere to report a failure to log; drop the rest of the line.
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

void MemorySink::Write(std::string_view line) {
  std::lock_guard lock(mutex_);
  lines_.emplace_back(line);
}

std::vector<std::string> MemorySink::Lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

}  // namespace paypipe::infra::log
