#pragma once

#include <cstdint>
#include <memory>

#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/rtc/sfu_room.hpp"

namespace lamplight::media {
class worker_pool;
}

namespace lamplight::actors {

/// One per node with the media role: where classrooms on any node get
/// their legs on this node's media workers (a media router asks it for
/// the members it placed here). Each leg goes on the least loaded worker
/// and lives as long as the router that asked for it.
using media_host_actor = caf::typed_actor<
  /// -> a leg on one of this node's workers, owned by the sender.
  caf::replies_to<atoms::leg, media_leg_spec>::with<media_leg_actor>,
  /// Peers on this node's workers: its load, for placement.
  caf::replies_to<caf::get_atom>::with<uint32_t>>;

/// Its legs report what they forward to `forwarded` (if set).
media_host_actor spawn_media_host(caf::actor_system& sys, std::shared_ptr<media::worker_pool> pool,
                                  forwarded_bytes_sink forwarded = {});

/// The peers of a pool's workers (what a media node reports as its load).
uint32_t media_load(const media::worker_pool& pool);

} // namespace lamplight::actors
