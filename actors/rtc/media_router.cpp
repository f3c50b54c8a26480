#include "actors/rtc/media_router.hpp"

#include <functional>
#include <map>
#include <set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "actors/rtc/media_host.hpp"
#include "actors/rtc/rtc_provider.hpp"
#include "actors/rtc/photo_receiver.hpp"

namespace lamplight::actors {

namespace {

/// Legs answer from a media worker's command queue; placement and a new
/// leg take a round trip or two between nodes.
constexpr auto leg_timeout = std::chrono::seconds(5);

struct leg_entry {
  media_leg_actor leg;
  media::media_worker::pipe_endpoint ep;
};

struct routed_track {
  std::string home;  // the media node it is published on
  std::string owner;
  std::set<std::string> piped;  // media nodes it is piped to
};

using on_node = std::function<void(const std::string&)>;
using on_error = std::function<void(caf::error&)>;

/// Continuations waiting for one step (a placement, a leg, a pipe) that
/// another request started: each step runs once, whoever asks meanwhile.
using waiters = std::vector<std::pair<on_node, on_error>>;

/// Adds a waiter for step `key`; true if it is the first, which starts it.
template <class Key>
bool wait_for_step(std::map<Key, waiters>& steps, const Key& key, on_node then, on_error fail) {
  auto& w = steps[key];
  w.emplace_back(std::move(then), std::move(fail));
  return w.size() == 1;
}

/// Step `key` ended: its waiters learn `node`, or `err`.
template <class Key>
void end_step(std::map<Key, waiters>& steps, const Key& key, const std::string& node,
              caf::error err) {
  auto ws = std::move(steps[key]);
  steps.erase(key);
  for (auto& w : ws)
    if (err)
      w.second(err);
    else
      w.first(node);
}

struct media_router_state {
  rtc_room_spec spec;
  media_placer_actor placer;
  photo_receiver_actor photos;
  std::map<std::string, leg_entry> legs;  // by media node
  std::map<caf::actor_addr, std::string> leg_nodes;
  std::map<std::string, std::string> near;    // member -> its participant's node
  std::map<std::string, std::string> placed;  // member -> media node
  std::map<std::string, routed_track> tracks;
  std::map<std::pair<std::string, std::string>, std::string> subs;  // (track, member) -> node
  std::set<std::string> lost;  // media nodes whose legs died: not placed on again
  // Steps under way. Negotiations run concurrently (each leg orders its
  // own); only what they share is done once.
  std::map<std::string, waiters> placing;                       // by member
  std::map<std::string, waiters> opening;                       // by media node
  std::map<std::pair<std::string, std::string>, waiters> piping;  // (track, node)
  static inline const char* name = "lamplight.media_router";
};

using self_ptr = rtc_room_actor::stateful_pointer<media_router_state>;

const leg_entry* leg_at(self_ptr self, const std::string& node) {
  auto i = self->state.legs.find(node);
  return i == self->state.legs.end() ? nullptr : &i->second;
}

caf::error leg_gone(const std::string& node) {
  return make_error(protocol::errc::unavailable, "media node " + node + " is gone");
}

/// The leg on media node `node` (through its media host), opened once.
void open_leg(self_ptr self, const std::string& node, const media_host_actor& host, on_node then,
              on_error fail) {
  if (leg_at(self, node))
    return then(node);
  if (!wait_for_step(self->state.opening, node, std::move(then), std::move(fail)))
    return;  // under way
  auto finish = [=](caf::error err) { end_step(self->state.opening, node, node, std::move(err)); };
  media_leg_spec spec{self->state.spec.tenant, self->state.spec.classroom_id, self->state.photos,
                      self->state.spec.speech};
  self->request(host, leg_timeout, atoms::leg::value, spec)
    .then(
      [=](const media_leg_actor& leg) {
        self->request(leg, leg_timeout, atoms::pipe::value, caf::get_atom::value)
          .then(
            [=](const media::media_worker::pipe_endpoint& ep) {
              auto& s = self->state;
              s.legs[node] = {leg, ep};
              s.leg_nodes[caf::actor_cast<caf::actor_addr>(leg)] = node;
              self->monitor(leg);
              finish({});
            },
            [=](caf::error& err) {
              caf::anon_send(leg, atoms::close::value);
              finish(err);
            });
      },
      [=](caf::error& err) { finish(err); });
}

/// The leg of `member`'s media node, placed (and opened) on first use.
void with_leg(self_ptr self, const std::string& member, on_node then, on_error fail) {
  auto& st = self->state;
  if (auto p = st.placed.find(member); p != st.placed.end() && st.legs.count(p->second))
    return then(p->second);
  if (!wait_for_step(st.placing, member, std::move(then), std::move(fail)))
    return;
  auto finish = [=](const std::string& node, caf::error err) {
    if (!err)
      self->state.placed[member] = node;
    end_step(self->state.placing, member, node, std::move(err));
  };
  auto near = st.near.count(member) ? st.near.at(member) : std::string{};
  std::vector<std::string> exclude(st.lost.begin(), st.lost.end());
  self->request(st.placer, leg_timeout, atoms::place::value, near, exclude)
    .then(
      [=](const std::string& node, const media_host_actor& host) {
        open_leg(
          self, node, host, [=](const std::string&) { finish(node, {}); },
          [=](caf::error& err) { finish(node, err); });
      },
      [=](caf::error& err) { finish({}, err); });
}

/// Makes `track` available on `node`: piped there from its home, once.
void ensure_piped(self_ptr self, const std::string& track, const std::string& node,
                  std::function<void()> then, on_error fail) {
  auto& st = self->state;
  auto t = st.tracks.find(track);
  if (t == st.tracks.end()) {
    auto err = make_error(protocol::errc::not_found, "track " + track + " has no media");
    return fail(err);
  }
  if (t->second.home == node || t->second.piped.count(node))
    return then();
  auto* home = leg_at(self, t->second.home);
  auto* dest = leg_at(self, node);
  if (!home || !dest) {
    auto err = leg_gone(home ? node : t->second.home);
    return fail(err);
  }
  auto key = std::make_pair(track, node);
  if (!wait_for_step(st.piping, key, [then](const std::string&) { then(); }, std::move(fail)))
    return;
  auto finish = [=](caf::error err) { end_step(self->state.piping, key, node, std::move(err)); };
  auto owner = t->second.owner;
  auto dest_leg = dest->leg;
  self->request(home->leg, leg_timeout, atoms::pipe::value, atoms::publish::value, track, dest->ep)
    .then(
      [=](const media::piped_track& pt) {
        self->request(dest_leg, leg_timeout, atoms::pipe::value, atoms::subscribe::value, track,
                      owner, pt)
          .then(
            [=](caf::ok_atom) {
              auto i = self->state.tracks.find(track);
              if (i == self->state.tracks.end()) {
                // Unpublished meanwhile: its copy there goes too.
                caf::anon_send(dest_leg, atoms::unpublish::value, track);
                finish(make_error(protocol::errc::not_found, "track " + track + " has no media"));
                return;
              }
              i->second.piped.insert(node);
              finish({});
            },
            [=](caf::error& err) { finish(err); });
      },
      [=](caf::error& err) { finish(err); });
}

/// Forgets a track, and its copies on other nodes.
void drop_track(self_ptr self, const std::string& track) {
  auto& st = self->state;
  auto t = st.tracks.find(track);
  if (t == st.tracks.end())
    return;
  for (const auto& node : t->second.piped)
    if (auto* l = leg_at(self, node))
      caf::anon_send(l->leg, atoms::unpublish::value, track);
  if (auto* l = leg_at(self, t->second.home))
    caf::anon_send(l->leg, atoms::unpublish::value, track);
  st.tracks.erase(t);
  for (auto i = st.subs.begin(); i != st.subs.end();)
    i = i->first.first == track ? st.subs.erase(i) : std::next(i);
}

/// What `owner`'s publish session on `node` publishes now: tracks it
/// publishes again keep their pipes (their leg re-routed them), those it
/// no longer names go with their copies.
void track_session(self_ptr self, const std::string& owner, const std::string& node,
                   const signal::Published& now) {
  auto& st = self->state;
  std::set<std::string> named;
  for (const auto& t : now.tracks()) {
    named.insert(t.track_id());
    auto& r = st.tracks[t.track_id()];
    if (r.home != node)
      r = {node, owner, {}};
  }
  std::vector<std::string> gone;
  for (const auto& [id, t] : st.tracks)
    if (t.owner == owner && !named.count(id))
      gone.push_back(id);
  for (const auto& id : gone)
    drop_track(self, id);
}

/// A media node's leg died (its node did): what was there is gone.
void leg_down(self_ptr self, const std::string& node) {
  auto& st = self->state;
  st.legs.erase(node);
  st.lost.insert(node);
  std::set<std::string> members;
  std::vector<std::string> gone;
  for (auto& [id, t] : st.tracks) {
    t.piped.erase(node);
    if (t.home == node) {
      gone.push_back(id);
      members.insert(t.owner);
    }
  }
  for (auto& [key, at] : st.subs)
    if (at == node)
      members.insert(key.second);
  for (const auto& id : gone)
    drop_track(self, id);
  for (auto i = st.subs.begin(); i != st.subs.end();)
    i = i->second == node ? st.subs.erase(i) : std::next(i);
  for (auto i = st.placed.begin(); i != st.placed.end();)
    i = i->second == node ? st.placed.erase(i) : std::next(i);
  if (st.spec.on_media_lost && (!members.empty() || !gone.empty()))
    st.spec.on_media_lost(rtc_room_actor{self},
                          std::vector<std::string>(members.begin(), members.end()), gone);
}

rtc_room_actor::behavior_type media_router_impl(self_ptr self, media_placer_actor placer,
                                                rtc_room_spec spec) {
  auto& st = self->state;
  st.placer = std::move(placer);
  st.spec = std::move(spec);
  if (st.spec.photos) {
    // Photos are stored where the classroom is (and replicated from
    // there), whichever media node the lamp's connection is on.
    st.photos = spawn_photo_receiver(self->system(), {st.spec.tenant, st.spec.classroom_id,
                                                      st.spec.photos});
    self->attach_functor([photos = st.photos] {
      caf::anon_send_exit(photos, caf::exit_reason::user_shutdown);
    });
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    auto i = self->state.leg_nodes.find(dm.source);
    if (i == self->state.leg_nodes.end())
      return;
    auto node = i->second;
    self->state.leg_nodes.erase(i);
    leg_down(self, node);
  });
  return {
    [=](atoms::publish, const std::string& owner,
        const signal::Publish& offer) -> caf::result<signal::Published> {
      auto rp = self->make_response_promise<signal::Published>();
      on_error fail = [=](caf::error& err) mutable { rp.deliver(err); };
      with_leg(
        self, owner,
        [=](const std::string& node) mutable {
          auto* l = leg_at(self, node);
          if (!l) {
            rp.deliver(leg_gone(node));
            return;
          }
          self->request(l->leg, leg_timeout, atoms::publish::value, owner, offer)
            .then(
              [=](signal::Published& answer) mutable {
                if (!self->state.legs.count(node)) {
                  rp.deliver(leg_gone(node));  // it died meanwhile
                  return;
                }
                track_session(self, owner, node, answer);
                rp.deliver(std::move(answer));
              },
              fail);
        },
        fail);
      return rp;
    },
    [=](atoms::subscribe, const std::string& track, const std::string& who, signal::Layer layer,
        const offer_sink_actor& sink) -> caf::result<caf::ok_atom> {
      if (!self->state.tracks.count(track))
        return make_error(protocol::errc::not_found, "track " + track + " has no media");
      // The member's subscribe session is on its own media node: the
      // track crosses there once, and that leg offers to the member.
      auto rp = self->make_response_promise<caf::ok_atom>();
      on_error fail = [=](caf::error& err) mutable { rp.deliver(err); };
      with_leg(
        self, who,
        [=](const std::string& node) mutable {
          ensure_piped(
            self, track, node,
            [=]() mutable {
              auto* l = leg_at(self, node);
              if (!l) {
                rp.deliver(leg_gone(node));
                return;
              }
              self->request(l->leg, leg_timeout, atoms::subscribe::value, track, who, layer, sink)
                .then(
                  [=](caf::ok_atom) mutable {
                    if (!self->state.legs.count(node)) {
                      rp.deliver(leg_gone(node));
                      return;
                    }
                    self->state.subs[{track, who}] = node;
                    rp.deliver(caf::ok_atom::value);
                  },
                  fail);
            },
            fail);
        },
        fail);
      return rp;
    },
    [=](atoms::answer, const std::string& who,
        const signal::SubscribeAnswer& a) -> caf::result<caf::ok_atom> {
      auto p = self->state.placed.find(who);
      auto* l = p == self->state.placed.end() ? nullptr : leg_at(self, p->second);
      if (!l)
        return make_error(protocol::errc::wrong_state, "no subscribe session for " + who);
      return self->delegate(l->leg, atoms::answer::value, who, a);
    },
    [=](atoms::layer, const std::string& track, const std::string& who, signal::Layer layer) {
      auto i = self->state.subs.find({track, who});
      if (i != self->state.subs.end())
        if (auto* l = leg_at(self, i->second))
          caf::anon_send(l->leg, atoms::layer::value, track, who, layer);
    },
    [=](atoms::unsub, const std::string& track, const std::string& who) {
      auto i = self->state.subs.find({track, who});
      if (i == self->state.subs.end())
        return;
      if (auto* l = leg_at(self, i->second))
        caf::anon_send(l->leg, atoms::unsub::value, track, who);
      self->state.subs.erase(i);
    },
    [=](atoms::unpublish, const std::string& track) { drop_track(self, track); },
    [=](atoms::drop, const std::string& who) {
      auto& s = self->state;
      std::vector<std::string> owned;
      for (const auto& [id, t] : s.tracks)
        if (t.owner == who)
          owned.push_back(id);
      for (const auto& id : owned)
        drop_track(self, id);
      for (auto& [node, l] : s.legs)
        caf::anon_send(l.leg, atoms::drop::value, who);
      for (auto i = s.subs.begin(); i != s.subs.end();)
        i = i->first.second == who ? s.subs.erase(i) : std::next(i);
      s.placed.erase(who);
      s.near.erase(who);
    },
    [=](atoms::near, const std::string& who, const std::string& node) {
      // Where its media goes once it publishes or subscribes; media it has
      // on a leg already stays there (clients reach media nodes directly).
      self->state.near[who] = node;
    },
    [=](caf::get_atom) {
      return rtc_room_stats{to_string(rtc_provider_kind::sfu),
                            static_cast<uint32_t>(self->state.tracks.size()),
                            static_cast<uint32_t>(self->state.subs.size())};
    },
    [=](atoms::close) {
      for (auto& [node, l] : self->state.legs)
        caf::anon_send(l.leg, atoms::close::value);
      self->quit();
    },
  };
}

} // namespace

rtc_room_actor spawn_media_router(caf::actor_system& sys, media_placer_actor placer,
                                  rtc_room_spec spec) {
  return sys.spawn(media_router_impl, std::move(placer), std::move(spec));
}

} // namespace lamplight::actors
