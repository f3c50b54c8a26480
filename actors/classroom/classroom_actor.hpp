#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/classroom/member_actor.hpp"
#include "actors/classroom/session_actor.hpp"
#include "actors/rtc/rtc_provider.hpp"
#include "backend/history_writer.hpp"
#include "storage/photo_store.hpp"

namespace lamplight::actors {

/// One per classroom: membership, roles and permissions, mode and capacity,
/// hand queue, calls in progress, whiteboard, tracks; every change is a
/// signal::ClassroomEvent appended to the journal, applied to the
/// protocol::classroom_model and sent as a delta to every participant that may
/// see it. Requests carry the sender's identity and must come from that
/// identity's registered participant (errc::permission_denied otherwise).
/// Each group of handlers below lives in a file of its own
/// (classroom_<group>.cpp); classroom_actor.cpp assembles them.
using classroom_actor = caf::typed_actor<
  // -- membership ------------------------------------------------------------
  /// Join with the member's claims and its participant. Replies the snapshot
  /// for that member and the participant that holds the seat: the one given,
  /// or the live participant already holding that identity's seat (the caller
  /// then attaches there). Errors: classroom_full, tenant_mismatch, wrong_state
  /// (closed), bad_request (claims for another classroom).
  caf::replies_to<atoms::join, protocol::token_claims, member_actor>::with<
    signal::ClassroomSnapshot, member_actor>,
  /// identity, reason.
  caf::replies_to<atoms::leave, std::string, std::string>::with<caf::ok_atom>,
  /// identity, online.
  caf::reacts_to<atoms::presence, std::string, bool>,

  // -- hands (sender identity first) -----------------------------------------
  /// A student raises or lowers its own hand; a teacher or assistant accepts
  /// or dismisses one (the oldest if the body names no student). Errors:
  /// permission_denied, wrong_state (already raised, not raised), not_found
  /// (no such raised hand).
  caf::replies_to<atoms::hand, std::string, signal::RaiseHand>::with<caf::ok_atom>,
  caf::replies_to<atoms::hand, std::string, signal::LowerHand>::with<caf::ok_atom>,
  caf::replies_to<atoms::hand, std::string, signal::AcceptHand>::with<caf::ok_atom>,
  caf::replies_to<atoms::hand, std::string, signal::DismissHand>::with<caf::ok_atom>,

  // -- calls -----------------------------------------------------------------
  /// call_id, caller, callee: checks roles and presence, rings the callee.
  /// ok once the callee rings; errors: permission_denied, not_found, busy,
  /// unavailable.
  caf::replies_to<atoms::invite, std::string, std::string, std::string>::with<caf::ok_atom>,
  /// call_id, sender, signal: relays to the other party, records the phase.
  caf::reacts_to<atoms::call, std::string, std::string, protocol::call_signal>,

  // -- device control ----------------------------------------------------------
  /// sender, command: checks roles and target, hands it to the lamp's
  /// participant; replies the command id.
  caf::replies_to<atoms::device, std::string, signal::DeviceCommand>::with<std::string>,
  /// From the target's participant: forwarded to the requester; a done
  /// camera/screen switch becomes a DeviceChanged event.
  caf::reacts_to<atoms::outcome, signal::DeviceOutcome>,

  // -- whiteboard ------------------------------------------------------------
  /// sender, op: replies the event seq it got. Errors: permission_denied,
  /// bad_request (an op protocol::validate refuses).
  caf::replies_to<atoms::board, std::string, signal::WhiteboardOp>::with<uint64_t>,

  // -- stream control ----------------------------------------------------------
  /// Checked here (roles, visibility, journal), then asked of the track's
  /// own actor, which programs the media room (track_actor.hpp). Errors:
  /// permission_denied, not_found (no such track, or one the sender may
  /// not see), already_exists (that source is published), bad_request,
  /// unavailable (no media here), and the media room's.
  /// sender, an offer of its publish session (stream.proto's Publish):
  /// negotiated with the media room first, then the tracks its sections no
  /// longer publish are unpublished and the new ones published (journaled).
  /// Also wrong_state while the sender's previous Publish is under way.
  caf::replies_to<atoms::publish, std::string, signal::Publish>::with<signal::Published>,
  caf::replies_to<atoms::unpublish, std::string, signal::Unpublish>::with<caf::ok_atom>,
  /// The track goes into the sender's subscribe session (one connection
  /// for all it watches, offered by the media room): ok, and the room's
  /// offer reaches the sender's participant (atoms::offer) on its own.
  caf::replies_to<atoms::subscribe, std::string, signal::Subscribe>::with<caf::ok_atom>,
  /// The client's answer to its session's offer, to the media room:
  /// wrong_state (not the offer in flight), bad_request (does not fit it).
  caf::replies_to<atoms::answer, std::string, signal::SubscribeAnswer>::with<caf::ok_atom>,
  caf::replies_to<atoms::unsub, std::string, signal::Unsubscribe>::with<caf::ok_atom>,
  caf::replies_to<atoms::mute, std::string, signal::Mute>::with<caf::ok_atom>,
  caf::replies_to<atoms::layer, std::string, signal::PreferLayer>::with<caf::ok_atom>,

