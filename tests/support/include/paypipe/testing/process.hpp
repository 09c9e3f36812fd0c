#pragma once

// The built `paypipe` binary as a child process of a test: arguments and environment exactly as
// given (nothing inherited), stdin from /dev/null, stdout and stderr captured in files.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paypipe::testing {

class PaypipeProcess {
 public:
  // Starts PAYPIPE_BINARY with `args` after the program name.
  explicit PaypipeProcess(std::vector<std::string> args, std::vector<std::string> environment = {});
  // Kills (SIGKILL) and reaps the process if it still runs, and removes the output files.
  ~PaypipeProcess();
  PaypipeProcess(const PaypipeProcess&) = delete;
  PaypipeProcess& operator=(const PaypipeProcess&) = delete;

  [[nodiscard]] bool spawned() const { return pid_ > 0 || status_.has_value(); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // The exit status (128 + signal number when a signal ended it), or nullopt if the process
  // still runs after `timeout`.
  [[nodiscard]] std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Everything written so far.
  [[nodiscard]] std::string Out() const;
  [[nodiscard]] std::string Err() const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// The `port` of the first JSON log line on the process's stderr whose `msg` is `message` (how a
// process started with PAYPIPE_HTTP_ADDR=127.0.0.1:0 says where it listens); nullopt until then.
[[nodiscard]] std::optional<int> LoggedPort(const PaypipeProcess& process,
                                            std::string_view message);

struct ProcessOutcome {
  int status = -1;  // -1 when it could not be started or did not end within the timeout
  std::string out;
  std::string err;
};

// Runs `paypipe args...` to completion (killed after `timeout`).
[[nodiscard]] ProcessOutcome RunPaypipe(
    const std::vector<std::string>& args, const std::vector<std::string>& environment = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace paypipe::testing
