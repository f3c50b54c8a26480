#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lamplight::transport {

/// A full ICE agent (RFC 8445) from libnice for one component, as the
/// controlling side: what a lamp behind NAT runs (libnice can add STUN and
/// TURN candidates; here it gathers host candidates on the given address).
/// Every agent of the process runs on one shared GLib main loop thread;
/// received datagrams queue up for the owner, who polls fd() and calls
/// recv(). Consent freshness (RFC 7675) is libnice's: its keepalives are
/// connectivity checks.
class nice_agent {
public:
  /// Gathers candidates (bounded); nullptr if libnice cannot.
  static std::unique_ptr<nice_agent> create(const std::string& local_ip = "127.0.0.1",
                                            std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~nice_agent();
  nice_agent(const nice_agent&) = delete;
  nice_agent& operator=(const nice_agent&) = delete;

  const std::string& ufrag() const { return ufrag_; }
  const std::string& pwd() const { return pwd_; }

  /// Sets the remote credentials and its host candidate, then waits until
  /// a pair is nominated and ready; false at the deadline or on failure.
  bool connect(const std::string& remote_ufrag, const std::string& remote_pwd,
               const std::string& ip, uint16_t port, std::chrono::milliseconds timeout);

  /// Readable while datagrams wait (an eventfd).
  int fd() const;
  std::optional<std::vector<uint8_t>> recv(std::chrono::milliseconds timeout);
  void send(const uint8_t* data, std::size_t size);

  struct state;

private:
  nice_agent() = default;
  std::shared_ptr<state> st_;
  std::string ufrag_, pwd_;
};

} // namespace lamplight::transport
