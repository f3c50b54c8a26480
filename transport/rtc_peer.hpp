#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <netinet/in.h>

#include "transport/dtls_session.hpp"
#include "transport/nice_agent.hpp"
#include "transport/srtp_session.hpp"

namespace lamplight::transport {

/// The client end of one WebRTC media leg, as a lamp, a test or the bench
/// runs it against an ICE-lite SFU port: ICE as the controlling agent
/// (with USE-CANDIDATE), DTLS as client, then SRTP both ways, and DTLS
/// application data for SCTP. Blocking calls, each with a deadline.
class rtc_peer {
public:
  /// How the ICE side runs: one check of our own against an ICE-lite
  /// server (cheap: the bench runs hundreds), or libnice as a full
  /// controlling agent (what a lamp runs).
  enum class ice_mode : uint8_t { lite_check, libnice };

  /// `local_ip`: where this end's socket or ICE candidates are (IPv4).
  explicit rtc_peer(ice_mode mode = ice_mode::lite_check,
                    const std::string& local_ip = "127.0.0.1");
  ~rtc_peer();
  rtc_peer(const rtc_peer&) = delete;
  rtc_peer& operator=(const rtc_peer&) = delete;

  /// What the SFU needs from this peer's SDP, and what it gives in its own.
  std::string local_ufrag;
  std::string local_pwd;
  std::string server_ufrag;
  std::string server_pwd;
  const std::string& fingerprint() const;

  /// Where datagrams go (set by connect; for raw sends before it).
  void aim(const std::string& ip, uint16_t port);
  /// ICE check, then the DTLS handshake in `role` (client unless the
  /// other end's answer said a=setup:active, as Janus's do); false on
  /// failure or timeout.
  bool connect(const std::string& ip, uint16_t port, const std::string& server_fingerprint,
               std::chrono::milliseconds timeout = std::chrono::seconds(10),
               dtls_role role = dtls_role::client);

  bool send_rtp(std::vector<uint8_t> packet);   // protects, then sends
  bool send_rtcp(std::vector<uint8_t> packet);  // protects, then sends
  void send_raw(const uint8_t* data, std::size_t size);

  /// The next datagram (raw, still protected), nullopt at the deadline.
  std::optional<std::vector<uint8_t>> recv(std::chrono::milliseconds timeout);
  /// The next RTP (or RTCP) packet that decrypts, as plain bytes.
  std::optional<std::vector<uint8_t>> recv_rtp(std::chrono::milliseconds timeout);
  std::optional<std::vector<uint8_t>> recv_rtcp(std::chrono::milliseconds timeout);

  /// Decrypts in place; false if it does not authenticate (or replays).
  bool unprotect_rtp(std::vector<uint8_t>& packet);
  bool unprotect_rtcp(std::vector<uint8_t>& packet);
  /// After connect: a DTLS datagram from the server (first byte 20..63),
  /// and the application data (SCTP) it carried.
  void on_dtls(const uint8_t* data, std::size_t size);
  std::vector<std::vector<uint8_t>> take_application();
  bool send_application(const uint8_t* data, std::size_t size);
  /// A fresh binding request on the selected pair: RFC 7675 consent
  /// freshness, which an ICE-lite server expires without (its answer needs
  /// no handling).
  void send_consent_check();
  /// A fresh inbound SRTP state: packets seen before count as never seen.
  void reset_inbound();

  /// Readable when a datagram waits.
  int fd() const;
  /// False if libnice could not be set up (libnice mode only).
  bool usable() const { return fd_ >= 0 || nice_ != nullptr; }

private:
  /// A binding request as the controlling agent, with USE-CANDIDATE.
  std::vector<uint8_t> binding_request(const std::array<uint8_t, 12>& transaction_id) const;
  /// Our one check, retransmitted every 200 ms until answered or `left`
  /// runs out.
  bool lite_check(const std::function<std::chrono::milliseconds()>& left);

  uint64_t tie_breaker_ = 0;
  int fd_ = -1;                       // lite_check: our own UDP socket
  std::unique_ptr<nice_agent> nice_;  // libnice: its queue instead
  sockaddr_in server_{};
  std::shared_ptr<dtls_certificate> cert_;
  std::unique_ptr<dtls_session> dtls_;
  std::unique_ptr<srtp_session> out_, in_;
};

} // namespace lamplight::transport
