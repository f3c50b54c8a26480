#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/messages.hpp"
#include "actors/session_actor.hpp"

namespace lamplight::actors {

/// One per connected person or lamp in a classroom. Owns its side of the call
/// state machine (protocol::call_machine), its device state (camera, screen)
/// and the device commands addressed to it with their deadlines. Lives as
/// long as its seat: a lost session keeps it for the reconnect grace, then it
/// hangs up (peer_dropped for the other side), leaves and quits.
using participant_actor = caf::typed_actor<
  // -- from a session (gateway or bot) ---------------------------------------
  /// Attach a session (first join or reconnect). The first attach joins the
  /// classroom; the reply carries the snapshot the client starts from. A
  /// previously attached session is kicked ("replaced").
  caf::replies_to<atoms::attach, session_actor>::with<signal::Joined>,
  /// That session's connection closed: start the reconnect grace.
  caf::reacts_to<atoms::detach, session_actor>,
  /// One client request; the reply is the response to send back (its result
  /// or an Error with the same request_id). Join is the session's, not ours.
  caf::replies_to<atoms::client, signal::ClientMessage>::with<signal::ServerMessage>,

  // -- from the classroom ----------------------------------------------------
  /// A classroom event this participant may see: pushed to the client.
  caf::reacts_to<atoms::delta, signal::ClassroomEvent>,
  /// Incoming call (call_id, caller identity, caller display name). Replies
  /// ok when ringing; errc::busy when already in a call.
  caf::replies_to<atoms::ring, std::string, std::string, std::string>::with<caf::ok_atom>,
  /// The peer's move in call `call_id` (relayed by the classroom).
  caf::reacts_to<atoms::call, std::string, protocol::call_signal>,
  /// A device command for this lamp. ok when handed to the client;
  /// errc::unavailable when no session is attached.
  caf::replies_to<atoms::device, signal::DeviceRequest>::with<caf::ok_atom>,
  /// How a command this participant sent is doing.
  caf::reacts_to<atoms::outcome, signal::DeviceOutcome>,
  /// Removed from the classroom (replaced, closed): tell the session, quit.
  caf::reacts_to<atoms::kick, signal::Error>,
  /// Its media died with a media node (its tracks are unpublished): the
  /// client gets this snapshot as an unasked Joined, and publishes and
  /// subscribes again, as after its classroom moved.
  caf::reacts_to<atoms::resync, signal::ClassroomSnapshot>,

  // -- from the Q&A dispatcher ------------------------------------------------
  caf::reacts_to<atoms::qna, signal::QnaUpdate>,

  // -- own timers (kind, subject: call or command id, generation) ------------
  caf::reacts_to<atoms::timeout, timer_kind, std::string, uint64_t>,

  // -- inspection ------------------------------------------------------------
  /// Its own view: identity, role, presence, call, camera, screen.
  caf::replies_to<caf::get_atom>::with<signal::Member>,
  /// Own timer: look for the classroom again (attempt number) after its
  /// node died.
  caf::reacts_to<atoms::retry, int32_t>>;

} // namespace lamplight::actors
