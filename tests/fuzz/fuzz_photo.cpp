// Photo uploads arrive over a lamp's data channel: text control messages
// (JSON) and binary chunks, in any order a hostile peer likes. The input
// is a sequence of records (a kind byte, a length byte, bytes); whatever
// comes, a completed upload is exactly the bytes its begin announced.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/photo_transfer.hpp"

using namespace lamplight::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  photo_assembler a;
  std::size_t at = 0;
  while (at + 2 <= size) {
    bool binary = data[at] & 1;
    std::size_t len = std::min<std::size_t>(data[at + 1] * 4u, size - at - 2);
    std::string bytes(reinterpret_cast<const char*>(data + at + 2), len);
    at += 2 + len;
    auto s = binary ? a.on_binary(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())
                    : a.on_text(bytes);
    if (s == photo_assembler::status::complete) {
      auto photo = a.take();
      if (photo.size() != a.header().size()
          || sha256_hex(photo.data(), photo.size()) != a.header().sha256())
        __builtin_trap();
    }
  }
  return 0;
}
