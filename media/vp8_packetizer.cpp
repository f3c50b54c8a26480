#include "media/vp8_packetizer.hpp"

#include <algorithm>

namespace lamplight::media {

std::vector<std::vector<uint8_t>> packetize_vp8(const uint8_t* frame, std::size_t size,
                                                uint16_t picture_id, std::size_t max_payload) {
  std::vector<std::vector<uint8_t>> out;
  if (size == 0 || max_payload <= vp8_descriptor_bytes)
    return out;
  auto room = max_payload - vp8_descriptor_bytes;
  // Equal sizes rather than full packets and a runt: a lost runt costs as
  // much as a lost full packet, and equal packets pace more evenly.
  auto count = (size + room - 1) / room;
  auto base = size / count;
  auto bigger = size % count;  // the first `bigger` payloads carry one byte more
  out.reserve(count);
  std::size_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    auto n = base + (i < bigger ? 1 : 0);
    std::vector<uint8_t> p(vp8_descriptor_bytes + n);
    // X=1; S=1 on the first packet of the frame; PID=0 (one partition).
    p[0] = static_cast<uint8_t>(0x80 | (at == 0 ? 0x10 : 0));
    p[1] = 0x80;  // I=1: a picture id follows
    p[2] = static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7F));  // M=1: 15 bits
    p[3] = static_cast<uint8_t>(picture_id);
    std::copy(frame + at, frame + at + n, p.begin() + vp8_descriptor_bytes);
    out.push_back(std::move(p));
    at += n;
  }
  return out;
}

} // namespace lamplight::media
