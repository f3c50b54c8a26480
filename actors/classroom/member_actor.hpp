#pragma once

#include <string>

#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/classroom/session_actor.hpp"

namespace lamplight::actors {

/// A participant as its classroom and its tenant's Q&A dispatcher see it:
/// the holder of one member's seat. participant_actor (participant_actor.hpp)
/// extends it with what its session and its own timers send. The classroom's
/// protocol names seats by this narrow handle, so that the participant's
/// header can include the classroom's (its spawn function takes one).
using member_actor = caf::typed_actor<
  /// Attach a session (first join or reconnect). The first attach joins the
  /// classroom; the reply carries the snapshot the client starts from. A
  /// previously attached session is kicked ("replaced"). A participant that
  /// finds the seat held by another hands its session over this way.
  caf::replies_to<atoms::attach, session_actor>::with<signal::Joined>,

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
  /// Who is speaking now (at most every 300 ms): pushed to the client.
  caf::reacts_to<atoms::speakers, signal::Speakers>,
  /// Removed from the classroom (replaced, closed): tell the session, quit.
  caf::reacts_to<atoms::kick, signal::Error>,
  /// Its media died with a media node (its tracks are unpublished): the
  /// client gets this snapshot as an unasked Joined, and publishes and
  /// subscribes again, as after its classroom moved.
  caf::reacts_to<atoms::resync, signal::ClassroomSnapshot>,

  // -- from the classroom's media room ----------------------------------------
  /// Its subscribe session's next offer (offer_sink_actor, rtc_room.hpp):
  /// pushed to the client, and again to a session that attaches before the
  /// client answered it.
  caf::reacts_to<atoms::offer, signal::SubscribeOffer>,

  // -- from the Q&A dispatcher ------------------------------------------------
  caf::reacts_to<atoms::qna, signal::QnaUpdate>>;

} // namespace lamplight::actors
