// RTP arrives (after SRTP) from any publisher.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/rtp_packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> buf(data, data + size);
  auto p = lamplight::media::rtp_packet::parse(buf.data(), buf.size());
  if (!p)
    return 0;
  for (uint8_t id = 0; id < 16; ++id)
    (void) p->extension(id);
  if (p->header_size() + p->payload_size() + p->padding_size() != size)
    __builtin_trap();
  p->set_sequence(static_cast<uint16_t>(p->sequence() + 1));
  p->set_ssrc(~p->ssrc());
  return 0;
}
