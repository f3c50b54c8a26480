#include "actors/base/messages.hpp"

namespace lamplight::actors {

const char* to_string(timer_kind x) {
  switch (x) {
    case timer_kind::ring: return "ring";
    case timer_kind::media_setup: return "media_setup";
    case timer_kind::device_deadline: return "device_deadline";
    case timer_kind::reconnect_grace: return "reconnect_grace";
    case timer_kind::absent_member: return "absent_member";
    case timer_kind::journal_flush: return "journal_flush";
    case timer_kind::speakers: return "speakers";
    case timer_kind::join_deadline: return "join_deadline";
  }
  return "unknown";
}

const char* to_string(call_outcome x) {
  switch (x) {
    case call_outcome::connected: return "connected";
    case call_outcome::rejected: return "rejected";
    case call_outcome::cancelled: return "cancelled";
    case call_outcome::busy: return "busy";
    case call_outcome::ring_timeout: return "ring_timeout";
    case call_outcome::media_timeout: return "media_timeout";
    case call_outcome::hangup: return "hangup";
    case call_outcome::peer_dropped: return "peer_dropped";
    case call_outcome::failed: return "failed";
  }
  return "unknown";
}

const char* to_string(member_state x) {
  switch (x) {
    case member_state::alive: return "alive";
    case member_state::suspect: return "suspect";
    case member_state::dead: return "dead";
    case member_state::left: return "left";
  }
  return "?";
}

} // namespace lamplight::actors
