#pragma once

#include <cstdint>
#include <optional>
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
  /// Whether application (data channel) sections are accepted.
  bool data_channels = true;
};

/// The largest data channel message the SFU takes (a=max-message-size).
inline constexpr uint32_t data_channel_max_message = 256 * 1024;

/// The SFU's answer to a browser's or lamp's offer (RFC 8829 section 5.3):
/// ICE-lite, DTLS passive, BUNDLE and rtcp-mux required, one codec per
/// section (VP8 for video, Opus for audio, at the offer's payload types)
/// with its feedback (nack, nack pli, ccm fir, goog-remb), the mid/rid/
/// abs-send-time extensions at the offer's ids, simulcast received as
/// offered, and data channels (RFC 8841: SCTP port 5000, our message size
/// limit). Sections we cannot serve (no VP8 or Opus) are rejected with
/// port 0. Errors (bad_request) for offers without
/// BUNDLE, rtcp-mux or a DTLS fingerprint, which WebRTC always has.
protocol::result<session_description> make_answer(const session_description& offer,
                                                  const answer_params& params);

/// An m=application section for WebRTC data channels (UDP/DTLS/SCTP,
/// webrtc-datachannel), and whether an offer has one it wants.
bool is_data_channel_section(const sdp_media& m);
bool offers_data_channels(const session_description& offer);

/// The SSRC of each section of an offer that sends media (a=ssrc, the
/// primary of an FID group), 0 where the offer gives none (simulcast by rid).
std::vector<uint32_t> offered_ssrcs(const session_description& offer);

/// What a publisher's offer sends in its first audio or video section, as
/// the SFU's answer accepts it.
struct offered_stream {
  std::string kind;  // "audio" | "video"
  std::string codec;  // the one answered: "VP8" | "opus"
  uint32_t clock_rate = 0;
  uint32_t ssrc = 0;  // 0 where the offer names its streams by rid, or not at all
  /// Simulcast layers (RFC 8853) by rid, lowest quality first (see
  /// simulcast_order); empty without simulcast.
  std::vector<std::string> rids;
  uint8_t rid_extension = 0;  // extmap id of rtp-stream-id (RFC 8852); 0: none
  /// extmap id of the client-to-mixer audio level (RFC 6464) on an audio
  /// section; 0: none. Our answer keeps it, so the client writes it.
  uint8_t audio_level_extension = 0;
  /// Simulcast layers by SSRC (a=ssrc-group:SIM, lowest first, as libwebrtc
  /// writes it); empty without.
  std::vector<uint32_t> layer_ssrcs;
};
/// What section `m` sends; nullopt unless it sends audio or video the SFU
/// can take.
std::optional<offered_stream> offered_stream_of(const sdp_media& m);
/// nullopt if no section sends audio or video the SFU can take.
std::optional<offered_stream> first_offered_stream(const session_description& offer);

/// The rids of `a=simulcast:send`, lowest quality first. RFC 8853 orders
/// them by preference, which senders use differently, so the two common
/// namings are recognised: q < h < f (quarter, half, full: Chrome's and
/// our pages'), and l < m < h (low, medium, high); any other naming is
/// taken as listed, lowest first, which is how sendEncodings are written.
std::vector<std::string> simulcast_order(const sdp_media& m);

} // namespace lamplight::media
