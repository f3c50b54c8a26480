#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace lamplight::media::lamp {

/// What a simulated camera writes into every picture, big enough to survive
/// VP8 compression and read back after decoding: the frame's number, its
/// complement (so a misread is caught, not taken for a gap), the length of
/// the clip (numbers wrap there) and which camera it is. Bits are 32x32
/// blocks of black or white luma in the top-left 256x192 pixels, eight per
/// row: rows 0-1 the number, 2-3 its complement, 4 the clip length, 5 the
/// source.
struct frame_stamp {
  uint16_t number = 0;
  uint8_t clip_frames = 0;
  uint8_t source = 0;
  friend bool operator==(const frame_stamp& a, const frame_stamp& b) {
    return a.number == b.number && a.clip_frames == b.clip_frames && a.source == b.source;
  }
};

inline constexpr int stamp_width = 256;
inline constexpr int stamp_height = 192;

/// Writes the stamp into a luma plane of at least stamp_width x stamp_height.
void draw_stamp(uint8_t* luma, int stride, const frame_stamp& s);

/// Reads it back; nullopt if the picture is too small or the number and its
/// complement disagree.
std::optional<frame_stamp> read_stamp(const uint8_t* luma, int stride, int width, int height);

} // namespace lamplight::media::lamp
