#pragma once

namespace lamplight::bench {

/// `lamplight-bench lamps`: hundreds of simulated lamps with the real client
/// stack (signaling, ICE, DTLS, SRTP, replayed VP8/Opus, decoding with
/// frame stamps checked) in one of the scenarios, against a node it starts
/// or one given by address.
int run_lamps(int argc, char** argv);

} // namespace lamplight::bench
