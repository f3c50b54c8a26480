#include "media/sdp_answer.hpp"

#include <algorithm>


namespace lamplight::media {

namespace {

using protocol::errc;

constexpr const char* kept_extensions[] = {
  "urn:ietf:params:rtp-hdrext:sdes:mid",
  "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
  "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
  "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
  audio_level_uri,
};

const sdp_codec* pick_codec(const sdp_media& m) {
  return m.kind == "video" ? m.codec("VP8") : m.kind == "audio" ? m.codec("opus") : nullptr;
}

sdp_direction answer_direction(sdp_direction offered) {
  switch (offered) {
    case sdp_direction::sendonly: return sdp_direction::recvonly;
    case sdp_direction::recvonly: return sdp_direction::sendonly;
    case sdp_direction::sendrecv: return sdp_direction::sendrecv;
    case sdp_direction::inactive: return sdp_direction::inactive;
  }
  return sdp_direction::inactive;
}

void add_candidate(sdp_media& a, const answer_params& params) {
  a.candidates.push_back("1 1 udp 2130706431 " + params.candidate_ip + " "
                         + std::to_string(params.candidate_port) + " typ host");
  a.end_of_candidates = true;
}

} // namespace

bool is_data_channel_section(const sdp_media& m) {
  return m.kind == "application" && m.protocol.find("SCTP") != std::string::npos
         && std::find(m.formats.begin(), m.formats.end(), "webrtc-datachannel") != m.formats.end();
}

bool offers_data_channels(const session_description& offer) {
  for (const auto& m : offer.media)
    if (m.port != 0 && is_data_channel_section(m))
      return true;
  return false;
}

std::vector<uint32_t> offered_ssrcs(const session_description& offer) {
  std::vector<uint32_t> out;
  for (const auto& m : offer.media) {
    uint32_t ssrc = 0;
    for (const auto& g : m.ssrc_groups)
      if (g.semantics == "FID" && !g.ssrcs.empty())
        ssrc = g.ssrcs.front();
    if (ssrc == 0 && !m.ssrcs.empty())
      ssrc = m.ssrcs.front().ssrc;
    out.push_back(ssrc);
  }
  return out;
}

protocol::result<session_description> make_answer(const session_description& offer,
                                                  const answer_params& params) {
  if (offer.bundle.empty())
    return protocol::error{errc::bad_request, "offer without BUNDLE"};
  session_description answer;
  answer.origin = "- 1 1 IN IP4 " + params.candidate_ip;
  answer.ice_lite = true;
  answer.extmap_allow_mixed = offer.extmap_allow_mixed;
  answer.msid_semantic = offer.msid_semantic.empty() ? "" : "WMS *";
  std::size_t send_index = 0;
  for (const auto& m : offer.media) {
    sdp_media a;
    a.kind = m.kind;
    a.protocol = m.protocol;
    a.mid = m.mid;
    a.connection = "IN IP4 " + params.candidate_ip;
    bool data = m.kind == "application";
    const sdp_codec* codec = pick_codec(m);
    // An inactive section (a client's stopped sender, still bundled) is
    // answered inactive, not rejected: rejecting the section that tags
    // the BUNDLE group would take the transport away from the others.
    bool usable = m.port != 0
                  && (data ? params.data_channels && is_data_channel_section(m) : codec != nullptr);
    if (!usable) {
      // Rejected (RFC 8866 section 5.14): port 0, the offer's formats.
      a.port = 0;
      a.formats = m.formats;
      a.direction = sdp_direction::inactive;
      answer.media.push_back(std::move(a));
      continue;
    }
    if (m.fingerprint.empty() || (!data && !m.rtcp_mux))
      return protocol::error{errc::bad_request,
                             "section " + m.mid + " lacks a DTLS fingerprint or rtcp-mux"};
    a.port = 9;
    a.ice_ufrag = params.ice_ufrag;
    a.ice_pwd = params.ice_pwd;
    a.fingerprint = params.fingerprint;
    a.setup = "passive";
    if (data) {
      // RFC 8841: our SCTP port and the largest message we take.
      a.formats = m.formats;
      a.sctp_port = 5000;
      a.max_message_size = data_channel_max_message;
      add_candidate(a, params);
      answer.bundle.push_back(a.mid);
      answer.media.push_back(std::move(a));
      continue;
    }
    a.formats = {std::to_string(codec->payload_type)};
    a.direction = answer_direction(m.direction);
    a.rtcp_mux = true;
    a.rtcp_rsize = m.rtcp_rsize;
    sdp_codec c = *codec;
    std::vector<std::string> fb;
    for (const auto& f : codec->rtcp_fb)
      if (f == "nack" || f == "nack pli" || f == "ccm fir" || f == "goog-remb")
        fb.push_back(f);
    c.rtcp_fb = std::move(fb);
    a.codecs.push_back(std::move(c));
    for (const auto& e : m.extmaps)
      for (const char* uri : kept_extensions)
        if (e.uri == uri)
          a.extmaps.push_back(e);
    for (const auto& r : m.rids)
      if (r.direction == "send")
        a.rids.push_back({r.id, "recv", ""});
    if (!m.simulcast.empty() && m.simulcast.rfind("send ", 0) == 0)
      a.simulcast = "recv " + m.simulcast.substr(5);
    if (a.direction == sdp_direction::sendonly || a.direction == sdp_direction::sendrecv) {
      if (send_index < params.send.size()) {
        const auto& o = params.send[send_index++];
        a.msid = o.stream_id + " " + o.track_id;
        a.ssrcs.push_back({o.ssrc, "cname", o.cname});
        a.ssrcs.push_back({o.ssrc, "msid", a.msid});
      }
    }
    add_candidate(a, params);
    answer.bundle.push_back(a.mid);
    answer.media.push_back(std::move(a));
  }
  if (answer.bundle.empty())
    return protocol::error{errc::bad_request, "nothing in the offer that the SFU can serve"};
  return answer;
}

std::vector<std::string> simulcast_order(const sdp_media& m) {
  std::vector<std::string> rids;
  if (m.simulcast.rfind("send ", 0) != 0)
    return rids;
  // "send h;m;l" or "send q;h;f"; alternatives ("1,2") take their first,
  // paused ones ("~x") are still layers.
  auto list = m.simulcast.substr(5);
  list = list.substr(0, list.find(' '));
  std::size_t at = 0;
  while (at <= list.size()) {
    auto end = std::min(list.find(';', at), list.size());
    auto alt = list.substr(at, end - at);
    alt = alt.substr(0, alt.find(','));
    if (!alt.empty() && alt[0] == '~')
      alt.erase(0, 1);
    if (!alt.empty())
      rids.push_back(alt);
    at = end + 1;
  }
  auto has = [&](const char* r) { return std::find(rids.begin(), rids.end(), r) != rids.end(); };
  const char* qhf[] = {"q", "h", "f"};
  const char* lmh[] = {"l", "m", "h"};
  const char* const* names = has("q") || has("f") ? qhf : has("l") || has("m") ? lmh : nullptr;
  if (names) {
    auto rank = [&](const std::string& r) {
      for (int i = 0; i < 3; ++i)
        if (r == names[i])
          return i;
      return 3;
    };
    std::stable_sort(rids.begin(), rids.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  }
  return rids;
}

std::optional<offered_stream> first_offered_stream(const session_description& offer) {
  for (const auto& m : offer.media)
    if (auto s = offered_stream_of(m))
      return s;
  return std::nullopt;
}

std::optional<offered_stream> offered_stream_of(const sdp_media& m) {
  const sdp_codec* codec = pick_codec(m);
  bool sends = m.direction == sdp_direction::sendonly || m.direction == sdp_direction::sendrecv;
  if (m.port == 0 || !codec || !sends)
    return std::nullopt;
  offered_stream s;
  s.kind = m.kind;
  s.codec = codec->name;
  s.clock_rate = codec->clock_rate;
  for (const auto& g : m.ssrc_groups) {
    if (g.semantics == "FID" && !g.ssrcs.empty() && s.ssrc == 0)
      s.ssrc = g.ssrcs.front();
    if (g.semantics == "SIM")
      s.layer_ssrcs = g.ssrcs;
  }
  if (!s.layer_ssrcs.empty())
    s.ssrc = s.layer_ssrcs.front();
  if (s.ssrc == 0 && !m.ssrcs.empty())
    s.ssrc = m.ssrcs.front().ssrc;
  s.rids = simulcast_order(m);
  for (const auto& e : m.extmaps)
    if (e.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
      s.rid_extension = e.id;
    else if (e.uri == audio_level_uri && m.kind == "audio")
      s.audio_level_extension = e.id;
  return s;
}

} // namespace lamplight::media
