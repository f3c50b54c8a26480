#pragma once

#include <cstdint>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "storage/photo_store.hpp"

namespace lamplight::actors {

/// Where a media room sends a member's subscribe-session offers: the
/// member's participant, which pushes each to its client. A room sends an
/// offer only when the one before it was answered (or the session is new),
/// so a sink sees a member's offers in order, one at a time.
using offer_sink_actor = caf::typed_actor<caf::reacts_to<atoms::offer, signal::SubscribeOffer>>;

/// Where a media room says that a published microphone started or stopped
/// being voiced: track id, speaking?, its level (RFC 6464: 0-127 dB below
/// overload, lower is louder). Judged by the provider from the audio levels
/// clients write on their packets, never by decoding; at most one change
/// per track every quarter second. The classroom, which knows whose track
/// it is and tells its clients (classroom_actor.hpp).
using speech_sink_actor
  = caf::typed_actor<caf::reacts_to<atoms::speaking, std::string, bool, uint8_t>>;

/// The RTC middleware: one media room per classroom, served by a provider
/// (rtc_provider.hpp): lamplight's own SFU (sfu_room.hpp, or media_router.hpp
/// in a cluster) or a Janus VideoRoom (janus_room.hpp). The classroom keeps
/// the control state (who may publish or watch what, calls, device
/// control); its track actors ask the room to negotiate and program each
/// track's media; nobody above the room learns which provider serves it.
///
/// The message protocol of a media room. Requests that negotiate reply
/// with SDP or a typed error (bad_request for SDP the provider refuses,
/// unavailable when the provider cannot be reached, timeout); the others
/// are fire-and-forget and ordered after what the same classroom sent
/// before them.
using rtc_room_actor = caf::typed_actor<
  /// owner, an offer of its publish session (one connection for every
  /// track it sends, the client its offerer) naming each sending
  /// section's track (PublishTrack.track_id, set by the classroom) -> the
  /// provider's answer and those tracks. Tracks the owner's session
  /// published before and this offer does not name are unpublished (their
  /// watchers' sessions get offers); a track named again keeps its
  /// watchers, on whatever streams or connection it comes now.
  /// bad_request (nothing changed) for SDP the provider refuses or a named
  /// section that sends nothing.
  caf::replies_to<atoms::publish, std::string, signal::Publish>::with<signal::Published>,
  /// track id, subscriber, preferred layer, where the subscriber's session
  /// offers go -> ok once the track is in the subscriber's subscribe
  /// session (one connection for every track it watches, the provider its
  /// offerer). The room sends the session's next offer, carrying the
  /// track, to `sink` as soon as no earlier offer waits for its answer.
  /// not_found without media for the track; subscribing again changes the
  /// layer only.
  caf::replies_to<atoms::subscribe, std::string, std::string, signal::Layer,
                  offer_sink_actor>::with<caf::ok_atom>,
  /// subscriber, its answer to the session's offer -> ok when taken (the
  /// accepted tracks flow; a next offer, if changes waited, goes to the
  /// sink). wrong_state for another session or version than the offer in
  /// flight; bad_request for an answer that does not fit the offer.
  caf::replies_to<atoms::answer, std::string, signal::SubscribeAnswer>::with<caf::ok_atom>,
  /// track id, subscriber, layer.
  caf::reacts_to<atoms::layer, std::string, std::string, signal::Layer>,
  /// track id, subscriber: the track leaves the subscriber's session with
  /// its next offer (its media stops at once).
  caf::reacts_to<atoms::unsub, std::string, std::string>,
  /// track id: it leaves every session that watched it (each gets an offer).
  caf::reacts_to<atoms::unpublish, std::string>,
  /// member identity: everything it published, and its subscribe session.
  caf::reacts_to<atoms::drop, std::string>,
  caf::replies_to<caf::get_atom>::with<rtc_room_stats>,
  /// member identity, the node (caf::to_string of its node_id) its
  /// participant runs on, near which its media is best placed; rooms that
  /// serve everyone from one place ignore it.
  caf::reacts_to<atoms::near, std::string, std::string>,
  /// The classroom is gone: release everything and quit.
  caf::reacts_to<atoms::close>>;

/// What a room answers a publish: its answer, and the tracks `offer` named.
signal::Published published_answer(const signal::Publish& offer, std::string answer);

/// Where a node's media rooms report the bytes its SFU sent a classroom's
/// clients (usage, for billing): tenant, classroom, bytes since the last
/// report. Called on a media worker's thread: it must only hand over.
using forwarded_bytes_sink
  = std::function<void(const std::string&, const std::string&, uint64_t)>;

/// Everything a room needs to know about its classroom.
struct rtc_room_spec {
  std::string tenant;
  std::string classroom_id;
  /// Where the photos lamps upload on their "lamplight.photo" channel are
  /// stored. Only the sfu provider terminates data channels; Janus relays
  /// them between its own peers, so its rooms take no photo uploads.
  std::shared_ptr<storage::photo_store> photos;
  /// Media lost with a media node (a routed room only): the room, the
  /// members whose published tracks or subscriptions were there, and those
  /// tracks. Called in the room's actor; it must only send.
  std::function<void(const rtc_room_actor&, std::vector<std::string>, std::vector<std::string>)>
    on_media_lost;
  /// Told who is speaking (invalid: nobody listens).
  speech_sink_actor speech;
};

} // namespace lamplight::actors
