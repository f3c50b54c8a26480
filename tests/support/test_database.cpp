#include "tests/support/test_database.hpp"

#include <cstdlib>
#include <map>
#include <mutex>

#include "tests/support/postgres_server.hpp"

namespace lamplight::test {

bool testing_postgres() {
  const char* env = std::getenv("LAMPLIGHT_TEST_DATABASE");
  return env && std::string(env) == "postgres";
}

std::string test_database(const temp_dir& dir, const std::string& name) {
  auto file = (dir.path / name).string();
  if (!testing_postgres())
    return file;
  static std::mutex mtx;
  static std::map<std::string, std::string> made;
  std::lock_guard<std::mutex> lock(mtx);
  if (auto it = made.find(file); it != made.end())
    return it->second;
  auto uri = shared_postgres().create_database("t" + std::to_string(made.size() + 1));
  made.emplace(file, uri);
  return uri;
}

} // namespace lamplight::test
