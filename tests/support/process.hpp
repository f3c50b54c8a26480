#pragma once

// A child process for tests that need a real server: started with its
// stdout piped, read line by line with a deadline, stopped (SIGTERM, then
// SIGKILL) when the object goes away. No sleeps: waits are bounded polls on
// the pipe.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace lamplight::test {

class child_process {
public:
  /// argv[0] is the program path. stderr is inherited, so failures show up
  /// in the test log, unless `merge_stderr` sends it to the same pipe.
  explicit child_process(std::vector<std::string> argv,
                         std::vector<std::string> extra_env = {}, bool merge_stderr = false);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Next line of stdout, or nullopt at the deadline or end of output.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  /// Reads lines until one contains `needle`; returns it.
  std::optional<std::string> wait_for(const std::string& needle,
                                      std::chrono::milliseconds timeout);
  /// Everything read so far.
  const std::vector<std::string>& lines() const { return lines_; }

  /// Sends `sig` and waits (bounded) for the exit; returns the exit status
  /// (128 + signal when killed), or nullopt if it did not exit in time.
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout);
  /// Waits for the process to exit by itself.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  std::vector<std::string> lines_;
  std::optional<int> status_;
};

} // namespace lamplight::test
