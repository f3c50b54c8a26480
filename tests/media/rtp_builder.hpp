#pragma once
// Builds RTP packets for the forwarding tests: a header, an optional RFC
// 8285 one-byte extension (the rid, the audio level), and a VP8 payload descriptor with a
// 15-bit picture id and TL0PICIDX, or a plain payload.
#include <cstdint>
#include <string>
#include <vector>

namespace lamplight::media::test {

struct rtp_spec {
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  uint8_t pt = 96;
  bool marker = false;
  // VP8 (RFC 7741): with a descriptor when vp8 is set.
  bool vp8 = false;
  bool start = true;     // S
  bool keyframe = false;
  uint16_t picture_id = 0;
  uint8_t tl0picidx = 0;
  // rtp-stream-id extension (RFC 8852) when rid is non-empty.
  uint8_t rid_id = 0;
  std::string rid{};
  // client-to-mixer audio level (RFC 6464) when audio_level_id is set:
  // 0-127 dB below overload.
  uint8_t audio_level_id = 0;
  uint8_t audio_level = 127;
  uint8_t fill = 0;  // payload bytes after the descriptor
};

inline std::vector<uint8_t> build_rtp(const rtp_spec& s) {
  bool ext = !s.rid.empty() || s.audio_level_id != 0;
  std::vector<uint8_t> p = {static_cast<uint8_t>(ext ? 0x90 : 0x80),
                            static_cast<uint8_t>((s.marker ? 0x80 : 0) | s.pt),
                            static_cast<uint8_t>(s.seq >> 8), static_cast<uint8_t>(s.seq),
                            static_cast<uint8_t>(s.ts >> 24), static_cast<uint8_t>(s.ts >> 16),
                            static_cast<uint8_t>(s.ts >> 8), static_cast<uint8_t>(s.ts),
                            static_cast<uint8_t>(s.ssrc >> 24), static_cast<uint8_t>(s.ssrc >> 16),
                            static_cast<uint8_t>(s.ssrc >> 8), static_cast<uint8_t>(s.ssrc)};
  if (ext) {
    std::vector<uint8_t> elems;
    if (!s.rid.empty()) {
      elems.push_back(static_cast<uint8_t>((s.rid_id << 4) | (s.rid.size() - 1)));
      elems.insert(elems.end(), s.rid.begin(), s.rid.end());
    }
    if (s.audio_level_id != 0)
      elems.insert(elems.end(), {static_cast<uint8_t>(s.audio_level_id << 4), s.audio_level});
    while (elems.size() % 4)
      elems.push_back(0);
    auto words = elems.size() / 4;
    p.insert(p.end(), {0xBE, 0xDE, static_cast<uint8_t>(words >> 8), static_cast<uint8_t>(words)});
    p.insert(p.end(), elems.begin(), elems.end());
  }
  if (s.vp8) {
    p.push_back(static_cast<uint8_t>(0x80 | (s.start ? 0x10 : 0)));  // X, S, PID 0
    p.push_back(0xC0);                                                // I, L
    p.push_back(static_cast<uint8_t>(0x80 | ((s.picture_id >> 8) & 0x7F)));
    p.push_back(static_cast<uint8_t>(s.picture_id));
    p.push_back(s.tl0picidx);
    p.push_back(s.keyframe ? 0x00 : 0x01);  // VP8 payload header: P bit
  }
  p.insert(p.end(), 40, s.fill);
  return p;
}

} // namespace lamplight::media::test
