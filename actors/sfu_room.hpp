#pragma once

#include <memory>

#include "actors/rtc_room.hpp"

namespace lamplight::media {
class media_worker;
}

namespace lamplight::actors {

/// lamplight's own SFU as a media room provider: the classroom's share of
/// one media worker. Takes the lamps' photo uploads off their data channels.
rtc_room_actor spawn_sfu_room(caf::actor_system& sys, std::shared_ptr<media::media_worker> worker,
                              rtc_room_spec spec);

} // namespace lamplight::actors
