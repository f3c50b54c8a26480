#pragma once

#include <cstdint>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace lamplight::test {

/// An IPv4 address and port, as the transport code takes them.
inline sockaddr_storage ipv4(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  inet_pton(AF_INET, ip, &sin->sin_addr);
  return ss;
}

} // namespace lamplight::test
