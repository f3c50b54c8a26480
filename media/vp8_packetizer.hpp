#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lamplight::media {

/// RFC 7741 section 4: splits one encoded VP8 frame into RTP payloads, each
/// starting with a payload descriptor that carries a 15-bit picture id
/// (X=1, I=1, M=1), so that a receiver (and an SFU switching streams) can
/// tell frames apart. The first payload has S=1 and PID=0; the caller sets
/// the RTP marker bit on the last. Payloads are at most `max_payload` bytes
/// (descriptor included), equal in size but for the last.
std::vector<std::vector<uint8_t>> packetize_vp8(const uint8_t* frame, std::size_t size,
                                                uint16_t picture_id, std::size_t max_payload);

/// Bytes of the descriptor packetize_vp8 writes.
inline constexpr std::size_t vp8_descriptor_bytes = 4;

} // namespace lamplight::media
