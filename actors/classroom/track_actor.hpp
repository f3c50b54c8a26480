#pragma once

#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/rtc/rtc_room.hpp"

namespace lamplight::actors {

/// One per published track, spawned by its classroom once the media room
/// forwards it (its owner's publish session, which the classroom
/// negotiates with the room, carries it): the one owner of the track's
/// subscribers and the layer each prefers, which it programs in the room
/// (track -> room -> provider: for lamplight's SFU, the leg's
/// media::track_media -> media worker -> forwarder), and the one that
/// takes the track's media out of the room when it closes. What members
/// see of a track (published, muted, unpublished) is the classroom's
/// journaled model; the classroom checks roles before it asks the track.
/// A track published without media (no room, or no SDP) keeps its
/// subscribers as control state only.
using track_actor = caf::typed_actor<
  /// subscriber, preferred layer, where its session's offers go -> ok
  /// once the track is in the subscriber's subscribe session (the room
  /// offers it to the sink). Subscribing again changes the layer only. A
  /// track without media keeps the subscriber as control state only.
  caf::replies_to<atoms::subscribe, std::string, signal::Layer,
                  offer_sink_actor>::with<caf::ok_atom>,
  /// subscriber. errc::not_found if it does not subscribe.
  caf::replies_to<atoms::unsub, std::string>::with<caf::ok_atom>,
  /// subscriber, layer. errc::not_found if it does not subscribe.
  caf::replies_to<atoms::layer, std::string, signal::Layer>::with<caf::ok_atom>,
  caf::replies_to<atoms::mute, bool>::with<caf::ok_atom>,
  /// A member left: it subscribes no more (no error if it did not).
  caf::reacts_to<atoms::drop, std::string>,
  /// The track and its subscribers' identities.
  caf::replies_to<caf::get_atom>::with<signal::TrackInfo, std::vector<std::string>>,
  /// Unpublished: its media leaves the room, subscribers are dropped, quit.
  caf::replies_to<atoms::close>::with<caf::ok_atom>>;

/// Spawns the track actor for `info` (owner, kind, source, ...) whose media
/// the classroom's media room `room` forwards (invalid: no media for it).
track_actor spawn_track(caf::actor_system& sys, signal::TrackInfo info, rtc_room_actor room);

} // namespace lamplight::actors
