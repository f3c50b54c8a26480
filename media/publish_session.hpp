#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "media/sdp_answer.hpp"
#include "media/session_endpoint.hpp"
#include "protocol/errc.hpp"

namespace lamplight::media {

/// A participant's publish session on lamplight's SFU: every track it
/// sends (cameras, microphone) and its data channels on one connection
/// (one ICE/DTLS transport, BUNDLE), the client always the offerer (RFC
/// 8829), the SFU always the answerer: the mirror image of its subscribe
/// session, so the two never offer at once. Adding a track, removing one
/// or switching the face camera for the desk camera is the client's
/// renegotiation of this same connection. Pure: it reads each offer, writes
/// the answer and says what changed, section by section (a section's mid
/// is its track's identity on the session); whoever owns the session
/// programs the forwarder from that.
class publish_session {
public:
  struct track {
    std::string mid;
    offered_stream stream;  // kind, codec, SSRC or simulcast layers
  };

  struct negotiated {
    std::string answer;  // SDP
    std::vector<track> added;         // sections that send now and did not
    std::vector<track> changed;       // still sending, with other streams or codec
    std::vector<std::string> removed;  // mids that stopped sending
    session_remote client;
    bool first = false;          // the session's first offer: the transport starts
    bool data_channels = false;  // the offer has a data channel section (accepted)
  };

  publish_session(session_endpoint ours, bool accept_data_channels);

  /// The client's offer (first or renegotiation) and our answer to it.
  /// bad_request, and nothing changed, for an offer that is not SDP,
  /// lacks BUNDLE, rtcp-mux or a fingerprint, drops or reorders sections
  /// an earlier offer had (RFC 8829 keeps m= sections for good), or
  /// changes the client's ICE credentials or certificate (an ICE restart
  /// is a new session).
  protocol::result<negotiated> offer(const std::string& sdp);

  /// Whether `sdp` comes from another connection than the session's (other
  /// ICE credentials or certificate): a new session, not an offer of this
  /// one. False before the first offer, and for what is not SDP.
  bool other_connection(const std::string& sdp) const;

  const session_endpoint& ours() const { return ours_; }

  /// What each sending section publishes now, by mid.
  const std::map<std::string, track>& tracks() const { return tracks_; }

private:
  session_endpoint ours_;
  bool accept_data_channels_;
  std::vector<std::string> mids_;  // every section so far, in order
  std::map<std::string, track> tracks_;
  std::optional<session_remote> client_;
};

} // namespace lamplight::media
