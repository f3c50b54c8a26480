// The forwarder gets decrypted RTP and RTCP from any peer that completed
// DTLS: a hostile publisher or subscriber controls every byte. The input is
// a script of records (kind byte, length byte, bytes): RTP or RTCP from the
// publisher or a subscriber, layer changes, time passing, subscribers
// leaving and coming back. Whatever it does, what goes out to a subscriber
// must be RTP in that subscriber's SSRC.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/forwarder.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"

using namespace lamplight::media;

namespace {

constexpr forwarder::peer_id pub = 1, sub_a = 2, sub_b = 3;
constexpr uint32_t ssrc_a = 0xA, ssrc_b = 0xB;

struct checking_sink : forwarder::sink {
  bool can_send(forwarder::peer_id) override { return true; }
  bool send_rtp(forwarder::peer_id to, std::vector<uint8_t> p) override {
    auto v = rtp_packet::parse(p.data(), p.size());
    if (!v || (to != sub_a && to != sub_b) || v->ssrc() != (to == sub_a ? ssrc_a : ssrc_b))
      __builtin_trap();
    return true;
  }
  bool send_rtcp(forwarder::peer_id, std::vector<uint8_t> p) override {
    if (!parse_rtcp(p.data(), p.size()))
      __builtin_trap();
    return true;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  checking_sink out;
  forwarder fwd(out, 1'000'000);
  // A simulcast VP8 track by rid (extension id 1), and an audio track whose
  // SSRC is learnt from its first packet.
  fwd.add_track(1, {pub, 90000, true, {{0, "q"}, {0, "h"}, {0, "f"}}, 1, 0, {}});
  fwd.add_track(2, {pub, 48000, false, {{0, ""}}, 0, 2, [](bool, uint8_t) {}});  // audio levels judged
  fwd.add_route(1, sub_a, ssrc_a, 2);
  fwd.add_route(2, sub_b, ssrc_b, 0);
  int64_t now = 1;
  std::size_t at = 0;
  while (at + 2 <= size) {
    uint8_t kind = data[at];
    std::size_t len = std::min<std::size_t>(data[at + 1], size - at - 2);
    const uint8_t* body = data + at + 2;
    at += 2 + len;
    std::vector<uint8_t> bytes(body, body + len);
    switch (kind % 7) {
      case 0: fwd.on_rtp(pub, bytes, now); break;
      case 1: fwd.on_rtp(kind & 0x80 ? sub_a : sub_b, bytes, now); break;
      case 2: fwd.on_rtcp(kind & 0x80 ? sub_a : sub_b, body, len, now); break;
      case 3: fwd.on_rtcp(pub, body, len, now); break;
      case 4: fwd.set_layer(1, sub_a, len ? body[0] % 5 - 1 : 0); break;
      case 5:
        now += len ? body[0] * 10 : 1;
        fwd.tick(now, static_cast<uint64_t>(now) << 22);
        break;
      case 6:
        if (kind & 0x80) {
          fwd.remove_peer(sub_a);
        } else {
          fwd.add_route(1, sub_a, ssrc_a, len ? body[0] % 3 : 0);
        }
        break;
    }
  }
  return 0;
}
