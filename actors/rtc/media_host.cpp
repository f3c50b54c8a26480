#include "actors/rtc/media_host.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "media/worker_pool.hpp"

namespace lamplight::actors {

uint32_t media_load(const media::worker_pool& pool) {
  std::size_t n = 0;
  for (const auto& w : pool.workers())
    n += w->peer_count();
  return static_cast<uint32_t>(n);
}

namespace {

media_host_actor::behavior_type media_host_impl(media_host_actor::pointer self,
                                                std::shared_ptr<media::worker_pool> pool,
                                                forwarded_bytes_sink forwarded) {
  return {
    [=](atoms::leg, media_leg_spec& spec) {
      auto owner = caf::actor_cast<caf::actor_addr>(self->current_sender());
      return spawn_media_leg(self->system(), pool->place(), std::move(spec), owner, forwarded);
    },
    [=](caf::get_atom) { return media_load(*pool); },
  };
}

} // namespace

media_host_actor spawn_media_host(caf::actor_system& sys, std::shared_ptr<media::worker_pool> pool,
                                  forwarded_bytes_sink forwarded) {
  // With its argument: CAF 0.17 binds a lambda's empty argument pack through
  // a null pointer (UBSan reports it).
  return sys.spawn(media_host_impl, std::move(pool), std::move(forwarded));
}

} // namespace lamplight::actors
