// SDP arrives from clients inside Publish/Subscribe requests.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "media/sdp.hpp"

using namespace lamplight::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto sdp = parse_sdp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!sdp)
    return 0;
  // Writing is stable after one round.
  auto text = write_sdp(*sdp);
  auto again = parse_sdp(text);
  if (!again || write_sdp(*again) != text)
    __builtin_trap();
  return 0;
}
