#include "media/subscribe_session.hpp"

#include "media/sdp_offer.hpp"

namespace lamplight::media {

using protocol::errc;

const char* to_string(subscribe_session::signaling x) {
  switch (x) {
    case subscribe_session::signaling::stable: return "stable";
    case subscribe_session::signaling::have_local_offer: return "have-local-offer";
  }
  return "?";
}

subscribe_session::subscribe_session(endpoint ours, uint64_t session_id)
  : ours_(std::move(ours)), session_id_(session_id) {}

protocol::error subscribe_session::add(track t) {
  if (t.kind != "audio" && t.kind != "video")
    return {errc::bad_request, "a session carries audio or video, not " + t.kind};
  if (watches(t.track_id))
    return {errc::already_exists, "track " + t.track_id + " is watched already"};
  changed_ = true;
  for (auto& s : sections_)
    if (!s.current && s.kind == t.kind) {
      s.current = std::move(t);
      return {};
    }
  sections_.push_back({std::to_string(next_mid_++), t.kind, std::move(t)});
  return {};
}

protocol::error subscribe_session::remove(const std::string& track_id) {
  for (auto& s : sections_)
    if (s.current && s.current->track_id == track_id) {
      s.current.reset();
      changed_ = true;
      return {};
    }
  return {errc::not_found, "track " + track_id + " is not watched"};
}

bool subscribe_session::watches(const std::string& track_id) const {
  return mid_of(track_id).has_value();
}

std::optional<std::string> subscribe_session::mid_of(const std::string& track_id) const {
  for (const auto& s : sections_)
    if (s.current && s.current->track_id == track_id)
      return s.mid;
  return std::nullopt;
}

sdp_media subscribe_session::write_section(const section& s) const {
  sdp_media m;
  m.kind = s.kind;
  m.protocol = "UDP/TLS/RTP/SAVPF";
  m.mid = s.mid;
  m.rtcp_mux = true;
  m.rtcp_rsize = true;
  m.ice_ufrag = ours_.ice_ufrag;
  m.ice_pwd = ours_.ice_pwd;
  m.fingerprint = ours_.fingerprint;
  // The client chooses: browsers and lamps answer active, and the SFU
  // stays the DTLS server of all its connections.
  m.setup = "actpass";
  sdp_codec c = offered_codec(s.kind);
  m.formats = {std::to_string(c.payload_type)};
  m.codecs.push_back(std::move(c));
  m.candidates.push_back("1 1 udp 2130706431 " + ours_.candidate_ip + " "
                         + std::to_string(ours_.candidate_port) + " typ host");
  m.end_of_candidates = true;
  if (!s.current) {
    m.direction = sdp_direction::inactive;
    return m;
  }
  const auto& t = *s.current;
  m.direction = sdp_direction::sendonly;
  m.msid = t.owner + " " + t.track_id;
  m.ssrcs.push_back({t.ssrc, "cname", "lamplight"});
  m.ssrcs.push_back({t.ssrc, "msid", m.msid});
  return m;
}

protocol::result<std::string> subscribe_session::offer() {
  if (state_ == signaling::have_local_offer)
    return protocol::error{errc::wrong_state, "an offer waits for its answer"};
  if (sections_.empty())
    return protocol::error{errc::wrong_state, "the session watches nothing yet"};
  session_description sdp;
  sdp.origin = "- " + std::to_string(session_id_) + " " + std::to_string(++version_)
               + " IN IP4 127.0.0.1";
  sdp.ice_lite = true;
  sdp.msid_semantic = "WMS *";
  for (const auto& s : sections_) {
    sdp.bundle.push_back(s.mid);
    sdp.media.push_back(write_section(s));
  }
  offered_ = sections_;
  state_ = signaling::have_local_offer;
  changed_ = false;
  return write_sdp(sdp);
}

protocol::result<subscribe_session::answered> subscribe_session::answer(const std::string& sdp) {
  if (state_ != signaling::have_local_offer)
    return protocol::error{errc::wrong_state, "no offer waits for an answer"};
  // Whatever the answer, the offer is settled: a bad one leaves the
  // session as the last good answer left it, its changes still due.
  state_ = signaling::stable;
  auto refuse = [&](std::string why) -> protocol::result<answered> {
    changed_ = true;
    return protocol::error{errc::bad_request, std::move(why)};
  };
  auto parsed = parse_sdp(sdp);
  if (!parsed)
    return refuse(parsed.err().message);
  if (parsed->media.size() != offered_.size())
    return refuse("the answer has " + std::to_string(parsed->media.size()) + " sections, the offer "
                  + std::to_string(offered_.size()));
  answered out;
  std::optional<remote> seen;
  for (std::size_t i = 0; i < offered_.size(); ++i) {
    const auto& o = offered_[i];
    const auto& a = parsed->media[i];
    if (a.kind != o.kind || (a.port != 0 && a.mid != o.mid))
      return refuse("answer section " + std::to_string(i) + " is not the offer's (mid " + o.mid + ")");
    bool accepted = a.port != 0 && a.direction == sdp_direction::recvonly;
    if (a.port != 0 && !accepted && a.direction != sdp_direction::inactive)
      return refuse("answer section " + o.mid + " must be recvonly or inactive, not "
                    + to_string(a.direction));
    if (a.port != 0) {
      if (a.setup != "active")
        return refuse("answer section " + o.mid + ": the client must be the DTLS client (setup active)");
      if (a.ice_ufrag.empty() || a.ice_pwd.empty() || a.fingerprint.empty())
        return refuse("answer section " + o.mid + " lacks ICE credentials or a fingerprint");
      remote r{a.ice_ufrag, a.ice_pwd, a.fingerprint};
      if (!seen)
        seen = r;
      else if (r.ice_ufrag != seen->ice_ufrag || r.fingerprint != seen->fingerprint)
        return refuse("the answer's sections do not share one transport (BUNDLE)");
    }
    if (!o.current)
      continue;
    // Only what is still watched: a track removed since the offer is
    // neither received nor refused, the next offer takes it away.
    auto mid = mid_of(o.current->track_id);
    if (!mid || *mid != o.mid)
      continue;
    (accepted ? out.accepted : out.refused).push_back(o.current->track_id);
  }
  if (!seen)
    return refuse("the answer accepts no section");
  if (client_ && *seen != *client_)
    return refuse("the answer changes the client's ICE credentials or certificate (an ICE "
                  "restart is a new session)");
  out.first = !client_;
  client_ = *seen;
  out.client = *seen;
  return out;
}

} // namespace lamplight::media