  // -- the tenant's backend (server API) ---------------------------------------
  /// Sent by the node's server API for the institution, never by a
  /// participant (so no sender identity). MemberLeft{identity, reason}: the
  /// member is kicked (errc::permission_denied, "removed by the
  /// institution: <reason>") and leaves as if it had: its calls, tracks and
  /// seat go. It may join again with a valid token. Errors: not_found.
  caf::replies_to<atoms::moderate, signal::MemberLeft>::with<caf::ok_atom>,
  /// Mutes or unmutes any member's track, as staff would (its owner may
  /// unmute it again). Errors: not_found (no such track).
  caf::replies_to<atoms::moderate, signal::Mute>::with<caf::ok_atom>,
  /// command, on behalf of: a device command as that member's own (a
  /// teacher or assistant of the classroom, connected or not; outcomes go
  /// to it if connected, a photo is taken by it); replies the command id.
  /// Errors: not_found (no such member or target), permission_denied (not a
  /// teacher or assistant), and those of a device command above.
  caf::replies_to<atoms::moderate, signal::DeviceCommand, std::string>::with<std::string>,

  // -- state -----------------------------------------------------------------
  /// Snapshot for a viewer identity; "" for the full state (shell, tests).
  caf::replies_to<caf::get_atom, std::string>::with<signal::ClassroomSnapshot>,
  /// A watcher (shell) gets every event pushed; replies the full snapshot.
  caf::replies_to<atoms::watch, session_actor>::with<signal::ClassroomSnapshot>,
  /// Close: kick everyone, flush and close the journal, quit.
  caf::replies_to<atoms::close, std::string>::with<caf::ok_atom>,
  /// fdatasync the journal now.
  caf::replies_to<atoms::flush>::with<caf::ok_atom>,
  /// From its media room: members whose media died with a media node, and
  /// the tracks that died. Those members' tracks are unpublished and they
  /// are told to publish and subscribe again.
  caf::reacts_to<atoms::resync, std::vector<std::string>, std::vector<std::string>>,
  /// From its media room (speech_sink_actor, rtc_room.hpp): a microphone
  /// track started or stopped being voiced (track id, speaking?, level).
  /// Members and watchers get the classroom's Speakers when it changed, at
  /// most every `speakers_interval`; unknown tracks are ignored.
  caf::reacts_to<atoms::speaking, std::string, bool, uint8_t>,

  // -- own timers --------------------------------------------------------------
  caf::reacts_to<atoms::timeout, timer_kind, std::string, uint64_t>>;

/// Where a classroom reports how its calls turn out (the node's directory,
/// for its metrics): one message per counted event, none on the packet path.
using call_tally_actor = caf::typed_actor<caf::reacts_to<atoms::tally, call_outcome>>;

/// Where a classroom says how long its journal is now ("tenant/classroom",
/// bytes, closed?), to copy it to another node (the node's replicator).
using journal_sink_actor =
  caf::typed_actor<caf::reacts_to<atoms::replicate, std::string, uint64_t, bool>>;

/// How a classroom starts.
struct classroom_config {
  classroom_spec spec;
  /// The journal file. Existing: the classroom is rebuilt from it (and `spec`
  /// must match); absent: created, with a ClassroomCreated event first.
  std::filesystem::path journal_path;
  /// Seat kept for members found in a rebuilt journal until they rejoin.
  caf::timespan absent_grace = std::chrono::seconds(30);
  /// fdatasync period; every event is written (survives a process crash) at
  /// once, this bounds what a power loss can take.
  caf::timespan flush_interval = std::chrono::milliseconds(200);
  /// The shortest time between two Speakers pushes: a class of 200 where
  /// students talk over each other costs its clients a few messages a
  /// second, not one per voiced word.
  caf::timespan speakers_interval = std::chrono::milliseconds(300);
  /// Default device command deadline.
  caf::timespan device_deadline = std::chrono::seconds(10);
  /// The node's media providers; the classroom's room comes from
  /// spec.provider (empty: the node's default). Without one, tracks are
  /// control state only and Publish/Subscribe with SDP get errc::unavailable.
  rtc_provider_config rtc;
  /// Where homework photos go; the media room takes its lamps' photo uploads
  /// there and the classroom checks each photo command's result against it.
  std::shared_ptr<storage::photo_store> photos;
  /// Told of every journal append, to copy it to another node (invalid:
  /// the journal stays on this node only).
  journal_sink_actor replicator;
  /// Told how each call turns out (invalid: nobody counts).
  call_tally_actor tally;
  /// Given every event as it is journaled, for the tenant's history and
  /// webhooks (nullptr: none kept). It only queues: a slow or absent
  /// database never holds the classroom up.
  std::shared_ptr<backend::history_writer> history;
  /// Rebuilt from a replica because its node died or left: running calls
  /// go on while their parties come back (after a restart of the same
  /// node they end: their participants died with it).
  bool adopted = false;
};

/// Spawns a classroom; errors (unreadable journal, spec mismatch) are returned
/// before any actor starts.
caf::expected<classroom_actor> spawn_classroom(caf::actor_system& sys, classroom_config cfg);

} // namespace lamplight::actors
