#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace lamplight::transport {

/// "host:port" (the port 1..65535, after the last colon) as its parts;
/// nullopt for anything else.
inline std::optional<std::pair<std::string, uint16_t>> parse_host_port(const std::string& ep) {
  auto colon = ep.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == ep.size())
    return std::nullopt;
  unsigned long port = 0;
  for (auto i = colon + 1; i < ep.size(); ++i) {
    if (ep[i] < '0' || ep[i] > '9' || port > 65535)
      return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(ep[i] - '0');
  }
  if (port == 0 || port > 65535)
    return std::nullopt;
  return std::make_pair(ep.substr(0, colon), static_cast<uint16_t>(port));
}

} // namespace lamplight::transport
