#include "media/sdp.hpp"

#include <cctype>
#include <optional>
#include <sstream>

namespace lamplight::media {

namespace {

using protocol::errc;

std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max)
      return std::nullopt;
  }
  return v;
}

/// Splits at the first `sep`: ("a", "b") for "a<sep>b", (s, "") otherwise.
std::pair<std::string_view, std::string_view> split_once(std::string_view s, char sep) {
  auto i = s.find(sep);
  if (i == std::string_view::npos)
    return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    auto start = i;
    while (i < s.size() && s[i] != ' ')
      ++i;
    if (i > start)
      out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

protocol::error bad(std::size_t line_no, const std::string& why) {
  return {errc::bad_request, "SDP line " + std::to_string(line_no) + ": " + why};
}

sdp_codec& codec_for(sdp_media& m, uint8_t pt) {
  for (auto& c : m.codecs)
    if (c.payload_type == pt)
      return c;
  m.codecs.push_back(sdp_codec{});
  m.codecs.back().payload_type = pt;
  return m.codecs.back();
}

/// One media-level attribute; false if malformed.
bool media_attribute(sdp_media& m, std::string_view name, std::string_view value,
                     std::string_view line) {
  if (name == "mid") {
    m.mid = std::string(value);
  } else if (name == "sendrecv" || name == "sendonly" || name == "recvonly"
             || name == "inactive") {
    m.direction = name == "sendrecv"   ? sdp_direction::sendrecv
                  : name == "sendonly" ? sdp_direction::sendonly
                  : name == "recvonly" ? sdp_direction::recvonly
                                       : sdp_direction::inactive;
  } else if (name == "rtcp-mux") {
    m.rtcp_mux = true;
  } else if (name == "rtcp-rsize") {
    m.rtcp_rsize = true;
  } else if (name == "ice-ufrag") {
    m.ice_ufrag = std::string(value);
  } else if (name == "ice-pwd") {
    m.ice_pwd = std::string(value);
  } else if (name == "fingerprint") {
    m.fingerprint = std::string(value);
  } else if (name == "setup") {
    m.setup = std::string(value);
  } else if (name == "rtpmap") {
    auto [pt, rest] = split_once(value, ' ');
    auto n = parse_uint(pt, 127);
    auto parts = words(rest);
    if (!n || parts.size() != 1)
      return false;
    auto& c = codec_for(m, static_cast<uint8_t>(*n));
    auto [codec_name, clock] = split_once(parts[0], '/');
    auto [rate, channels] = split_once(clock, '/');
    auto r = parse_uint(rate, UINT32_MAX);
    if (codec_name.empty() || !r)
      return false;
    c.name = std::string(codec_name);
    c.clock_rate = static_cast<uint32_t>(*r);
    if (!channels.empty()) {
      auto ch = parse_uint(channels, 255);
      if (!ch)
        return false;
      c.channels = static_cast<uint8_t>(*ch);
    }
  } else if (name == "fmtp") {
    auto [pt, params] = split_once(value, ' ');
    auto n = parse_uint(pt, 127);
    if (!n)
      return false;
    codec_for(m, static_cast<uint8_t>(*n)).fmtp = std::string(params);
  } else if (name == "rtcp-fb") {
    auto [pt, fb] = split_once(value, ' ');
    if (fb.empty())
      return false;
    if (pt == "*") {
      m.other.emplace_back(line.substr(2));  // wildcard: keep verbatim
      return true;
    }
    auto n = parse_uint(pt, 127);
    if (!n)
      return false;
    codec_for(m, static_cast<uint8_t>(*n)).rtcp_fb.emplace_back(fb);
  } else if (name == "extmap") {
    auto [id, uri] = split_once(value, ' ');
    auto [num, dir] = split_once(id, '/');
    auto n = parse_uint(num, 255);
    auto parts = words(uri);
    if (!n || *n == 0 || parts.empty() || !dir.empty())
      return false;
    m.extmaps.push_back({static_cast<uint8_t>(*n), parts[0]});
  } else if (name == "msid") {
    m.msid = std::string(value);
  } else if (name == "ssrc") {
    auto [id, rest] = split_once(value, ' ');
    auto n = parse_uint(id, UINT32_MAX);
    if (!n || rest.empty())
      return false;
    auto [attr, attr_value] = split_once(rest, ':');
    m.ssrcs.push_back({static_cast<uint32_t>(*n), std::string(attr), std::string(attr_value)});
  } else if (name == "ssrc-group") {
    auto parts = words(value);
    if (parts.size() < 2)
      return false;
    sdp_ssrc_group g{parts[0], {}};
    for (std::size_t i = 1; i < parts.size(); ++i) {
      auto n = parse_uint(parts[i], UINT32_MAX);
      if (!n)
        return false;
      g.ssrcs.push_back(static_cast<uint32_t>(*n));
    }
    m.ssrc_groups.push_back(std::move(g));
  } else if (name == "rid") {
    auto parts = words(value);
    if (parts.size() < 2 || (parts[1] != "send" && parts[1] != "recv"))
      return false;
    m.rids.push_back({parts[0], parts[1], parts.size() > 2 ? parts[2] : std::string{}});
  } else if (name == "simulcast") {
    m.simulcast = std::string(value);
  } else if (name == "candidate") {
    if (words(value).size() < 8)
      return false;
    m.candidates.emplace_back(value);
  } else if (name == "end-of-candidates") {
    m.end_of_candidates = true;
  } else if (name == "sctp-port") {
    auto n = parse_uint(value, 65535);
    if (!n)
      return false;
    m.sctp_port = static_cast<uint16_t>(*n);
  } else if (name == "max-message-size") {
    auto n = parse_uint(value, UINT32_MAX);
    if (!n)
      return false;
    m.max_message_size = static_cast<uint32_t>(*n);
  } else {
    m.other.emplace_back(line.substr(2));
  }
  return true;
}

} // namespace

