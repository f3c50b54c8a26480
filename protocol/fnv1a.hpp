#pragma once

#include <cstdint>
#include <string_view>

namespace lamplight::protocol {

/// 64-bit FNV-1a: a stable hash that every node computes alike, unlike
/// std::hash (Janus room ids, rendezvous placement in the cluster).
inline uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace lamplight::protocol
