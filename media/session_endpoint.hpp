#pragma once

#include <cstdint>
#include <string>

namespace lamplight::media {

/// Where a client reaches the SFU for a media session: written into every
/// offer or answer of the session (ICE-lite, one host candidate).
struct session_endpoint {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // the SFU's, "sha-256 AB:..."
  std::string candidate_ip;
  uint16_t candidate_port = 0;
};

/// The client's end of a session's one transport, from its first offer or
/// answer; later ones must keep it (an ICE restart is a new session).
struct session_remote {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;

  bool operator==(const session_remote& o) const {
    return ice_ufrag == o.ice_ufrag && ice_pwd == o.ice_pwd && fingerprint == o.fingerprint;
  }
  bool operator!=(const session_remote& o) const { return !(*this == o); }
};

} // namespace lamplight::media
