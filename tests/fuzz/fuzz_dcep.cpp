// DCEP (RFC 8832) arrives on data channels' SCTP streams from peers.
#include <cstddef>
#include <algorithm>
#include <cstdint>

#include "transport/dcep.hpp"

using namespace lamplight::transport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = parse_dcep(data, size);
  if (!m)
    return 0;
  if (auto* open = std::get_if<dcep_open>(&*m)) {
    // What parses writes back byte for byte.
    auto bytes = write_dcep(*open);
    if (bytes.size() != size || !std::equal(bytes.begin(), bytes.end(), data))
      __builtin_trap();
  }
  return 0;
}
