#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/rtc/media_placer.hpp"
#include "actors/rtc/rtc_room.hpp"

namespace lamplight::media {
class worker_pool;
}

namespace lamplight::actors {

/// Which provider serves a classroom's media room; chosen when the classroom
/// is created and journaled with it.
enum class rtc_provider_kind : uint8_t { sfu, janus };

const char* to_string(rtc_provider_kind x);
/// "sfu" | "janus"; false for anything else.
bool from_string(const std::string& text, rtc_provider_kind& out);

/// Where a node's classrooms get their media rooms.
struct rtc_provider_config {
  /// Classrooms that do not name a provider get this one.
  rtc_provider_kind default_kind = rtc_provider_kind::sfu;
  /// The node's own SFU; without it the sfu provider is unavailable.
  std::shared_ptr<media::worker_pool> sfu;
  /// Where the own SFU's rooms report what they forward; empty: nowhere.
  forwarded_bytes_sink forwarded;
  /// A Janus WebSocket API endpoint (its websockets transport); port 0: none.
  std::string janus_host = "127.0.0.1";
  uint16_t janus_port = 0;
  /// Admin key for creating VideoRoom rooms, if the Janus requires one.
  std::string janus_room_secret;

  /// In a cluster: the node's cluster actor, which places each member's
  /// media on a media node (atoms::place); the sfu provider then serves a
  /// classroom from as many media nodes as its members need, with pipes
  /// between them (media_router.hpp). Unset: this node's own SFU.
  media_placer_actor media_placer;

  bool offers(rtc_provider_kind k) const {
    return k == rtc_provider_kind::sfu ? sfu != nullptr || static_cast<bool>(media_placer) : janus_port != 0;
  }
};

/// Spawns the room of one classroom on `kind`; errc::unavailable when this
/// node has no such provider.
caf::expected<rtc_room_actor> spawn_rtc_room(caf::actor_system& sys, const rtc_provider_config& cfg,
                                             rtc_provider_kind kind, rtc_room_spec spec);

} // namespace lamplight::actors
