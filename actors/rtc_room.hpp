#pragma once

#include <cstdint>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/messages.hpp"
#include "actors/photo_store.hpp"

namespace lamplight::media {
class worker_pool;
}

namespace lamplight::actors {

/// The RTC middleware: one media room per classroom, served by a provider.
/// The classroom keeps the control state (who may publish or watch what,
/// calls, device control) and asks its room only to negotiate and program
/// media; it never learns which provider serves it. Providers: lamplight's
/// own SFU (actors/sfu_room.hpp) and a Janus VideoRoom (actors/janus_room.hpp).
enum class rtc_provider_kind : uint8_t { sfu, janus };

const char* to_string(rtc_provider_kind x);
/// "sfu" | "janus"; false for anything else.
bool from_string(const std::string& text, rtc_provider_kind& out);

/// What a provider made of a subscription: its answer to the client's
/// offer, or (server_offer) an offer of its own that the client answers
/// with atoms::answer. Janus's VideoRoom always offers to subscribers.
struct rtc_negotiation {
  std::string sdp;
  bool server_offer = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rtc_negotiation& x) {
  return f(caf::meta::type_name("lamplight.rtc_negotiation"), x.sdp, x.server_offer);
}

/// A room's counters, for operators and tests.
struct rtc_room_stats {
  std::string provider;
  uint32_t publishers = 0;     // published tracks with a media leg
  uint32_t subscriptions = 0;  // subscriber legs (negotiated or waiting for an answer)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rtc_room_stats& x) {
  return f(caf::meta::type_name("lamplight.rtc_room_stats"), x.provider, x.publishers,
           x.subscriptions);
}

/// The message protocol of a media room. Requests that negotiate reply
/// with SDP or a typed error (bad_request for SDP the provider refuses,
/// unavailable when the provider cannot be reached, timeout); the others
/// are fire-and-forget and ordered after what the same classroom sent
/// before them.
using rtc_room_actor = caf::typed_actor<
  /// track id, owner, the publisher's offer -> the provider's answer.
  caf::replies_to<atoms::publish, std::string, std::string, std::string>::with<std::string>,
  /// track id, subscriber, the subscriber's offer, preferred layer.
  caf::replies_to<atoms::subscribe, std::string, std::string, std::string,
                  signal::Layer>::with<rtc_negotiation>,
  /// track id, subscriber, the subscriber's answer to a server offer.
  caf::replies_to<atoms::answer, std::string, std::string, std::string>::with<caf::ok_atom>,
  /// track id, subscriber, layer.
  caf::reacts_to<atoms::layer, std::string, std::string, signal::Layer>,
  /// track id, subscriber.
  caf::reacts_to<atoms::unsub, std::string, std::string>,
  /// track id.
  caf::reacts_to<atoms::unpublish, std::string>,
  /// member identity: everything it published or watches.
  caf::reacts_to<atoms::drop, std::string>,
  caf::replies_to<caf::get_atom>::with<rtc_room_stats>,
  /// member identity, the node (caf::to_string of its node_id) its
  /// participant runs on, near which its media is best placed; rooms that
  /// serve everyone from one place ignore it.
  caf::reacts_to<atoms::place, std::string, std::string>,
  /// The classroom is gone: release everything and quit.
  caf::reacts_to<atoms::close>>;

/// Where a node's classrooms get their media rooms.
struct rtc_provider_config {
  /// Classrooms that do not name a provider get this one.
  rtc_provider_kind default_kind = rtc_provider_kind::sfu;
  /// The node's own SFU; without it the sfu provider is unavailable.
  std::shared_ptr<media::worker_pool> sfu;
  /// A Janus WebSocket API endpoint (its websockets transport); port 0: none.
  std::string janus_host = "127.0.0.1";
  uint16_t janus_port = 0;
  /// Admin key for creating VideoRoom rooms, if the Janus requires one.
  std::string janus_room_secret;

  /// In a cluster: the node's cluster actor, which places each member's
  /// media on a media node (atoms::place); the sfu provider then serves a
  /// classroom from as many media nodes as its members need, with pipes
  /// between them (actors/media_router.hpp). Unset: this node's own SFU.
  caf::actor media_placer;

  bool offers(rtc_provider_kind k) const {
    return k == rtc_provider_kind::sfu ? sfu != nullptr || media_placer != nullptr : janus_port != 0;
  }
};

/// Everything a room needs to know about its classroom.
struct rtc_room_spec {
  std::string tenant;
  std::string classroom_id;
  /// Where the photos lamps upload on their "lamplight.photo" channel are
  /// stored. Only the sfu provider terminates data channels; Janus relays
  /// them between its own peers, so its rooms take no photo uploads.
  std::shared_ptr<photo_store> photos;
  /// Media lost with a media node (a routed room only): the room, the
  /// members whose published tracks or subscriptions were there, and those
  /// tracks. Called in the room's actor; it must only send.
  std::function<void(const rtc_room_actor&, std::vector<std::string>, std::vector<std::string>)>
    on_media_lost;
};

/// Spawns the room of one classroom on `kind`; errc::unavailable when this
/// node has no such provider.
caf::expected<rtc_room_actor> spawn_rtc_room(caf::actor_system& sys, const rtc_provider_config& cfg,
                                             rtc_provider_kind kind, rtc_room_spec spec);

} // namespace lamplight::actors
