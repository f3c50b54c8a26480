#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "media/sdp.hpp"

namespace lamplight::media {

/// What a lamp offers for one media leg: a single audio (Opus) or video
/// (VP8) section, sendonly with its SSRC (publishing) or recvonly
/// (subscribing), the way Chromium writes it (RFC 8829): BUNDLE, rtcp-mux,
/// rtcp-rsize, DTLS actpass, the mid extension, nack/pli/fir/remb feedback.
struct offer_params {
  std::string kind;  // "audio" | "video"
  bool send = true;  // sendonly with `ssrc`, else recvonly
  uint32_t ssrc = 0;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // "sha-256 AB:..."
  std::string cname = "lamp";
  std::string stream_id = "lamp";
  std::string track_id = "track";
  /// Also offer data channels (RFC 8841), in the same BUNDLE.
  bool data_channel = false;
};

/// The payload types the offer uses: Chromium's, so that what a lamp and a
/// browser publish can be forwarded to either unchanged.
inline constexpr uint8_t vp8_payload_type = 96;
inline constexpr uint8_t opus_payload_type = 111;

/// The one codec lamplight offers for `kind` ("video": VP8 with nack, pli,
/// fir and remb feedback; otherwise Opus), at the payload types above.
sdp_codec offered_codec(const std::string& kind);

session_description make_offer(const offer_params& p);

/// One section of a lamp's publish session offer: "audio" or "video" (its
/// direction: sendonly with `ssrc` while it publishes, inactive once it
/// stopped, since RFC 8829 keeps sections for good) or "application" (the
/// data channels).
struct offered_section {
  std::string mid;
  std::string kind;
  sdp_direction direction = sdp_direction::sendonly;
  uint32_t ssrc = 0;
  std::string track_id;  // the msid's track part
};

/// A lamp's publish session offer: `sections` in order, each written as
/// make_offer writes its one, all on `p`'s transport (BUNDLE; `p.kind`,
/// the send fields and `p.data_channel` are not used).
session_description make_session_offer(const std::vector<offered_section>& sections,
                                       const offer_params& p);

/// A lamp's answer to a server's offer for a subscription (Janus's VideoRoom
/// offers to subscribers, RFC 8829 section 5.3): the first offered section
/// of `p.kind` that sends VP8 or Opus is taken recvonly, with the offer's own
/// payload type and mid, DTLS active (we stay the DTLS client); every other
/// section is rejected (port 0). bad_request if nothing can be taken.
protocol::result<session_description> make_answer_to(const session_description& offer,
                                                     const offer_params& p);

/// A lamp's answer to the SFU's offer for its subscribe session
/// (subscribe_session.hpp): every section that sends VP8 or Opus is taken
/// recvonly, with the offer's payload type and mid, DTLS active, all on the
/// one transport of `p` (its ICE credentials and fingerprint; `p.kind` and
/// the send fields are not used); inactive sections are answered inactive
/// and rejected ones rejected. bad_request if the offer has no BUNDLE.
protocol::result<session_description> make_session_answer(const session_description& offer,
                                                          const offer_params& p);

/// Where an answer says to send: its first IPv4 candidate, its ICE
/// credentials and its certificate's fingerprint.
struct answer_endpoint {
  std::string ip;
  uint16_t port = 0;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;
  std::string setup;  // the section's a=setup (active | passive | actpass)
  /// The accepted section's audio level extension id (RFC 6464); 0: the
  /// answer did not keep it, so it must not be sent.
  uint8_t audio_level_extension = 0;
};

/// bad_request unless the answer has an accepted section with all of it.
protocol::result<answer_endpoint> read_answer(const std::string& sdp);

} // namespace lamplight::media
