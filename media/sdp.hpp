#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/errc.hpp"

namespace lamplight::media {

/// The subset of SDP (RFC 8866) that WebRTC offer/answer uses: Unified Plan
/// (one m= section per track, RFC 8829), BUNDLE (RFC 9143), rtcp-mux
/// (RFC 5761), ICE (RFC 8839), DTLS fingerprints (RFC 8122), header
/// extensions (RFC 8285), rtcp-fb (RFC 4585), ssrc (RFC 5576), msid
/// (RFC 8830), rid/simulcast (RFC 8851/8853) and SCTP (RFC 8841).
/// Attributes it does not model are kept, in order, and written back.

enum class sdp_direction : uint8_t { sendrecv, sendonly, recvonly, inactive };
const char* to_string(sdp_direction x);

struct sdp_codec {
  uint8_t payload_type = 0;
  std::string name;  // "VP8", "opus", "rtx"...
  uint32_t clock_rate = 0;
  uint8_t channels = 0;  // 0: not given
  std::string fmtp;      // parameters as written after "a=fmtp:<pt> "
  std::vector<std::string> rtcp_fb;  // "nack", "nack pli", "goog-remb"...
};

/// The client-to-mixer audio level header extension (RFC 6464).
inline constexpr const char* audio_level_uri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

struct sdp_extmap {
  uint8_t id = 0;
  std::string uri;
};

struct sdp_ssrc {
  uint32_t ssrc = 0;
  std::string attribute;  // "cname", "msid"...
  std::string value;
};

struct sdp_ssrc_group {
  std::string semantics;  // "FID", "SIM"
  std::vector<uint32_t> ssrcs;
};

struct sdp_rid {
  std::string id;
  std::string direction;  // "send" | "recv"
  std::string params;
};

struct sdp_media {
  std::string kind;  // audio | video | application
  uint16_t port = 9;
  std::string protocol;  // "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP"
  std::vector<std::string> formats;
  std::string connection = "IN IP4 0.0.0.0";
  std::string mid;
  sdp_direction direction = sdp_direction::sendrecv;
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // "sha-256 AB:CD:..."
  std::string setup;        // actpass | active | passive
  std::vector<sdp_codec> codecs;
  std::vector<sdp_extmap> extmaps;
  std::string msid;
  std::vector<sdp_ssrc> ssrcs;
  std::vector<sdp_ssrc_group> ssrc_groups;
  std::vector<sdp_rid> rids;
  std::string simulcast;  // the value after "a=simulcast:"
  std::vector<std::string> candidates;  // values after "a=candidate:"
  bool end_of_candidates = false;
  uint16_t sctp_port = 0;
  uint32_t max_message_size = 0;
  std::vector<std::string> other;  // other attribute lines, without "a="

  const sdp_codec* codec(uint8_t pt) const;
  const sdp_codec* codec(std::string_view name) const;  // first, case-insensitive
  int extmap_id(std::string_view uri) const;            // 0 if absent
};

struct session_description {
  std::string origin = "- 0 0 IN IP4 127.0.0.1";  // after "o="
  std::string session_name = "-";
  std::vector<std::string> bundle;  // mids of a=group:BUNDLE
  bool ice_lite = false;
  bool extmap_allow_mixed = false;
  std::string msid_semantic;  // after "a=msid-semantic:"
  std::vector<std::string> other;
  std::vector<sdp_media> media;

  const sdp_media* find_mid(std::string_view mid) const;
};

/// Largest SDP accepted (a 200-track offer is far below this).
inline constexpr std::size_t max_sdp_bytes = 256 * 1024;

/// Parses an offer or answer. Session-level ice-ufrag/ice-pwd/fingerprint/
/// setup are copied into media sections that lack them. Errors
/// (bad_request) name the line.
protocol::result<session_description> parse_sdp(std::string_view text);

/// Writes it back, CRLF line ends, attributes in the usual order.
std::string write_sdp(const session_description& sdp);

} // namespace lamplight::media
