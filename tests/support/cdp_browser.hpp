#pragma once

// Debian's Chromium, headless, driven over the DevTools protocol (CDP) on a
// WebSocket: open pages, evaluate JavaScript in them (the pages' test hooks,
// clicks on their controls), wait for conditions, take screenshots. Fake
// camera and microphone; each browser has a profile of its own and is
// stopped with the object. Every wait has a deadline.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "tests/support/process.hpp"
#include "transport/websocket_client.hpp"

namespace lamplight::test {

class cdp_browser {
public:
  /// Starts Chromium with a profile under `profile_dir`; throws
  /// std::runtime_error if it does not come up.
  explicit cdp_browser(const std::filesystem::path& profile_dir);
  ~cdp_browser();

  struct page {
    std::string target_id;
    std::string session_id;
  };
  /// A new tab at `url`.
  page open(const std::string& url);

  /// Evaluates `expression` in the page (promises are awaited) and returns
  /// its value; nullopt on an exception or a timeout, with `last_error()`.
  std::optional<google::protobuf::Value> eval(const page& p, const std::string& expression,
                                              std::chrono::milliseconds timeout =
                                                std::chrono::seconds(10));
  /// Polls `expression` until it is true (a bounded poll: the page works
  /// on its own time); false at the deadline.
  bool wait_until(const page& p, const std::string& expression, std::chrono::milliseconds timeout);
  /// A PNG of the page's viewport (or of all of it), written to `file`.
  bool screenshot(const page& p, const std::filesystem::path& file, bool full_page = false);

  const std::string& last_error() const { return error_; }
  /// Chromium's own output so far (for failure messages).
  std::string log() const;

private:
  std::optional<google::protobuf::Struct> call(const std::string& method,
                                               const std::string& params_json,
                                               const std::string& session,
                                               std::chrono::milliseconds timeout);
  void drain();

  std::unique_ptr<child_process> proc_;
  transport::websocket_client ws_;
  uint64_t next_id_ = 1;
  std::string error_;
};

/// A JSON string literal for `s` (for building CDP parameters and
/// JavaScript snippets).
std::string json_quote(const std::string& s);

} // namespace lamplight::test
