#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lamplight::test {

child_process::child_process(std::vector<std::string> argv, std::vector<std::string> extra_env,
                             bool merge_stderr) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  if (merge_stderr)
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e)
    env_store.emplace_back(*e);
  for (auto& e : extra_env)
    env_store.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  out_fd_ = fds[0];
}

child_process::~child_process() {
  if (pid_ > 0 && !status_)
    if (!stop(SIGTERM, std::chrono::seconds(10)))
      stop(SIGKILL, std::chrono::seconds(10));
  if (out_fd_ >= 0)
    ::close(out_fd_);
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      auto line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      lines_.push_back(line);
      return line;
    }
    if (out_fd_ < 0)
      return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return std::nullopt;
    char buf[4096];
    auto k = ::read(out_fd_, buf, sizeof(buf));
    if (k <= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
      if (!buffer_.empty()) {
        lines_.push_back(buffer_);
        auto last = std::move(buffer_);
        buffer_.clear();
        return last;
      }
      return std::nullopt;
    }
    buffer_.append(buf, static_cast<std::size_t>(k));
  }
}

std::optional<std::string> child_process::wait_for(const std::string& needle,
                                                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto line = read_line(left);
    if (!line)
      return std::nullopt;
    if (line->find(needle) != std::string::npos)
      return line;
  }
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  if (status_)
    return status_;
  // Bounded polling of waitpid; the child's own exit is what we wait for.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    auto r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    // Drain output meanwhile so the child never blocks on a full pipe.
    read_line(std::chrono::milliseconds(20));
  }
}

std::optional<int> child_process::stop(int sig, std::chrono::milliseconds timeout) {
  if (status_)
    return status_;
  ::kill(pid_, sig);
  return wait(timeout);
}

} // namespace lamplight::test
