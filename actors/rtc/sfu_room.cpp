#include "actors/rtc/sfu_room.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "actors/rtc/rtc_provider.hpp"
#include "media/track_media.hpp"
#include "protocol/photo_transfer.hpp"

namespace lamplight::actors {

namespace {

/// A photo chunk may wait on the receiver's fsync (on another node).
constexpr auto photo_timeout = std::chrono::seconds(30);

/// lamplight's own SFU as a provider: the room is the classroom's share of
/// one media worker (track_media), placed on the least loaded worker when
/// the classroom starts, so that all its routes stay on one thread.
struct sfu_room_state {
  media::track_media media;
  /// Where each subscriber's session offers go (its participant).
  std::map<std::string, offer_sink_actor> sinks;
  photo_receiver_actor photos;
  bool owns_photos = false;  // spawned it, so ends it
  static inline const char* name = "lamplight.sfu_room";
};

using sfu_self = media_leg_actor::stateful_pointer<sfu_room_state>;

/// Sends `who`'s next session offer to its sink, if one is due (changes
/// made and no offer waiting for its answer).
void offer_to(sfu_self self, const std::string& who) {
  auto& st = self->state;
  auto sink = st.sinks.find(who);
  if (sink == st.sinks.end())
    return;
  auto o = st.media.next_offer(who);
  if (!o)
    return;
  signal::SubscribeOffer out;
  out.set_session(o->session);
  out.set_version(o->version);
  out.set_sdp(std::move(o->sdp));
  for (auto& [mid, track] : o->tracks) {
    auto* t = out.add_tracks();
    t->set_mid(mid);
    t->set_track_id(track);
  }
  self->send(sink->second, atoms::offer::value, std::move(out));
}

void offer_to(sfu_self self, const std::vector<std::string>& who) {
  for (const auto& w : who)
    offer_to(self, w);
}

media_leg_actor::behavior_type sfu_room_impl(sfu_self self,
                                             std::shared_ptr<media::media_worker> worker,
                                             media_leg_spec spec, bool owns_photos,
                                             caf::actor_addr owner, forwarded_bytes_sink forwarded) {
  auto& st = self->state;
  media::track_media::byte_meter meter;
  if (forwarded)
    meter = [forwarded, tenant = spec.tenant, classroom = spec.classroom_id](uint64_t bytes) {
      forwarded(tenant, classroom, bytes);
    };
  st.media = media::track_media(worker, std::move(meter));
  if (spec.speech)
    // Straight from the worker thread: the classroom checks the track.
    st.media.on_speech([sink = spec.speech](const std::string& track, bool speaking, uint8_t level) {
      caf::anon_send(sink, atoms::speaking::value, track, speaking, level);
    });
  st.photos = spec.photos;
  st.owns_photos = owns_photos;
  if (st.photos) {
    // From the worker thread: hand over to this actor, which keeps the
    // chunks of one upload in order on their way to the receiver.
    auto me = media_leg_actor{self};
    st.media.on_photo([me](uint64_t peer, std::string owner_id, bool binary, std::string data) {
      caf::anon_send(me, atoms::photo::value, peer, std::move(owner_id), binary, std::move(data));
    });
  }
  self->attach_functor([=] {
    if (self->state.owns_photos && self->state.photos)
      caf::anon_send_exit(self->state.photos, caf::exit_reason::user_shutdown);
  });
  if (owner) {
    // The classroom's router is on another node: without it nobody will
    // ever close this leg.
    self->monitor(owner);
    self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  }
  return {
    [=](atoms::publish, const std::string& owner_id,
        const signal::Publish& offer) -> caf::result<signal::Published> {
      std::map<std::string, std::string> named;
      for (const auto& t : offer.tracks())
        named[t.mid()] = t.track_id();
      auto out = self->state.media.publish_offer(owner_id, offer.sdp(), named);
      if (!out)
        return make_error(out.err().code, out.err().message);
      offer_to(self, out->to_offer);
      return published_answer(offer, std::move(out->answer));
    },
    [=](atoms::subscribe, const std::string& track, const std::string& who, signal::Layer layer,
        offer_sink_actor& sink) -> caf::result<caf::ok_atom> {
      if (auto err = self->state.media.watch(track, who, layer); err.code != protocol::errc::none)
        return make_error(err.code, err.message);
      self->state.sinks[who] = std::move(sink);
      offer_to(self, who);
      return caf::ok_atom::value;
    },
    [=](atoms::answer, const std::string& who,
        const signal::SubscribeAnswer& a) -> caf::result<caf::ok_atom> {
      auto err = self->state.media.answer(who, a.session(), a.version(), a.sdp());
      // Taken or refused, the offer is settled: what waited goes next.
      offer_to(self, who);
      if (err.code != protocol::errc::none)
        return make_error(err.code, err.message);
      return caf::ok_atom::value;
    },
    [=](atoms::layer, const std::string& track, const std::string& who, signal::Layer layer) {
      self->state.media.set_layer(track, who, layer);
    },
    [=](atoms::unsub, const std::string& track, const std::string& who) {
      self->state.media.unwatch(track, who);
      offer_to(self, who);
    },
    [=](atoms::unpublish, const std::string& track) {
      offer_to(self, self->state.media.unpublish(track));
    },
    [=](atoms::drop, const std::string& who) {
      self->state.sinks.erase(who);
      offer_to(self, self->state.media.drop_member(who));
    },
    [=](atoms::near, const std::string&, const std::string&) {
      // All of this room's media is on its one worker.
    },
    [=](caf::get_atom) {
      auto c = self->state.media.counts();
      return rtc_room_stats{to_string(rtc_provider_kind::sfu), c.first, c.second};
    },
    [=](atoms::close) { self->quit(); },
    [=](atoms::pipe, caf::get_atom) { return self->state.media.pipe_self(); },
    [=](atoms::pipe, atoms::publish, const std::string& track,
        const media::media_worker::pipe_endpoint& to) -> caf::result<media::piped_track> {
      auto out = self->state.media.pipe_out(track, to);
      if (!out)
        return make_error(out.err().code, out.err().message);
      return *out;
    },
    [=](atoms::pipe, atoms::subscribe, const std::string& track, const std::string& owner_id,
        const media::piped_track& from) -> caf::result<caf::ok_atom> {
      if (auto err = self->state.media.pipe_in(track, owner_id, from); err.code != protocol::errc::none)
        return make_error(err.code, err.message);
      return caf::ok_atom::value;
    },
    [=](atoms::photo, uint64_t peer, const std::string& lamp, bool binary,
        const std::string& data) {
      self->request(self->state.photos, photo_timeout, atoms::photo::value, peer, lamp, binary, data)
        .then(
          [=](const std::string& reply) {
            if (!reply.empty())
              worker->send_data(peer, protocol::photo_channel, false, reply);
          },
          [](caf::error&) {
            // The receiver is gone or slow: the lamp's own timeout, and the
            // classroom's deadline for the command, report it.
          });
    },
  };
}

} // namespace

rtc_room_actor spawn_sfu_room(caf::actor_system& sys, std::shared_ptr<media::media_worker> worker,
                              rtc_room_spec spec, forwarded_bytes_sink forwarded) {
  media_leg_spec leg{spec.tenant, spec.classroom_id, {}, spec.speech};
  if (spec.photos)
    leg.photos = spawn_photo_receiver(sys, {spec.tenant, spec.classroom_id, spec.photos});
  bool owns = static_cast<bool>(leg.photos);
  return sys.spawn(sfu_room_impl, std::move(worker), std::move(leg), owns, caf::actor_addr{},
                   std::move(forwarded));
}

media_leg_actor spawn_media_leg(caf::actor_system& sys,
                                std::shared_ptr<media::media_worker> worker, media_leg_spec spec,
                                caf::actor_addr owner, forwarded_bytes_sink forwarded) {
  return sys.spawn(sfu_room_impl, std::move(worker), std::move(spec), false, std::move(owner),
                   std::move(forwarded));
}

} // namespace lamplight::actors
