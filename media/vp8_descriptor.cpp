#include "media/vp8_descriptor.hpp"

namespace lamplight::media {

std::optional<vp8_descriptor> parse_vp8_descriptor(const uint8_t* p, std::size_t size) {
  if (p == nullptr || size < 1)
    return std::nullopt;
  vp8_descriptor d;
  bool x = p[0] & 0x80;
  d.non_reference = p[0] & 0x20;
  d.start_of_partition = p[0] & 0x10;
  d.partition_id = p[0] & 0x0F;
  std::size_t pos = 1;
  if (x) {
    if (size < 2)
      return std::nullopt;
    uint8_t ext = p[1];
    d.has_picture_id = ext & 0x80;
    d.has_tl0picidx = ext & 0x40;
    d.has_tid = ext & 0x20;
    d.has_keyidx = ext & 0x10;
    pos = 2;
    if (d.has_picture_id) {
      if (size < pos + 1)
        return std::nullopt;
      d.picture_id_15bit = p[pos] & 0x80;
      if (d.picture_id_15bit) {
        if (size < pos + 2)
          return std::nullopt;
        d.picture_id = static_cast<uint16_t>((p[pos] & 0x7F) << 8 | p[pos + 1]);
        pos += 2;
      } else {
        d.picture_id = p[pos] & 0x7F;
        pos += 1;
      }
    }
    if (d.has_tl0picidx) {
      if (size < pos + 1)
        return std::nullopt;
      d.tl0picidx = p[pos++];
    }
    if (d.has_tid || d.has_keyidx) {  // one byte carries TID|Y|KEYIDX
      if (size < pos + 1)
        return std::nullopt;
      d.tid = p[pos] >> 6;
      d.layer_sync = p[pos] & 0x20;
      d.keyidx = p[pos] & 0x1F;
      pos += 1;
    }
  }
  d.size = pos;
  d.keyframe = d.start_of_partition && d.partition_id == 0 && size > pos && (p[pos] & 0x01) == 0;
  return d;
}

bool rewrite_vp8_picture_id(uint8_t* p, std::size_t size, uint16_t picture_id) {
  auto d = parse_vp8_descriptor(p, size);
  if (!d || !d->has_picture_id)
    return false;
  // The picture id always follows the X byte, at offset 2.
  if (d->picture_id_15bit) {
    p[2] = static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7F));
    p[3] = static_cast<uint8_t>(picture_id);
  } else {
    p[2] = static_cast<uint8_t>(picture_id & 0x7F);
  }
  return true;
}

bool rewrite_vp8_tl0picidx(uint8_t* p, std::size_t size, uint8_t tl0picidx) {
  auto d = parse_vp8_descriptor(p, size);
  if (!d || !d->has_tl0picidx)
    return false;
  std::size_t at = 2 + (d->has_picture_id ? (d->picture_id_15bit ? 2 : 1) : 0);
  p[at] = tl0picidx;
  return true;
}

} // namespace lamplight::media