const char* to_string(sdp_direction x) {
  switch (x) {
    case sdp_direction::sendrecv: return "sendrecv";
    case sdp_direction::sendonly: return "sendonly";
    case sdp_direction::recvonly: return "recvonly";
    case sdp_direction::inactive: return "inactive";
  }
  return "unknown";
}

const sdp_codec* sdp_media::codec(uint8_t pt) const {
  for (const auto& c : codecs)
    if (c.payload_type == pt)
      return &c;
  return nullptr;
}

const sdp_codec* sdp_media::codec(std::string_view codec_name) const {
  for (const auto& c : codecs)
    if (iequals(c.name, codec_name))
      return &c;
  return nullptr;
}

int sdp_media::extmap_id(std::string_view uri) const {
  for (const auto& e : extmaps)
    if (e.uri == uri)
      return e.id;
  return 0;
}

const sdp_media* session_description::find_mid(std::string_view mid) const {
  for (const auto& m : media)
    if (m.mid == mid)
      return &m;
  return nullptr;
}

protocol::result<session_description> parse_sdp(std::string_view text) {
  if (text.size() > max_sdp_bytes)
    return protocol::error{errc::payload_too_large, "SDP larger than 256 KiB"};
  session_description out;
  out.origin.clear();
  sdp_media session_defaults;  // session-level ICE/DTLS attributes
  std::size_t line_no = 0;
  bool seen_version = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty())
      continue;
    if (line.size() < 2 || line[1] != '=')
      return bad(line_no, "not <type>=<value>");
    char type = line[0];
    auto value = line.substr(2);
    if (!seen_version) {
      if (type != 'v' || value != "0")
        return bad(line_no, "must start with v=0");
      seen_version = true;
      continue;
    }
    sdp_media* m = out.media.empty() ? nullptr : &out.media.back();
    switch (type) {
      case 'o':
        out.origin = std::string(value);
        break;
      case 's':
        out.session_name = std::string(value);
        break;
      case 'm': {
        if (out.media.size() >= 256)
          return bad(line_no, "too many media sections");
        auto parts = words(value);
        if (parts.size() < 3)
          return bad(line_no, "m= needs media, port, protocol");
        auto port = parse_uint(split_once(parts[1], '/').first, 65535);
        if (!port)
          return bad(line_no, "bad port");
        sdp_media media;
        media.kind = parts[0];
        media.port = static_cast<uint16_t>(*port);
        media.protocol = parts[2];
        media.formats.assign(parts.begin() + 3, parts.end());
        out.media.push_back(std::move(media));
        break;
      }
      case 'c':
        if (m)
          m->connection = std::string(value);
        break;
      case 'a': {
        auto [name, attr_value] = split_once(value, ':');
        if (!m) {
          if (name == "group") {
            auto parts = words(attr_value);
            if (!parts.empty() && parts[0] == "BUNDLE")
              out.bundle.assign(parts.begin() + 1, parts.end());
            else
              out.other.emplace_back(value);
          } else if (name == "ice-lite") {
            out.ice_lite = true;
          } else if (name == "extmap-allow-mixed") {
            out.extmap_allow_mixed = true;
          } else if (name == "msid-semantic") {
            out.msid_semantic = std::string(attr_value);
          } else if (name == "ice-ufrag" || name == "ice-pwd" || name == "fingerprint"
                     || name == "setup") {
            media_attribute(session_defaults, name, attr_value, line);
          } else {
            out.other.emplace_back(value);
          }
        } else if (!media_attribute(*m, name, attr_value, line)) {
          return bad(line_no, "malformed a=" + std::string(name));
        }
        break;
      }
      default:
        break;  // t=, b=, i=, u=, e=, p=, k=, r=, z=: not needed for WebRTC
    }
  }
  if (!seen_version)
    return protocol::error{errc::bad_request, "empty SDP"};
  for (auto& m : out.media) {
    if (m.ice_ufrag.empty())
      m.ice_ufrag = session_defaults.ice_ufrag;
    if (m.ice_pwd.empty())
      m.ice_pwd = session_defaults.ice_pwd;
    if (m.fingerprint.empty())
      m.fingerprint = session_defaults.fingerprint;
    if (m.setup.empty())
      m.setup = session_defaults.setup;
  }
  return out;
}

