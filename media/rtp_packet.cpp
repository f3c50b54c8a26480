#include "media/rtp_packet.hpp"

#include "transport/byte_order.hpp"

namespace lamplight::media {

namespace {

using transport::get16;
using transport::get32;
using transport::set16;
using transport::set32;

} // namespace

std::optional<rtp_packet> rtp_packet::parse(uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 12 || (data[0] >> 6) != 2)
    return std::nullopt;
  rtp_packet p(data, size);
  p.header_size_ = 12 + 4 * static_cast<std::size_t>(data[0] & 0x0F);
  if (p.header_size_ > size)
    return std::nullopt;
  if (data[0] & 0x10) { // X: RFC 3550 section 5.3.1
    if (size - p.header_size_ < 4)
      return std::nullopt;
    p.ext_profile_ = get16(data + p.header_size_);
    auto words = get16(data + p.header_size_ + 2);
    p.ext_offset_ = p.header_size_ + 4;
    p.ext_size_ = 4 * static_cast<std::size_t>(words);
    if (size - p.ext_offset_ < p.ext_size_)
      return std::nullopt;
    p.header_size_ = p.ext_offset_ + p.ext_size_;
  }
  if (data[0] & 0x20) { // P: the last byte counts the padding, itself included
    auto pad = data[size - 1];
    if (pad == 0 || pad > size - p.header_size_)
      return std::nullopt;
    p.padding_ = pad;
  }
  return p;
}

uint16_t rtp_packet::sequence() const {
  return get16(data_ + 2);
}
uint32_t rtp_packet::timestamp() const {
  return get32(data_ + 4);
}
uint32_t rtp_packet::ssrc() const {
  return get32(data_ + 8);
}

std::optional<std::pair<const uint8_t*, std::size_t>> rtp_packet::extension(uint8_t id) const {
  if (ext_offset_ == 0 || id == 0)
    return std::nullopt;
  const uint8_t* p = data_ + ext_offset_;
  const uint8_t* end = p + ext_size_;
  if (ext_profile_ == 0xBEDE) { // RFC 8285 section 4.2
    while (p < end) {
      if (*p == 0) { // padding
        ++p;
        continue;
      }
      uint8_t eid = *p >> 4;
      std::size_t len = (*p & 0x0F) + 1u;
      if (eid == 15)
        return std::nullopt; // reserved: stop processing
      if (static_cast<std::size_t>(end - p - 1) < len)
        return std::nullopt;
      if (eid == id)
        return std::make_pair(p + 1, len);
      p += 1 + len;
    }
  } else if ((ext_profile_ & 0xFFF0) == 0x1000) { // RFC 8285 section 4.3
    while (p < end) {
      if (*p == 0) {
        ++p;
        continue;
      }
      if (end - p < 2)
        return std::nullopt;
      uint8_t eid = p[0];
      std::size_t len = p[1];
      if (static_cast<std::size_t>(end - p - 2) < len)
        return std::nullopt;
      if (eid == id)
        return std::make_pair(p + 2, len);
      p += 2 + len;
    }
  }
  return std::nullopt;
}

void rtp_packet::set_sequence(uint16_t v) {
  set16(data_ + 2, v);
}
void rtp_packet::set_timestamp(uint32_t v) {
  set32(data_ + 4, v);
}
void rtp_packet::set_ssrc(uint32_t v) {
  set32(data_ + 8, v);
}
void rtp_packet::set_payload_type(uint8_t pt) {
  data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (pt & 0x7F));
}
void rtp_packet::set_marker(bool m) {
  data_[1] = static_cast<uint8_t>((data_[1] & 0x7F) | (m ? 0x80 : 0));
}

bool looks_like_rtcp(const uint8_t* data, std::size_t size) {
  return size >= 4 && (data[0] >> 6) == 2 && data[1] >= 192 && data[1] <= 223;
}

} // namespace lamplight::media
