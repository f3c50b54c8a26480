#pragma once

#include <string>

#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

namespace lamplight::actors {

/// One per published track. Owns its subscribers, their layer choice, its mute
/// state and (with the media plane) keyframe requests and statistics; it
/// programs the forwarding plane, it never carries packets.
using track_actor = caf::typed_actor<
  /// subscriber identity, preferred layer. errc::already_exists if subscribed.
  caf::replies_to<atoms::subscribe, std::string, signal::Layer>::with<caf::ok_atom>,
  /// errc::not_found if not subscribed.
  caf::replies_to<atoms::unsub, std::string>::with<caf::ok_atom>,
  caf::replies_to<atoms::mute, bool>::with<caf::ok_atom>,
  /// subscriber identity, layer.
  caf::replies_to<atoms::layer, std::string, signal::Layer>::with<caf::ok_atom>,
  /// The track and its subscribers' identities.
  caf::replies_to<caf::get_atom>::with<signal::TrackInfo, std::vector<std::string>>,
  /// Unpublished: drop subscribers and quit.
  caf::replies_to<atoms::close>::with<caf::ok_atom>>;

/// Spawns a track actor for `info` (owner, kind, source, ...).
track_actor spawn_track(caf::actor_system& sys, signal::TrackInfo info);

} // namespace lamplight::actors