std::string write_sdp(const session_description& sdp) {
  std::ostringstream os;
  auto line = [&](const std::string& l) { os << l << "\r\n"; };
  line("v=0");
  line("o=" + (sdp.origin.empty() ? std::string("- 0 0 IN IP4 127.0.0.1") : sdp.origin));
  line("s=" + sdp.session_name);
  line("t=0 0");
  if (!sdp.bundle.empty()) {
    std::string g = "a=group:BUNDLE";
    for (const auto& mid : sdp.bundle)
      g += " " + mid;
    line(g);
  }
  if (sdp.extmap_allow_mixed)
    line("a=extmap-allow-mixed");
  if (!sdp.msid_semantic.empty())
    line("a=msid-semantic:" + sdp.msid_semantic);
  if (sdp.ice_lite)
    line("a=ice-lite");
  for (const auto& o : sdp.other)
    line("a=" + o);
  for (const auto& m : sdp.media) {
    std::string mline = "m=" + m.kind + " " + std::to_string(m.port) + " " + m.protocol;
    for (const auto& f : m.formats)
      mline += " " + f;
    line(mline);
    line("c=" + m.connection);
    if (!m.ice_ufrag.empty())
      line("a=ice-ufrag:" + m.ice_ufrag);
    if (!m.ice_pwd.empty())
      line("a=ice-pwd:" + m.ice_pwd);
    if (!m.fingerprint.empty())
      line("a=fingerprint:" + m.fingerprint);
    if (!m.setup.empty())
      line("a=setup:" + m.setup);
    if (!m.mid.empty())
      line("a=mid:" + m.mid);
    for (const auto& e : m.extmaps)
      line("a=extmap:" + std::to_string(e.id) + " " + e.uri);
    line(std::string("a=") + to_string(m.direction));
    if (!m.msid.empty())
      line("a=msid:" + m.msid);
    if (m.rtcp_mux)
      line("a=rtcp-mux");
    if (m.rtcp_rsize)
      line("a=rtcp-rsize");
    for (const auto& c : m.codecs) {
      auto pt = std::to_string(c.payload_type);
      if (!c.name.empty())
        line("a=rtpmap:" + pt + " " + c.name + "/" + std::to_string(c.clock_rate)
             + (c.channels ? "/" + std::to_string(c.channels) : ""));
      for (const auto& fb : c.rtcp_fb)
        line("a=rtcp-fb:" + pt + " " + fb);
      if (!c.fmtp.empty())
        line("a=fmtp:" + pt + " " + c.fmtp);
    }
    for (const auto& g : m.ssrc_groups) {
      std::string l = "a=ssrc-group:" + g.semantics;
      for (auto s : g.ssrcs)
        l += " " + std::to_string(s);
      line(l);
    }
    for (const auto& s : m.ssrcs)
      line("a=ssrc:" + std::to_string(s.ssrc) + " " + s.attribute
           + (s.value.empty() ? "" : ":" + s.value));
    for (const auto& r : m.rids)
      line("a=rid:" + r.id + " " + r.direction + (r.params.empty() ? "" : " " + r.params));
    if (!m.simulcast.empty())
      line("a=simulcast:" + m.simulcast);
    if (m.sctp_port)
      line("a=sctp-port:" + std::to_string(m.sctp_port));
    if (m.max_message_size)
      line("a=max-message-size:" + std::to_string(m.max_message_size));
    for (const auto& o : m.other)
      line("a=" + o);
    for (const auto& c : m.candidates)
      line("a=candidate:" + c);
    if (m.end_of_candidates)
      line("a=end-of-candidates");
  }
  return os.str();
}

} // namespace lamplight::media
