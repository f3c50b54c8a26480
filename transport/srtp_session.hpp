#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "protocol/errc.hpp"

namespace lamplight::transport {

/// SRTP protection profiles negotiated by DTLS-SRTP (RFC 5764, RFC 7714).
/// GCM first: it is about five times cheaper per packet here.
enum class srtp_profile : uint8_t { aead_aes_128_gcm, aes128_cm_sha1_80 };
const char* to_string(srtp_profile x);

/// Key and salt lengths of a profile.
std::size_t srtp_key_length(srtp_profile p);
std::size_t srtp_salt_length(srtp_profile p);

/// One direction of SRTP/SRTCP for a PeerConnection (libsrtp2): an inbound
/// session accepts any SSRC, an outbound one protects any SSRC. Not
/// thread-safe: one media worker owns it. Outbound sessions allow repeated
/// sequence numbers, which NACK retransmissions need.
class srtp_session {
public:
  enum class direction : uint8_t { inbound, outbound };

  /// `key_salt` is the master key followed by the master salt.
  static protocol::result<std::unique_ptr<srtp_session>>
  create(srtp_profile profile, const std::vector<uint8_t>& key_salt, direction dir);
  ~srtp_session();
  srtp_session(const srtp_session&) = delete;
  srtp_session& operator=(const srtp_session&) = delete;

  /// In place; the buffer grows by the auth tag (protect) or shrinks
  /// (unprotect). False (and `packet` unchanged in size) on any failure:
  /// bad tag, replay, malformed.
  bool protect_rtp(std::vector<uint8_t>& packet);
  bool unprotect_rtp(std::vector<uint8_t>& packet);
  bool protect_rtcp(std::vector<uint8_t>& packet);
  bool unprotect_rtcp(std::vector<uint8_t>& packet);

private:
  srtp_session() = default;
  struct state;
  std::unique_ptr<state> st_;
};

} // namespace lamplight::transport
