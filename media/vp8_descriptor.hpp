#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace lamplight::media {

/// The VP8 payload descriptor (RFC 7741 section 4.2) at the start of an RTP
/// payload, and what the VP8 payload header after it says about key frames
/// (section 4.3).
struct vp8_descriptor {
  bool non_reference = false;      // N
  bool start_of_partition = false; // S
  uint8_t partition_id = 0;        // PID
  bool has_picture_id = false;     // I
  bool picture_id_15bit = false;   // M
  uint16_t picture_id = 0;
  bool has_tl0picidx = false;      // L
  uint8_t tl0picidx = 0;
  bool has_tid = false;            // T
  uint8_t tid = 0;
  bool layer_sync = false;         // Y
  bool has_keyidx = false;         // K
  uint8_t keyidx = 0;
  std::size_t size = 0;            // bytes of descriptor; the VP8 data follows
  /// First packet of a key frame: S=1, PID=0 and the P bit of the VP8
  /// payload header clear.
  bool keyframe = false;
};

/// nullopt if the payload is too short for the descriptor it announces.
std::optional<vp8_descriptor> parse_vp8_descriptor(const uint8_t* payload, std::size_t size);

/// Rewrites the picture id in place, keeping its 7- or 15-bit width (a
/// 7-bit field gets the value modulo 128). False if there is none.
bool rewrite_vp8_picture_id(uint8_t* payload, std::size_t size, uint16_t picture_id);

/// Rewrites TL0PICIDX in place; false if there is none.
bool rewrite_vp8_tl0picidx(uint8_t* payload, std::size_t size, uint8_t tl0picidx);

} // namespace lamplight::media
