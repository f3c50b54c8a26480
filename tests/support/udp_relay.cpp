#include "tests/support/udp_relay.hpp"

#include <map>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lamplight::test {

namespace {

int bound_loopback_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  return fd;
}

uint64_t key_of(const sockaddr_in& a) {
  return uint64_t{a.sin_addr.s_addr} << 16 | a.sin_port;
}

bool is_srtp(const uint8_t* d, ssize_t n) {
  return n > 0 && d[0] >= 128 && d[0] <= 191;  // RFC 7983
}

} // namespace

udp_relay::udp_relay(const std::string& target_ip, uint16_t target_port, unsigned drop_every)
  : target_ip_(target_ip), target_port_(target_port), drop_every_(drop_every) {
  listen_fd_ = bound_loopback_socket();
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

udp_relay::~udp_relay() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void udp_relay::run() {
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(target_port_);
  inet_pton(AF_INET, target_ip_.c_str(), &target.sin_addr);
  struct flow {
    sockaddr_in client{};
    int upstream = -1;
    uint64_t up_count = 0, down_count = 0;
  };
  std::map<uint64_t, flow> flows;  // by client address
  std::vector<pollfd> fds;
  std::vector<flow*> owners;
  uint8_t buf[2048];
  auto drop = [this](uint64_t& count, const uint8_t* d, ssize_t n) {
    if (!is_srtp(d, n) || drop_every_ == 0)
      return false;
    if (++count % drop_every_ != 0)
      return false;
    ++dropped_;
    return true;
  };
  while (!stop_) {
    fds.assign(1, {listen_fd_, POLLIN, 0});
    owners.assign(1, nullptr);
    for (auto& [k, f] : flows) {
      fds.push_back({f.upstream, POLLIN, 0});
      owners.push_back(&f);
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0)
      continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN))
        continue;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      auto n = ::recvfrom(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
                          reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0)
        continue;
      if (i == 0) {
        auto& f = flows[key_of(from)];
        if (f.upstream < 0) {
          f.client = from;
          f.upstream = bound_loopback_socket();
        }
        if (drop(f.up_count, buf, n))
          continue;
        ::sendto(f.upstream, buf, static_cast<std::size_t>(n), 0,
                 reinterpret_cast<sockaddr*>(&target), sizeof(target));
      } else {
        auto& f = *owners[i];
        if (drop(f.down_count, buf, n))
          continue;
        ::sendto(listen_fd_, buf, static_cast<std::size_t>(n), 0,
                 reinterpret_cast<sockaddr*>(&f.client), sizeof(f.client));
      }
      ++forwarded_;
    }
  }
  for (auto& [k, f] : flows)
    ::close(f.upstream);
}

} // namespace lamplight::test
