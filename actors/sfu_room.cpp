#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/errors.hpp"
#include "actors/photo_receiver.hpp"
#include "actors/sfu_room.hpp"
#include "actors/track_media.hpp"

namespace lamplight::actors {

namespace {

/// lamplight's own SFU as a provider: the room is the classroom's share of
/// one media worker (track_media), placed on the least loaded worker when
/// the classroom starts, so that all its routes stay on one thread.
struct sfu_room_state {
  track_media media;
  static inline const char* name = "lamplight.sfu_room";
};

using sfu_self = rtc_room_actor::stateful_pointer<sfu_room_state>;

rtc_room_actor::behavior_type sfu_room_impl(sfu_self self, std::shared_ptr<media::media_worker> worker,
                                            rtc_room_spec spec) {
  self->state.media = track_media(worker);
  if (spec.photos) {
    auto receiver = spawn_photo_receiver(self->system(),
                                         {spec.tenant, spec.classroom_id, spec.photos, worker});
    self->link_to(receiver);
    self->state.media.set_photo_receiver(receiver);
  }
  return {
    [=](atoms::publish, const std::string& track, const std::string& owner,
        const std::string& offer) -> caf::result<std::string> {
      auto answer = self->state.media.publish(track, owner, offer);
      if (!answer)
        return make_error(answer.err().code, answer.err().message);
      return *answer;
    },
    [=](atoms::subscribe, const std::string& track, const std::string& who,
        const std::string& offer, signal::Layer layer) -> caf::result<rtc_negotiation> {
      auto answer = self->state.media.subscribe(track, who, offer, layer);
      if (!answer)
        return make_error(answer.err().code, answer.err().message);
      return rtc_negotiation{*answer, false};
    },
    [=](atoms::answer, const std::string&, const std::string&,
        const std::string&) -> caf::result<caf::ok_atom> {
      // This SFU answers subscribers' offers; it never offers.
      return make_error(protocol::errc::wrong_state, "this room made no offer to answer");
    },
    [=](atoms::layer, const std::string& track, const std::string& who, signal::Layer layer) {
      self->state.media.set_layer(track, who, layer);
    },
    [=](atoms::unsub, const std::string& track, const std::string& who) {
      self->state.media.unsubscribe(track, who);
    },
    [=](atoms::unpublish, const std::string& track) { self->state.media.unpublish(track); },
    [=](atoms::drop, const std::string& who) { self->state.media.drop_member(who); },
    [=](caf::get_atom) {
      auto c = self->state.media.counts();
      return rtc_room_stats{to_string(rtc_provider_kind::sfu), c.first, c.second};
    },
    [=](atoms::close) { self->quit(); },
  };
}

} // namespace

rtc_room_actor spawn_sfu_room(caf::actor_system& sys, std::shared_ptr<media::media_worker> worker,
                              rtc_room_spec spec) {
  return sys.spawn(sfu_room_impl, std::move(worker), std::move(spec));
}

} // namespace lamplight::actors
