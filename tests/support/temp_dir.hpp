#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace lamplight::test {

/// A unique empty directory, removed with the object. Never the path of an
/// earlier one of this process (tests key other resources, e.g. a database
/// on a shared server, by it).
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static std::atomic<int> made{0};
    auto base = std::filesystem::temp_directory_path();
    for (int i = made++;; i = made++) {
      path = base / ("lamplight-test-" + std::to_string(::getpid()) + "-" + std::to_string(i));
      if (std::filesystem::create_directory(path))
        break;
    }
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

} // namespace lamplight::test
