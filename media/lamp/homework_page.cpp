#include "media/lamp/homework_page.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace lamplight::media::lamp {

namespace {

using protocol::errc;

/// 5x7 glyphs, one byte per row, the low 5 bits from left (bit 4) to right.
struct glyph {
  char c;
  uint8_t rows[7];
};
constexpr glyph font[] = {
  {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
  {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
  {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
  {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
  {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
  {'A', {14, 17, 17, 31, 17, 17, 17}}, {'B', {30, 17, 17, 30, 17, 17, 30}},
  {'C', {14, 17, 16, 16, 16, 17, 14}}, {'D', {28, 18, 17, 17, 17, 18, 28}},
  {'E', {31, 16, 16, 30, 16, 16, 31}}, {'F', {31, 16, 16, 30, 16, 16, 16}},
  {'G', {14, 17, 16, 23, 17, 17, 15}}, {'H', {17, 17, 17, 31, 17, 17, 17}},
  {'I', {14, 4, 4, 4, 4, 4, 14}},      {'J', {7, 2, 2, 2, 2, 18, 12}},
  {'K', {17, 18, 20, 24, 20, 18, 17}}, {'L', {16, 16, 16, 16, 16, 16, 31}},
  {'M', {17, 27, 21, 21, 17, 17, 17}}, {'N', {17, 17, 25, 21, 19, 17, 17}},
  {'O', {14, 17, 17, 17, 17, 17, 14}}, {'P', {30, 17, 17, 30, 16, 16, 16}},
  {'Q', {14, 17, 17, 17, 21, 18, 13}}, {'R', {30, 17, 17, 30, 20, 18, 17}},
  {'S', {15, 16, 16, 14, 1, 1, 30}},   {'T', {31, 4, 4, 4, 4, 4, 4}},
  {'U', {17, 17, 17, 17, 17, 17, 14}}, {'V', {17, 17, 17, 17, 17, 10, 4}},
  {'W', {17, 17, 17, 21, 21, 21, 10}}, {'X', {17, 17, 10, 4, 10, 17, 17}},
  {'Y', {17, 17, 17, 10, 4, 4, 4}},    {'Z', {31, 1, 2, 4, 8, 16, 31}},
  {'+', {0, 4, 4, 31, 4, 4, 0}},       {'-', {0, 0, 0, 31, 0, 0, 0}},
  {'=', {0, 0, 31, 0, 31, 0, 0}},      {'.', {0, 0, 0, 0, 0, 12, 12}},
  {':', {0, 12, 12, 0, 12, 12, 0}},    {'#', {10, 10, 31, 10, 31, 10, 10}},
  {'/', {1, 1, 2, 4, 8, 16, 16}},      {'_', {0, 0, 0, 0, 0, 0, 31}},
  {'?', {14, 17, 1, 2, 4, 0, 4}},
};

const glyph* find_glyph(char c) {
  c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& g : font)
    if (g.c == c)
      return &g;
  return nullptr;
}

struct canvas {
  int w, h;
  std::vector<uint8_t> rgb;

  void rect(int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b) {
    x0 = std::clamp(x0, 0, w);
    x1 = std::clamp(x1, 0, w);
    y0 = std::clamp(y0, 0, h);
    y1 = std::clamp(y1, 0, h);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        auto* p = &rgb[(static_cast<std::size_t>(y) * w + x) * 3];
        p[0] = r;
        p[1] = g;
        p[2] = b;
      }
  }

  /// Text in the 5x7 font, `px` pixels per font pixel; unknown characters
  /// are blanks.
  void text(int x, int y, int px, const std::string& s, uint8_t r, uint8_t g, uint8_t b) {
    for (char c : s) {
      if (const auto* gl = find_glyph(c))
        for (int row = 0; row < 7; ++row)
          for (int col = 0; col < 5; ++col)
            if (gl->rows[row] & (16 >> col))
              rect(x + col * px, y + row * px, x + (col + 1) * px, y + (row + 1) * px, r, g, b);
      x += 6 * px;
    }
  }
};

} // namespace

protocol::result<std::string> render_homework_jpeg(const homework_page& page) {
  if (page.width < 16 || page.height < 16 || page.width > 4032 || page.height > 3024)
    return protocol::error{errc::bad_request, "photo size must be 16x16 .. 4032x3024"};
  canvas c{static_cast<int>(page.width), static_cast<int>(page.height), {}};
  c.rgb.assign(static_cast<std::size_t>(c.w) * c.h * 3, 0);
  c.rect(0, 0, c.w, c.h, 250, 248, 240);  // paper
  int line = std::max(8, c.h / 24);
  for (int y = line * 3; y < c.h; y += line)  // ruled lines
    c.rect(0, y, c.w, y + std::max(1, c.h / 800), 170, 200, 230);
  c.rect(c.w / 12, 0, c.w / 12 + std::max(1, c.w / 600), c.h, 230, 120, 120);  // margin
  int px = std::max(1, line / 9);
  int x = c.w / 12 + 2 * px;
  c.text(x, line / 2, px * 2, "HOMEWORK " + page.title, 20, 30, 60);
  c.text(x, line * 2, px, page.subtitle, 60, 60, 60);
  const char* sums[] = {"3 + 4 = 7", "12 - 5 = 7", "6 X 7 = 42", "81 / 9 = 9", "15 + 27 = 42"};
  int row = 4;
  for (const char* s : sums) {
    c.text(x, row * line - 8 * px, px, s, 30, 40, 140);
    row += 2;
  }
  // A "handwritten" curve in the free space on the right.
  for (int i = 0; i < c.w / 3; ++i) {
    int cx = c.w / 2 + i;
    int cy = c.h / 2 + static_cast<int>(std::sin(i * 6.28 / (c.w / 9.0)) * line * 2);
    c.rect(cx, cy, cx + px * 2, cy + px * 2, 40, 40, 40);
  }
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
  if (!tj)
    return protocol::error{errc::internal, "libjpeg-turbo: no compressor"};
  unsigned char* out = nullptr;
  unsigned long size = 0;
  if (tjCompress2(tj.get(), c.rgb.data(), c.w, 0, c.h, TJPF_RGB, &out, &size, TJSAMP_420,
                  page.quality, TJFLAG_FASTDCT)
      != 0) {
    std::string why = tjGetErrorStr2(tj.get());
    tjFree(out);
    return protocol::error{errc::internal, "libjpeg-turbo: " + why};
  }
  std::string jpeg(reinterpret_cast<const char*>(out), size);
  tjFree(out);
  return jpeg;
}

protocol::result<std::pair<int, int>> jpeg_size(const std::string& jpeg) {
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  int w = 0, h = 0, sub = 0, space = 0;
  if (!tj
      || tjDecompressHeader3(tj.get(), reinterpret_cast<const unsigned char*>(jpeg.data()),
                             jpeg.size(), &w, &h, &sub, &space)
           != 0)
    return protocol::error{errc::bad_request, "not a JPEG"};
  return std::make_pair(w, h);
}

} // namespace lamplight::media::lamp
