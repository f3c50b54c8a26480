// RTP packets of a VP8 stream, in any order and shape, into the lamp's
// frame assembler: whatever comes, frames come out whole or not at all.
// Input: records of [2-byte length][packet], time advancing per record.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/vp8_frame_assembler.hpp"

using namespace lamplight::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vp8_frame_assembler::options o;
  o.max_packets = 64;
  vp8_frame_assembler a(o);
  std::size_t at = 0;
  int64_t now = 0;
  std::size_t payload_in = 0, frame_bytes_out = 0;
  while (at + 2 <= size) {
    std::size_t n = (std::size_t{data[at]} << 8 | data[at + 1]) % 1500;
    at += 2;
    if (at + n > size)
      break;
    std::vector<uint8_t> pkt(data + at, data + at + n);
    at += n;
    now += 7;
    if (auto p = rtp_packet::parse(pkt.data(), pkt.size())) {
      payload_in += p->payload_size();
      a.push(*p, now);
    }
    while (auto f = a.pop(now))
      frame_bytes_out += f->data.size();
    a.nack_list(now);
    a.take_keyframe_request();
  }
  // Frames are made of payload bytes that came in, never more.
  if (frame_bytes_out > payload_in)
    __builtin_trap();
  return 0;
}
