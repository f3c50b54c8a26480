#pragma once

#include <memory>

#include "actors/rtc/photo_receiver.hpp"
#include "actors/rtc/rtc_room.hpp"

namespace lamplight::media {
class media_worker;
}

namespace lamplight::actors {

/// A classroom's share of one media worker, as a media node serves it to a
/// classroom on another node (media_router.hpp): the rtc room
/// protocol for the members whose media is placed on this worker, plus the
/// pipes that carry tracks between workers (a track published here and
/// watched on other media nodes crosses once to each of them).
using media_leg_actor = rtc_room_actor::extend<
  /// Where other workers send this worker's pipes.
  caf::replies_to<atoms::pipe, caf::get_atom>::with<media::media_worker::pipe_endpoint>,
  /// track id, the receiving worker: sends the track into the pipe there.
  caf::replies_to<atoms::pipe, atoms::publish, std::string,
                  media::media_worker::pipe_endpoint>::with<media::piped_track>,
  /// track id, owner, what the sending worker said: serves the track here.
  caf::replies_to<atoms::pipe, atoms::subscribe, std::string, std::string,
                  media::piped_track>::with<caf::ok_atom>,
  /// From the worker thread: a photo channel message (media peer, lamp,
  /// binary?, bytes), passed to the classroom's photo receiver.
  caf::reacts_to<atoms::photo, uint64_t, std::string, bool, std::string>>;

/// What a media leg serves: its classroom, and where the photos its lamps
/// upload go (invalid: none).
struct media_leg_spec {
  std::string tenant;
  std::string classroom_id;
  photo_receiver_actor photos;
  speech_sink_actor speech;  // rtc_room_spec::speech
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_leg_spec& x) {
  return f(caf::meta::type_name("lamplight.media_leg_spec"), x.tenant, x.classroom_id, x.photos,
           x.speech);
}

/// lamplight's own SFU as a media room provider on this node: a leg with
/// its own photo receiver (stored in spec.photos). The classroom's room
/// when it is not in a cluster. What it sends the classroom's clients goes
/// to `forwarded` (if set).
rtc_room_actor spawn_sfu_room(caf::actor_system& sys, std::shared_ptr<media::media_worker> worker,
                              rtc_room_spec spec, forwarded_bytes_sink forwarded = {});

/// A leg for a classroom elsewhere (a media node's media host spawns it).
/// It ends when `owner` (the classroom's router) does, or says close.
media_leg_actor spawn_media_leg(caf::actor_system& sys,
                                std::shared_ptr<media::media_worker> worker, media_leg_spec spec,
                                caf::actor_addr owner, forwarded_bytes_sink forwarded = {});

} // namespace lamplight::actors
