#include "media/lamp/frame_stamp.hpp"

namespace lamplight::media::lamp {

namespace {

constexpr int block = 32;
constexpr int per_row = 8;
constexpr int bits = 48;

void fill(uint8_t* luma, int stride, int index, bool on) {
  int x0 = (index % per_row) * block;
  int y0 = (index / per_row) * block;
  for (int y = y0; y < y0 + block; ++y)
    for (int x = x0; x < x0 + block; ++x)
      luma[y * stride + x] = on ? 235 : 16;
}

/// The mean of the block's inner 16x16: its edges blur in compression.
bool sample(const uint8_t* luma, int stride, int index) {
  int x0 = (index % per_row) * block + block / 4;
  int y0 = (index / per_row) * block + block / 4;
  unsigned sum = 0;
  for (int y = y0; y < y0 + block / 2; ++y)
    for (int x = x0; x < x0 + block / 2; ++x)
      sum += luma[y * stride + x];
  return sum / (block / 2 * block / 2) >= 128;
}

uint64_t pack(const frame_stamp& s) {
  uint16_t complement = static_cast<uint16_t>(~s.number);
  return uint64_t{s.number} | uint64_t{complement} << 16 | uint64_t{s.clip_frames} << 32
         | uint64_t{s.source} << 40;
}

} // namespace

void draw_stamp(uint8_t* luma, int stride, const frame_stamp& s) {
  auto v = pack(s);
  for (int i = 0; i < bits; ++i)
    fill(luma, stride, i, ((v >> i) & 1) != 0);
}

std::optional<frame_stamp> read_stamp(const uint8_t* luma, int stride, int width, int height) {
  if (width < stamp_width || height < stamp_height)
    return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i)
    if (sample(luma, stride, i))
      v |= uint64_t{1} << i;
  auto number = static_cast<uint16_t>(v);
  if (static_cast<uint16_t>(v >> 16) != static_cast<uint16_t>(~number))
    return std::nullopt;
  return frame_stamp{number, static_cast<uint8_t>(v >> 32), static_cast<uint8_t>(v >> 40)};
}

} // namespace lamplight::media::lamp
