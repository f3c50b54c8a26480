#include "media/sdp_offer.hpp"

#include <sstream>

namespace lamplight::media {

using protocol::errc;

namespace {

/// A receiving section of an answer to offered section `o`: `codec` (one
/// of its own) received with `dir`, DTLS active, on `p`'s transport.
sdp_media receiving_section(const sdp_media& o, const sdp_codec& codec, sdp_direction dir,
                            const offer_params& p) {
  sdp_media m;
  m.kind = o.kind;
  m.protocol = o.protocol;
  m.mid = o.mid;
  m.direction = dir;
  m.rtcp_mux = true;
  m.rtcp_rsize = o.rtcp_rsize;
  m.ice_ufrag = p.ice_ufrag;
  m.ice_pwd = p.ice_pwd;
  m.fingerprint = p.fingerprint;
  m.setup = "active";
  m.formats = {std::to_string(codec.payload_type)};
  m.codecs.push_back(codec);
  return m;
}

/// RFC 8829 section 5.3.1: a rejected section keeps its kind and protocol,
/// with port 0 and no attributes to speak of.
sdp_media rejected_section(const sdp_media& o) {
  sdp_media m;
  m.kind = o.kind;
  m.protocol = o.protocol;
  m.mid = o.mid;
  m.formats = o.formats;
  m.port = 0;
  m.direction = sdp_direction::inactive;
  return m;
}

} // namespace

sdp_codec offered_codec(const std::string& kind) {
  if (kind == "video")
    return {vp8_payload_type, "VP8", 90000, 0, "", {"goog-remb", "ccm fir", "nack", "nack pli"}};
  return {opus_payload_type, "opus", 48000, 2, "minptime=10;useinbandfec=1", {}};
}

session_description make_offer(const offer_params& p) {
  std::vector<offered_section> sections{
    {"0", p.kind, p.send ? sdp_direction::sendonly : sdp_direction::recvonly, p.ssrc, p.track_id}};
  if (p.data_channel)
    sections.push_back({"1", "application", sdp_direction::sendrecv, 0, ""});
  return make_session_offer(sections, p);
}

session_description make_session_offer(const std::vector<offered_section>& sections,
                                       const offer_params& p) {
  session_description s;
  s.extmap_allow_mixed = true;
  s.msid_semantic = "WMS " + p.stream_id;
  for (const auto& x : sections) {
    sdp_media m;
    m.mid = x.mid;
    m.ice_ufrag = p.ice_ufrag;
    m.ice_pwd = p.ice_pwd;
    m.fingerprint = p.fingerprint;
    m.setup = "actpass";
    s.bundle.push_back(m.mid);
    if (x.kind == "application") {
      m.kind = "application";
      m.protocol = "UDP/DTLS/SCTP";
      m.formats = {"webrtc-datachannel"};
      m.sctp_port = 5000;
      m.max_message_size = 256 * 1024;
      s.media.push_back(std::move(m));
      continue;
    }
    m.kind = x.kind;
    m.protocol = "UDP/TLS/RTP/SAVPF";
    m.direction = x.direction;
    m.rtcp_mux = true;
    m.rtcp_rsize = true;
    m.extmaps.push_back({4, "urn:ietf:params:rtp-hdrext:sdes:mid"});
    if (x.kind == "audio")
      m.extmaps.push_back({1, audio_level_uri});  // Chromium's id
    sdp_codec c = offered_codec(x.kind);
    m.formats = {std::to_string(c.payload_type)};
    m.codecs.push_back(std::move(c));
    if (x.direction == sdp_direction::sendonly || x.direction == sdp_direction::sendrecv) {
      m.msid = p.stream_id + " " + x.track_id;
      m.ssrcs.push_back({x.ssrc, "cname", p.cname});
      m.ssrcs.push_back({x.ssrc, "msid", m.msid});
    }
    s.media.push_back(std::move(m));
  }
  return s;
}

protocol::result<session_description> make_answer_to(const session_description& offer,
                                                     const offer_params& p) {
  session_description s;
  s.extmap_allow_mixed = offer.extmap_allow_mixed;
  s.msid_semantic = "WMS";
  const char* wanted = p.kind == "video" ? "VP8" : "opus";
  bool taken = false;
  for (const auto& o : offer.media) {
    const sdp_codec* codec = o.codec(wanted);
    bool sends = o.direction == sdp_direction::sendonly || o.direction == sdp_direction::sendrecv;
    if (taken || o.port == 0 || o.kind != p.kind || !codec || !sends) {
      s.media.push_back(rejected_section(o));
      continue;
    }
    taken = true;
    auto m = receiving_section(o, *codec, sdp_direction::recvonly, p);
    // Only the extensions the offer has and the receiver reads.
    for (const auto& e : o.extmaps)
      if (e.uri == "urn:ietf:params:rtp-hdrext:sdes:mid")
        m.extmaps.push_back(e);
    s.bundle.push_back(m.mid);
    s.media.push_back(std::move(m));
  }
  if (!taken)
    return protocol::error{errc::bad_request,
                           "the offer sends no " + std::string(wanted) + " " + p.kind};
  return s;
}

protocol::result<session_description> make_session_answer(const session_description& offer,
                                                          const offer_params& p) {
  if (offer.bundle.empty())
    return protocol::error{errc::bad_request, "a session offer without BUNDLE"};
  session_description s;
  s.extmap_allow_mixed = offer.extmap_allow_mixed;
  s.msid_semantic = "WMS";
  for (const auto& o : offer.media) {
    const sdp_codec* codec = o.codec(o.kind == "video" ? "VP8" : "opus");
    if (o.port == 0 || !codec) {
      s.media.push_back(rejected_section(o));
      continue;
    }
    bool sends = o.direction == sdp_direction::sendonly || o.direction == sdp_direction::sendrecv;
    auto m = receiving_section(o, *codec,
                               sends ? sdp_direction::recvonly : sdp_direction::inactive, p);
    s.bundle.push_back(m.mid);
    s.media.push_back(std::move(m));
  }
  return s;
}

protocol::result<answer_endpoint> read_answer(const std::string& sdp) {
  auto parsed = parse_sdp(sdp);
  if (!parsed)
    return parsed.err();
  for (const auto& m : parsed->media) {
    if (m.port == 0)
      continue;
    answer_endpoint e{"", 0, m.ice_ufrag, m.ice_pwd, m.fingerprint, m.setup, 0};
    if (m.kind == "audio")
      e.audio_level_extension = static_cast<uint8_t>(m.extmap_id(audio_level_uri));
    for (const auto& c : m.candidates) {
      // RFC 8839 section 5.1: foundation component transport priority
      // address port "typ" type ...
      std::istringstream in(c);
      std::string foundation, component, transport, priority, ip, typ, type;
      unsigned port = 0;
      if (in >> foundation >> component >> transport >> priority >> ip >> port >> typ >> type
          && typ == "typ" && port > 0 && port < 65536
          // Lamps speak IPv4; a server may list IPv6 candidates first.
          && ip.find(':') == std::string::npos) {
        e.ip = ip;
        e.port = static_cast<uint16_t>(port);
        break;
      }
    }
    if (e.ip.empty() || e.ice_ufrag.empty() || e.ice_pwd.empty() || e.fingerprint.empty())
      return protocol::error{errc::bad_request,
                             "answer section " + m.mid + " lacks a candidate, ICE credentials or a fingerprint"};
    return e;
  }
  return protocol::error{errc::bad_request, "answer accepts no section"};
}

} // namespace lamplight::media
