#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace lamplight::media {

/// A view of one RTP packet (RFC 3550 section 5.1) in a buffer the caller
/// owns. Parsing checks every length against the buffer; the setters rewrite
/// the header in place, which is what forwarding to a subscriber needs.
class rtp_packet {
public:
  /// nullopt unless version 2 with a consistent header, CSRC list,
  /// extension and padding.
  static std::optional<rtp_packet> parse(uint8_t* data, std::size_t size);

  uint8_t payload_type() const { return data_[1] & 0x7F; }
  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint16_t sequence() const;
  uint32_t timestamp() const;
  uint32_t ssrc() const;
  uint8_t csrc_count() const { return data_[0] & 0x0F; }

  std::size_t header_size() const { return header_size_; }
  const uint8_t* payload() const { return data_ + header_size_; }
  std::size_t payload_size() const { return size_ - header_size_ - padding_; }
  std::size_t padding_size() const { return padding_; }
  uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

  /// The value of header extension element `id` (RFC 8285, one-byte 0xBEDE
  /// or two-byte 0x100x profile); nullopt if absent.
  std::optional<std::pair<const uint8_t*, std::size_t>> extension(uint8_t id) const;

  void set_sequence(uint16_t v);
  void set_timestamp(uint32_t v);
  void set_ssrc(uint32_t v);
  void set_payload_type(uint8_t pt);
  void set_marker(bool m);

private:
  rtp_packet(uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  uint8_t* data_;
  std::size_t size_;
  std::size_t header_size_ = 12;
  std::size_t padding_ = 0;
  std::size_t ext_offset_ = 0;  // start of the extension block's elements; 0: none
  std::size_t ext_size_ = 0;
  uint16_t ext_profile_ = 0;
};

/// RFC 5761 section 4 / RFC 7983: on a muxed port, RTCP has packet type
/// 192..223 in its second byte.
bool looks_like_rtcp(const uint8_t* data, std::size_t size);

/// RFC 3550 appendix A.1: distance from `b` to `a`, modulo 2^16, as signed.
inline int16_t seq_diff(uint16_t a, uint16_t b) {
  return static_cast<int16_t>(static_cast<uint16_t>(a - b));
}

} // namespace lamplight::media
