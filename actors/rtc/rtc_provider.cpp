#include "actors/rtc/rtc_provider.hpp"

#include "actors/base/errors.hpp"
#include "actors/rtc/janus_room.hpp"
#include "actors/rtc/media_router.hpp"
#include "actors/rtc/sfu_room.hpp"
#include "media/worker_pool.hpp"

namespace lamplight::actors {

signal::Published published_answer(const signal::Publish& offer, std::string answer) {
  signal::Published out;
  out.set_sdp(std::move(answer));
  for (const auto& t : offer.tracks()) {
    auto* st = out.add_tracks();
    st->set_mid(t.mid());
    st->set_track_id(t.track_id());
  }
  return out;
}

const char* to_string(rtc_provider_kind x) {
  switch (x) {
    case rtc_provider_kind::sfu: return "sfu";
    case rtc_provider_kind::janus: return "janus";
  }
  return "?";
}

bool from_string(const std::string& text, rtc_provider_kind& out) {
  if (text == "sfu")
    out = rtc_provider_kind::sfu;
  else if (text == "janus")
    out = rtc_provider_kind::janus;
  else
    return false;
  return true;
}

caf::expected<rtc_room_actor> spawn_rtc_room(caf::actor_system& sys, const rtc_provider_config& cfg,
                                             rtc_provider_kind kind, rtc_room_spec spec) {
  if (!cfg.offers(kind))
    return make_error(protocol::errc::unavailable,
                      std::string("this node has no ") + to_string(kind) + " media provider");
  if (kind == rtc_provider_kind::janus)
    return spawn_janus_room(sys, cfg, std::move(spec));
  if (cfg.media_placer)
    return spawn_media_router(sys, cfg.media_placer, std::move(spec));
  return spawn_sfu_room(sys, cfg.sfu->place(), std::move(spec), cfg.forwarded);
}

} // namespace lamplight::actors
