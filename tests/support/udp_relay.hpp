#pragma once

// A UDP relay on loopback that stands in for a network path: each client
// address that sends to it gets its own upstream socket towards the target
// (so the target sees one 5-tuple per client, as through a NAT), and every
// n-th SRTP/SRTCP datagram of each flow and direction is dropped. STUN and
// DTLS pass untouched, so connectivity and keys are not what is tested.
// Deterministic (a count, not a dice roll) and bounded: its thread stops
// with the object.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace lamplight::test {

class udp_relay {
public:
  /// drop_every = 20: 5% loss; 0: none.
  udp_relay(const std::string& target_ip, uint16_t target_port, unsigned drop_every);
  ~udp_relay();
  udp_relay(const udp_relay&) = delete;
  udp_relay& operator=(const udp_relay&) = delete;

  uint16_t port() const { return port_; }
  uint64_t forwarded() const { return forwarded_; }
  uint64_t dropped() const { return dropped_; }

private:
  void run();

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::string target_ip_;
  uint16_t target_port_;
  unsigned drop_every_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> forwarded_{0}, dropped_{0};
  std::thread thread_;
};

} // namespace lamplight::test
