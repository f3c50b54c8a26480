#pragma once

#include <cstddef>

namespace lamplight::bench {

/// 1 publisher -> `subscribers` over real ICE/DTLS/SRTP legs on loopback;
/// prints the figures; non-zero if nothing was forwarded.
int run_fanout(int subscribers, int packets, int rate, std::size_t size);

} // namespace lamplight::bench
