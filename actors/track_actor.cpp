#include "actors/track_actor.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/errors.hpp"

namespace lamplight::actors {

namespace {

struct track_state {
  signal::TrackInfo info;
  /// subscriber identity -> preferred layer. Ordered: stable listings.
  std::map<std::string, signal::Layer> subscribers;
  static inline const char* name = "lamplight.track";
};

track_actor::behavior_type track_impl(track_actor::stateful_pointer<track_state> self,
                                      signal::TrackInfo info) {
  self->state.info = std::move(info);
  return {
    [=](atoms::subscribe, const std::string& who,
        signal::Layer layer) -> caf::result<caf::ok_atom> {
      if (!self->state.subscribers.emplace(who, layer).second)
        return make_error(protocol::errc::already_exists, who + " already subscribes");
      return caf::ok_atom::value;
    },
    [=](atoms::unsub, const std::string& who) -> caf::result<caf::ok_atom> {
      if (self->state.subscribers.erase(who) == 0)
        return make_error(protocol::errc::not_found, who + " does not subscribe");
      return caf::ok_atom::value;
    },
    [=](atoms::mute, bool muted) {
      self->state.info.set_muted(muted);
      return caf::ok_atom::value;
    },
    [=](atoms::layer, const std::string& who,
        signal::Layer layer) -> caf::result<caf::ok_atom> {
      auto i = self->state.subscribers.find(who);
      if (i == self->state.subscribers.end())
        return make_error(protocol::errc::not_found, who + " does not subscribe");
      i->second = layer;
      return caf::ok_atom::value;
    },
    [=](caf::get_atom) {
      std::vector<std::string> subs;
      for (auto& kv : self->state.subscribers)
        subs.push_back(kv.first);
      return caf::make_result(self->state.info, std::move(subs));
    },
    [=](atoms::close) {
      self->quit();
      return caf::ok_atom::value;
    },
  };
}

} // namespace

track_actor spawn_track(caf::actor_system& sys, signal::TrackInfo info) {
  return sys.spawn(track_impl, std::move(info));
}

} // namespace lamplight::actors
