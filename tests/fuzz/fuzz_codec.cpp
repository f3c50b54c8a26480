// Client frames arrive from the network as JSON text or binary protobuf.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/codec.hpp"

using namespace lamplight::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  for (auto fmt : {wire_format::json, wire_format::binary}) {
    (void) peek_request_id(frame, fmt);
    auto msg = decode_client(frame, fmt);
    if (msg) {
      // What decodes must re-encode and decode to the same message.
      auto again = decode_client(encode_client(*msg, fmt), fmt);
      if (!again || again->SerializeAsString() != msg->SerializeAsString())
        __builtin_trap();
    }
    (void) decode_server(frame, fmt);
  }
  return 0;
}
