#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "media/sdp.hpp"

namespace lamplight::media {

/// What the SFU puts into every answer it writes.
struct answer_params {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // ours, "sha-256 AB:..."
  std::string candidate_ip = "127.0.0.1";
  uint16_t candidate_port = 0;
  /// For a subscriber's offer (recvonly sections): the SSRC and stream ids
  /// we send each video/audio section with, in section order.
  struct outgoing {
    uint32_t ssrc = 0;
    std::string cname = "lamplight";
    std::string stream_id = "lamplight";
    std::string track_id;
  };
  std::vector<outgoing> send;
};

/// The SFU's answer to a browser's or lamp's offer (RFC 8829 section 5.3):
/// ICE-lite, DTLS passive, BUNDLE and rtcp-mux required, one codec per
/// section (VP8 for video, Opus for audio, at the offer's payload types)
/// with its feedback (nack, nack pli, ccm fir, goog-remb), the mid/rid/
/// abs-send-time extensions at the offer's ids, simulcast received as
/// offered. Sections we cannot serve (no VP8 or Opus, or data channels for
/// now) are rejected with port 0. Errors (bad_request) for offers without
/// BUNDLE, rtcp-mux or a DTLS fingerprint, which WebRTC always has.
protocol::result<session_description> make_answer(const session_description& offer,
                                                  const answer_params& params);

/// The SSRC of each section of an offer that sends media (a=ssrc, the
/// primary of an FID group), 0 where the offer gives none (simulcast by rid).
std::vector<uint32_t> offered_ssrcs(const session_description& offer);

} // namespace lamplight::media
