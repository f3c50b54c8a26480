// RTCP arrives (after SRTCP) from publishers and subscribers alike.
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "media/rtcp_packet.hpp"

using namespace lamplight::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto msgs = parse_rtcp(data, size);
  if (!msgs)
    return 0;
  // Whatever we understood we can write again and read back.
  std::vector<uint8_t> out;
  for (auto& m : *msgs)
    std::visit(
      [&](const auto& x) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, other_rtcp>)
          write_rtcp(out, x);
      },
      m);
  if (!out.empty() && !parse_rtcp(out.data(), out.size()))
    __builtin_trap();
  return 0;
}
