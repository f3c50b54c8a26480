#include "actors/classroom/track_actor.hpp"

#include <chrono>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;

/// How long the media room may take to negotiate: Janus waits for a
/// publisher's PeerConnection before it takes a subscription.
constexpr auto rtc_timeout = std::chrono::seconds(15);

struct track_state {
  signal::TrackInfo info;
  rtc_room_actor room;
  /// The room forwards its media (it took its owner's publish session
  /// offer): subscriptions go to the room, closing unpublishes it there.
  bool has_media = false;
  /// subscriber identity -> preferred layer. Ordered: stable listings.
  std::map<std::string, signal::Layer> subscribers;
  static inline const char* name = "lamplight.track";
};

using self_ptr = track_actor::stateful_pointer<track_state>;

caf::error not_subscribed(const std::string& who) {
  return make_error(errc::not_found, who + " does not subscribe");
}

const std::string& id_of(self_ptr self) {
  return self->state.info.track_id();
}

track_actor::behavior_type track_impl(self_ptr self, signal::TrackInfo info, rtc_room_actor room) {
  self->state.info = std::move(info);
  self->state.room = std::move(room);
  self->state.has_media = static_cast<bool>(self->state.room);
  return {
    [=](atoms::subscribe, const std::string& who, signal::Layer layer,
        offer_sink_actor& sink) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (!s.has_media) {
        s.subscribers[who] = layer;  // control state only
        return caf::ok_atom::value;
      }
      // Even when `who` already subscribes: the room takes a known track as
      // a layer change, and puts it back into a session its member lost
      // with a media node.
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->request(s.room, rtc_timeout, atoms::subscribe::value, id_of(self), who, layer, sink)
        .then(
          [=](caf::ok_atom) mutable {
            self->state.subscribers[who] = layer;
            rp.deliver(caf::ok_atom::value);
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](atoms::unsub, const std::string& who) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (s.subscribers.erase(who) == 0)
        return not_subscribed(who);
      if (s.has_media)
        self->send(s.room, atoms::unsub::value, id_of(self), who);
      return caf::ok_atom::value;
    },
    [=](atoms::layer, const std::string& who, signal::Layer layer) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      auto i = s.subscribers.find(who);
      if (i == s.subscribers.end())
        return not_subscribed(who);
      i->second = layer;
      if (s.has_media)
        self->send(s.room, atoms::layer::value, id_of(self), who, layer);
      return caf::ok_atom::value;
    },
    [=](atoms::mute, bool muted) {
      self->state.info.set_muted(muted);
      return caf::ok_atom::value;
    },
    [=](atoms::drop, const std::string& who) {
      auto& s = self->state;
      if (s.subscribers.erase(who) != 0 && s.has_media)
        self->send(s.room, atoms::unsub::value, id_of(self), who);
    },
    [=](caf::get_atom) {
      std::vector<std::string> subs;
      for (auto& kv : self->state.subscribers)
        subs.push_back(kv.first);
      return caf::make_result(self->state.info, std::move(subs));
    },
    [=](atoms::close) {
      auto& s = self->state;
      // The room takes it out of its watchers' sessions too.
      if (s.has_media && s.room)
        self->send(s.room, atoms::unpublish::value, id_of(self));
      self->quit();
      return caf::ok_atom::value;
    },
  };
}

} // namespace

track_actor spawn_track(caf::actor_system& sys, signal::TrackInfo info, rtc_room_actor room) {
  return sys.spawn(track_impl, std::move(info), std::move(room));
}

} // namespace lamplight::actors
