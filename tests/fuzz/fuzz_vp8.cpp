// VP8 payload descriptors arrive inside publishers' RTP.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/vp8_descriptor.hpp"

using namespace lamplight::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> buf(data, data + size);
  auto d = parse_vp8_descriptor(buf.data(), buf.size());
  if (!d)
    return 0;
  if (d->size > size)
    __builtin_trap();
  if (rewrite_vp8_picture_id(buf.data(), buf.size(), 0x1234)) {
    auto again = parse_vp8_descriptor(buf.data(), buf.size());
    if (!again || again->size != d->size
        || again->picture_id != (d->picture_id_15bit ? 0x1234 : 0x34))
      __builtin_trap();
  }
  rewrite_vp8_tl0picidx(buf.data(), buf.size(), 9);
  return 0;
}
