#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "media/sdp.hpp"
#include "media/session_endpoint.hpp"
#include "protocol/errc.hpp"

namespace lamplight::media {

/// A participant's subscribe session on lamplight's SFU: every track it
/// watches on one connection (one ICE/DTLS transport, BUNDLE, RFC 9143),
/// renegotiated as tracks come and go. The SFU is always this session's
/// offerer and the client always its answerer (RFC 8829), so the two never
/// offer at once (no glare); the client's publish session is the mirror
/// image. Pure: it writes offers and reads answers; whoever owns the
/// session programs the forwarder from what an answer accepted.
///
/// Sections: one m= section per watched track, sendonly, with the SSRC the
/// SFU sends it as (the client demultiplexes by SSRC: the offer carries no
/// header extensions, since the forwarder passes the publishers' own
/// through and their ids differ between publishers). A track no longer
/// watched leaves its section inactive, still bundled, and the next track
/// of the same kind takes it over (same mid, its own SSRC and msid: the
/// client sees a new remote track on that transceiver). Sections therefore
/// never outnumber the most tracks watched at once, and the transport never
/// loses its last bundled section.
class subscribe_session {
public:
  using endpoint = session_endpoint;

  struct track {
    std::string track_id;
    std::string kind;   // "audio" | "video"
    std::string owner;  // who publishes it: its stream id (msid), so the client groups an owner's tracks
    uint32_t ssrc = 0;  // what the SFU sends it as, on this session
  };

  /// RFC 8829's signaling states, from the offerer's side.
  enum class signaling : uint8_t { stable, have_local_offer };

  using remote = session_remote;

  struct answered {
    std::vector<std::string> accepted;  // track ids the client now receives
    std::vector<std::string> refused;   // offered, but answered inactive or port 0
    remote client;
    bool first = false;  // the session's first answer: the transport starts
  };

  /// `session_id`: the o= line's (RFC 8866 section 5.2), chosen by the
  /// caller (random in production, fixed in tests).
  subscribe_session(endpoint ours, uint64_t session_id);

  /// The track goes into the next offer. already_exists if it is watched;
  /// bad_request for a kind other than audio or video.
  protocol::error add(track t);
  /// The track leaves with the next offer. not_found if it is not watched.
  protocol::error remove(const std::string& track_id);
  bool watches(const std::string& track_id) const;

  /// Whether the tracks differ from what the last answer settled: an
  /// offer is due (once the one in flight, if any, is answered).
  bool pending() const { return changed_; }
  signaling state() const { return state_; }

  /// The next offer (SDP). wrong_state while one waits for its answer;
  /// the changes made meanwhile go into the offer after it.
  protocol::result<std::string> offer();
  /// The client's answer to the offer in flight. wrong_state if there is
  /// none; bad_request (and the session back to stable, with its changes
  /// still pending) if the answer does not match the offer: other
  /// sections or mids, a section answered other than recvonly or inactive,
  /// DTLS not active, missing or changed ICE credentials or fingerprint.
  protocol::result<answered> answer(const std::string& sdp);

  /// The mid of a watched track's section; nullopt if not watched.
  std::optional<std::string> mid_of(const std::string& track_id) const;
  /// Where the client reaches us: what every offer of the session names.
  const endpoint& ours() const { return ours_; }
  /// Sections in the session (watched and inactive).
  std::size_t sections() const { return sections_.size(); }

private:
  struct section {
    std::string mid;
    std::string kind;
    std::optional<track> current;  // empty: inactive
  };

  sdp_media write_section(const section& s) const;

  endpoint ours_;
  uint64_t session_id_;
  uint64_t version_ = 0;  // the o= line's, one more for every offer
  std::vector<section> sections_;
  /// The sections as the offer in flight wrote them (to read its answer).
  std::vector<section> offered_;
  signaling state_ = signaling::stable;
  bool changed_ = false;
  uint32_t next_mid_ = 0;
  std::optional<remote> client_;
};

const char* to_string(subscribe_session::signaling x);

} // namespace lamplight::media
