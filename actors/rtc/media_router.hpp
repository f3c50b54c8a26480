#pragma once

#include <caf/fwd.hpp>

#include "actors/rtc/media_placer.hpp"
#include "actors/rtc/rtc_room.hpp"

namespace lamplight::actors {

/// The sfu provider in a cluster: a classroom's media room spread over the
/// media nodes its members' media is placed on. It lives beside the
/// classroom and speaks the rtc room protocol to it; behind it, one leg
/// (sfu_room.hpp) per media node in use, asked of that node's
/// media host.
///
/// - Placement: each member's media goes to the media node the cluster
///   chooses for it (atoms::place to its media_placer_actor, the cluster actor): the node its
///   participant runs on if that node has the media role (near its
///   gateway), else the least loaded media node. Publishes and
///   subscriptions of a member go to its leg.
/// - Pipes: a subscription on another node than the track's is served from
///   a copy of the track that the track's leg sends into the pipe between
///   the two workers, once per receiving node, whatever the number of its
///   subscribers; RTCP (key frame requests, NACKs) goes back the same way.
/// - A media node that dies takes its legs along: the router tells the
///   classroom (spec.on_media_lost) which members lost media and which
///   tracks are gone, so that they publish and subscribe again; their new
///   legs are placed on the media nodes left.
rtc_room_actor spawn_media_router(caf::actor_system& sys, media_placer_actor placer,
                                  rtc_room_spec spec);

} // namespace lamplight::actors
