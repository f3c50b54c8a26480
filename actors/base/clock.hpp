#pragma once

#include <chrono>
#include <cstdint>

namespace lamplight::actors {

/// Wall-clock milliseconds since the epoch, as events (at_ms) and Pongs
/// carry them. Timers use CAF's clock instead, so tests can drive them.
inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace lamplight::actors
