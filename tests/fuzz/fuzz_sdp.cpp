// SDP arrives from clients inside Publish/Subscribe requests, and at lamps
// inside the node's answers and (Janus) offers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "media/sdp.hpp"
#include "media/sdp_offer.hpp"

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
  // What a lamp makes of it: where to send, and its answer to it as an
  // offer, which must itself parse.
  (void) read_answer(text);
  for (const char* kind : {"audio", "video"}) {
    offer_params p;
    p.kind = kind;
    p.send = false;
    p.ice_ufrag = "ufrg";
    p.ice_pwd = "0123456789abcdefghijkl";
    p.fingerprint = "sha-256 AB:CD";
    if (auto a = make_answer_to(*sdp, p); a && !parse_sdp(write_sdp(*a)))
      __builtin_trap();
  }
  return 0;
}
