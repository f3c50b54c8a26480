#pragma once

#include "actors/rtc/rtc_provider.hpp"

namespace lamplight::actors {

/// A Janus VideoRoom as a media room provider, driven over Janus's
/// WebSocket API (cfg.janus_host/janus_port). Each member's subscribe
/// session is one multistream subscriber handle, whose offers (Janus
/// always offers to subscribers) go to the member's sink. Without a
/// reachable Janus every negotiation fails with errc::unavailable (the
/// room itself stays up and answers).
rtc_room_actor spawn_janus_room(caf::actor_system& sys, rtc_provider_config cfg, rtc_room_spec spec);

} // namespace lamplight::actors
