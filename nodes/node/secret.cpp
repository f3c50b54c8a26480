#include "nodes/node/secret.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

namespace lamplight::node {

using protocol::errc;
using protocol::error;

protocol::result<std::string> load_or_create_secret(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::string secret;
    std::getline(in, secret);
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back())))
      secret.pop_back();
    if (secret.size() < 16)
      return error{errc::bad_request, "token secret in " + path + " is shorter than 16 bytes"};
    return secret;
  }
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return error{errc::internal, "no randomness for the token secret"};
  static constexpr char hex[] = "0123456789abcdef";
  std::string secret;
  for (unsigned char b : raw) {
    secret += hex[b >> 4];
    secret += hex[b & 15];
  }
  // O_EXCL: two nodes starting at once on one data directory agree on one.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return load_or_create_secret(path);
    return error{errc::internal, "cannot create " + path + ": " + std::strerror(errno)};
  }
  auto line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())
            && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return error{errc::internal, "cannot write " + path};
  return secret;
}

} // namespace lamplight::node
