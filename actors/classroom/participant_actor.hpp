#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/classroom/classroom_actor.hpp"
#include "actors/classroom/dispatcher_actor.hpp"
#include "actors/classroom/member_actor.hpp"
#include "actors/classroom/session_actor.hpp"

namespace lamplight::actors {

/// One per connected person or lamp in a classroom. Owns its side of the call
/// state machine (protocol::call_machine), its device state (camera, screen)
/// and the device commands addressed to it with their deadlines. Lives as
/// long as its seat: a lost session keeps it for the reconnect grace, then it
/// hangs up (peer_dropped for the other side), leaves and quits.
/// What its classroom and dispatcher send it is member_actor's protocol.
using participant_actor = member_actor::extend<
  // -- from its session (gateway or bot) --------------------------------------
  /// That session's connection closed: start the reconnect grace.
  caf::reacts_to<atoms::detach, session_actor>,
  /// One client request; the reply is the response to send back (its result
  /// or an Error with the same request_id). Join is the session's, not ours.
  caf::replies_to<atoms::client, signal::ClientMessage>::with<signal::ServerMessage>,

  // -- own timers ----------------------------------------------------------------
  /// kind, subject (call or command id), generation.
  caf::reacts_to<atoms::timeout, timer_kind, std::string, uint64_t>,
  /// Look for the classroom again (attempt number) after its node died.
  caf::reacts_to<atoms::retry, int32_t>,

  // -- inspection ------------------------------------------------------------
  /// Its own view: identity, role, presence, call, camera, screen.
  caf::replies_to<caf::get_atom>::with<signal::Member>>;

/// Where a participant finds its classroom again after the classroom's node
/// died or handed it over (the node's directory): for the same claims, the
/// classroom wherever the cluster rebuilt it.
using classroom_locator_actor =
  caf::typed_actor<caf::replies_to<atoms::open, protocol::token_claims>::with<classroom_actor>>;

struct participant_config {
  protocol::token_claims member;
  classroom_actor classroom;
  /// Its tenant's Q&A dispatcher (invalid: no Q&A).
  dispatcher_actor dispatcher;
  participant_timeouts timeouts;
  /// With a locator, a classroom whose node dies is looked for again (the
  /// cluster rebuilds it elsewhere) and rejoined with the same seat;
  /// without one, the participant ends with its classroom.
  classroom_locator_actor locator;
};

/// Spawns a participant (on any node); it joins on its first attach.
participant_actor spawn_participant(caf::actor_system& sys, participant_config cfg);

} // namespace lamplight::actors
