#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/errc.hpp"

namespace lamplight::media::lamp {

/// What a simulated lamp's desk camera sees when the teacher asks for a
/// photo: a ruled page of homework (the lamp's name, the command, a few
/// sums in a 5x7 pixel font scaled to the page, "handwritten" strokes),
/// drawn at the requested resolution and encoded as a real JPEG with
/// libjpeg-turbo, as the lamp's camera pipeline would hand it over.
struct homework_page {
  uint32_t width = 1920;
  uint32_t height = 1440;
  std::string title;       // e.g. the student's identity
  std::string subtitle;    // e.g. the command id
  int quality = 85;
};

/// The JPEG; errors for sizes outside 16x16 .. 4032x3024 or an encoder
/// failure.
protocol::result<std::string> render_homework_jpeg(const homework_page& page);

/// A JPEG's dimensions, read by decoding its header (for checks).
protocol::result<std::pair<int, int>> jpeg_size(const std::string& jpeg);

} // namespace lamplight::media::lamp
