#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <google/protobuf/struct.pb.h>

#include "actors/base/errors.hpp"
#include "actors/rtc/janus_room.hpp"
#include "protocol/fnv1a.hpp"
#include "transport/janus_client.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;
using namespace std::chrono_literals;
namespace pb = google::protobuf;

/// Janus's VideoRoom as a provider (https://janus.conf.meetecho.com/docs/videoroom).
/// One Janus session per classroom, one VideoRoom room, one Janus publisher
/// per published track (our tracks are one leg each) and one subscriber
/// handle per subscription. VideoRoom offers to subscribers, so subscriptions
/// come back as server offers that the client answers. The room hands each
/// track to one of a few shards, detached actors whose calls to Janus block
/// (each with a deadline, janus_timeout).
constexpr auto janus_timeout = 5s;
/// Janus takes a subscription to a feed only once the publisher's
/// PeerConnection is up ("No such feed" before); a subscriber that asks
/// right after the publish waits this long at most.
constexpr auto feed_up_timeout = 5s;

/// Handles whose PeerConnection Janus reported up ("webrtcup"), filled on
/// the client's reader thread.
struct webrtc_up {
  std::mutex mtx;
  std::condition_variable changed;
  std::set<uint64_t> handles;

  bool wait(uint64_t handle, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mtx);
    return changed.wait_for(lock, timeout, [&] { return handles.count(handle) > 0; });
  }
};

/// VideoRoom room ids are numbers; Janus's JSON carries them as doubles, so
/// they stay below 2^53. FNV-1a of tenant/classroom, never 0.
uint64_t room_id(const std::string& tenant, const std::string& classroom) {
  return (protocol::fnv1a64(tenant + "/" + classroom) & ((1ull << 52) - 1)) | 1;
}

/// The classroom's Janus: one session (client), its control handle and
/// VideoRoom room, shared by the room's shards. Lost (Janus restarted, or
/// not up yet), it is reopened on demand, at most once a second; a new
/// `generation` tells the shards that their handles died with the old one.
struct janus_connection {
  rtc_provider_config cfg;
  rtc_room_spec spec;
  std::mutex mtx;  // everything below
  std::shared_ptr<transport::janus_client> client;
  std::shared_ptr<webrtc_up> up = std::make_shared<webrtc_up>();
  protocol::error down;  // why the last open failed
  uint64_t control = 0;
  const uint64_t room;  // the same for every session: the classroom's
  uint64_t generation = 0;
  std::chrono::steady_clock::time_point next_reopen{};
  std::vector<std::pair<uint32_t, uint32_t>> counts;  // per shard: publishers, subscriptions

  janus_connection(rtc_provider_config c, rtc_room_spec s, std::size_t shards)
    : cfg(std::move(c)),
      spec(std::move(s)),
      room(room_id(spec.tenant, spec.classroom_id)),
      counts(shards) {}
  janus_connection(const janus_connection&) = delete;
  janus_connection& operator=(const janus_connection&) = delete;
  /// Destroying the room ends every PeerConnection in it; the session goes
  /// with the client.
  ~janus_connection();

  /// The client when Janus serves, else the error; reopens a lost one.
  caf::expected<std::shared_ptr<transport::janus_client>> usable(uint64_t& gen);

private:
  void open();  // with mtx held
};

struct janus_shard_state {
  std::shared_ptr<janus_connection> conn;
  std::size_t index = 0;
  uint64_t generation = 0;  // of conn, when the handles below were made
  std::shared_ptr<transport::janus_client> client;  // for this request
  struct publisher {
    std::string owner;
    uint64_t handle = 0;
    uint64_t feed = 0;
  };
  struct subscriber {
    uint64_t handle = 0;
    bool started = false;
  };
  std::map<std::string, publisher> publishers;                            // by track id
  std::map<std::pair<std::string, std::string>, subscriber> subscribers;  // (track, who)
  static inline const char* name = "lamplight.janus_shard";
};

using janus_self = rtc_room_actor::stateful_pointer<janus_shard_state>;

pb::Value num(double v) {
  pb::Value x;
  x.set_number_value(v);
  return x;
}
pb::Value str(const std::string& v) {
  pb::Value x;
  x.set_string_value(v);
  return x;
}
pb::Value boolean(bool v) {
  pb::Value x;
  x.set_bool_value(v);
  return x;
}

pb::Struct request(const std::string& name) {
  pb::Struct s;
  (*s.mutable_fields())["request"] = str(name);
  return s;
}

double number_field(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  return i == s.fields().end() ? 0 : i->second.number_value();
}

janus_connection::~janus_connection() {
  if (!client || !client->connected() || control == 0)
    return;
  auto destroy = request("destroy");
  (*destroy.mutable_fields())["room"] = num(static_cast<double>(room));
  client->message(control, destroy, "", "", janus_timeout);
}

caf::error to_caf(const protocol::error& e) { return make_error(e.code, "janus: " + e.message); }

caf::expected<std::shared_ptr<transport::janus_client>> janus_connection::usable(uint64_t& gen) {
  std::lock_guard<std::mutex> guard(mtx);
  bool lost = !client || down.code != errc::none || !client->connected();
  if (lost && std::chrono::steady_clock::now() >= next_reopen) {
    next_reopen = std::chrono::steady_clock::now() + 1s;
    open();
    lost = down.code != errc::none;
  }
  if (lost)
    return make_error(errc::unavailable,
                      "janus: " + (down.message.empty() ? std::string("connection lost") : down.message));
  gen = generation;
  return client;
}

/// Connects, attaches the control handle and creates the classroom's room
/// (or finds it, after a restart of ours).
void janus_connection::open() {
  ++generation;
  down = {};
  control = 0;
  client = std::make_shared<transport::janus_client>();
  client->on_event([u = up](const transport::janus_event& ev) {
    if (ev.kind != "webrtcup")
      return;
    std::lock_guard<std::mutex> g(u->mtx);
    u->handles.insert(ev.handle);
    u->changed.notify_all();
  });
  if (auto ok = client->connect(cfg.janus_host, cfg.janus_port, janus_timeout); !ok) {
    down = ok.err();
    return;
  }
  auto ctl = client->attach("janus.plugin.videoroom", janus_timeout);
  if (!ctl) {
    down = ctl.err();
    return;
  }
  control = *ctl;
  auto create = request("create");
  auto& f = *create.mutable_fields();
  f["room"] = num(static_cast<double>(room));
  f["description"] = str(spec.tenant + "/" + spec.classroom_id);
  // A large class publishes one feed per student microphone.
  f["publishers"] = num(250);
  f["videocodec"] = str("vp8");
  f["audiocodec"] = str("opus");
  f["notify_joining"] = boolean(false);
  if (!cfg.janus_room_secret.empty())
    f["admin_key"] = str(cfg.janus_room_secret);
  auto created = client->message(control, create, "", "", janus_timeout);
  if (!created && created.err().message.find("already exists") == std::string::npos)
    down = created.err();
}

caf::result<std::string> publish(janus_self self, const std::string& track,
                                 const std::string& owner, const std::string& offer) {
  auto& st = self->state;
  auto handle = st.client->attach("janus.plugin.videoroom", janus_timeout);
  if (!handle)
    return to_caf(handle.err());
  auto join = request("join");
  auto& f = *join.mutable_fields();
  f["ptype"] = str("publisher");
  f["room"] = num(static_cast<double>(st.conn->room));
  f["display"] = str(track);
  auto joined = st.client->message(*handle, join, "", "", janus_timeout);
  if (!joined) {
    st.client->detach(*handle);
    return to_caf(joined.err());
  }
  auto feed = static_cast<uint64_t>(number_field(joined->data, "id"));
  auto pub = request("publish");
  auto answer = st.client->message(*handle, pub, "offer", offer, janus_timeout);
  if (!answer || answer->jsep_type != "answer") {
    st.client->detach(*handle);
    return answer ? make_error(errc::bad_request, "janus: publish came back without an answer")
                  : to_caf(answer.err());
  }
  // Our offers carry no candidates: Janus learns the lamp's address from its
  // checks (peer-reflexive), and must not wait for trickled ones.
  st.client->trickle_completed(*handle, janus_timeout);
  if (auto old = st.publishers.find(track); old != st.publishers.end())
    st.client->detach(old->second.handle);
  st.publishers[track] = {owner, *handle, feed};
  return answer->jsep_sdp;
}

int substream(signal::Layer layer) {
  switch (layer) {
    case signal::LAYER_LOW: return 0;
    case signal::LAYER_MEDIUM: return 1;
    default: return 2;
  }
}

void unsubscribe(janus_self self, const std::string& track, const std::string& who) {
  auto& st = self->state;
  auto i = st.subscribers.find({track, who});
  if (i == st.subscribers.end())
    return;
  st.client->detach(i->second.handle);
  st.subscribers.erase(i);
}

caf::result<rtc_negotiation> subscribe(janus_self self, const std::string& track,
                                       const std::string& who, signal::Layer layer) {
  auto& st = self->state;
  auto p = st.publishers.find(track);
  if (p == st.publishers.end())
    return make_error(errc::not_found, "track " + track + " has no media");
  auto feed = p->second.feed;
  if (!st.conn->up->wait(p->second.handle, feed_up_timeout))
    return make_error(errc::timeout, "janus: the publisher of " + track + " did not connect");
  unsubscribe(self, track, who);
  auto handle = st.client->attach("janus.plugin.videoroom", janus_timeout);
  if (!handle)
    return to_caf(handle.err());
  auto join = request("join");
  auto& f = *join.mutable_fields();
  f["ptype"] = str("subscriber");
  f["room"] = num(static_cast<double>(st.conn->room));
  pb::Value stream;
  (*stream.mutable_struct_value()->mutable_fields())["feed"] = num(static_cast<double>(feed));
  if (layer != signal::LAYER_UNSPECIFIED)
    (*stream.mutable_struct_value()->mutable_fields())["substream"] = num(substream(layer));
  *f["streams"].mutable_list_value()->add_values() = stream;
  auto offered = st.client->message(*handle, join, "", "", janus_timeout);
  if (!offered || offered->jsep_type != "offer") {
    st.client->detach(*handle);
    return offered ? make_error(errc::internal, "janus: the subscription came without an offer")
                   : to_caf(offered.err());
  }
  st.subscribers[{track, who}] = {*handle, false};
  return rtc_negotiation{offered->jsep_sdp, true};
}

caf::result<caf::ok_atom> answer(janus_self self, const std::string& track,
                                 const std::string& who, const std::string& sdp) {
  auto& st = self->state;
  auto i = st.subscribers.find({track, who});
  if (i == st.subscribers.end())
    return make_error(errc::wrong_state, "no offer to " + who + " for " + track + " waits");
  if (i->second.started)
    return make_error(errc::wrong_state, "that offer was answered already");
  auto started = st.client->message(i->second.handle, request("start"), "answer", sdp,
                                    janus_timeout);
  if (!started)
    return to_caf(started.err());
  st.client->trickle_completed(i->second.handle, janus_timeout);
  i->second.started = true;
  return caf::ok_atom::value;
}

void unpublish(janus_self self, const std::string& track) {
  auto& st = self->state;
  auto p = st.publishers.find(track);
  if (p == st.publishers.end())
    return;
  for (auto i = st.subscribers.begin(); i != st.subscribers.end();) {
    if (i->first.first == track) {
      st.client->detach(i->second.handle);
      i = st.subscribers.erase(i);
    } else {
      ++i;
    }
  }
  st.client->detach(p->second.handle);
  {
    std::lock_guard<std::mutex> guard(st.conn->up->mtx);
    st.conn->up->handles.erase(p->second.handle);
  }
  st.publishers.erase(p);
}

/// Records this shard's counts for the room's stats.
void publish_counts(janus_self self) {
  auto& st = self->state;
  std::lock_guard<std::mutex> guard(st.conn->mtx);
  st.conn->counts[st.index] = {static_cast<uint32_t>(st.publishers.size()),
                               static_cast<uint32_t>(st.subscribers.size())};
}

/// One shard of a classroom's Janus room: the tracks whose id hashes to it,
/// their publishers and subscribers. Its calls to Janus block (each with a
/// deadline), so it runs detached; shards negotiate in parallel, and a
/// track's requests stay in order because they all reach the same shard.
rtc_room_actor::behavior_type janus_shard(janus_self self, std::shared_ptr<janus_connection> conn,
                                          std::size_t index) {
  self->state.conn = std::move(conn);
  self->state.index = index;
  // Every request needs Janus: the error if it is out of reach, none if it
  // serves. After a reopen, the handles of the old session are gone with
  // it (Janus restarted): clients publish and subscribe again, as after any
  // media failure.
  auto janus_down = [=]() -> caf::error {
    auto& st = self->state;
    uint64_t gen = 0;
    auto c = st.conn->usable(gen);
    if (!c)
      return std::move(c.error());
    if (gen != st.generation) {
      st.generation = gen;
      st.publishers.clear();
      st.subscribers.clear();
    }
    st.client = std::move(*c);
    return {};
  };
  // Runs `f` once Janus serves, and records the counts after it.
  auto with_janus = [=](auto f) {
    if (janus_down())
      return;
    f();
    publish_counts(self);
  };
  return {
    [=](atoms::publish, const std::string& track, const std::string& owner,
        const std::string& offer) -> caf::result<std::string> {
      if (auto err = janus_down())
        return err;
      auto r = publish(self, track, owner, offer);
      publish_counts(self);
      return r;
    },
    [=](atoms::subscribe, const std::string& track, const std::string& who,
        const std::string&, signal::Layer layer) -> caf::result<rtc_negotiation> {
      // The subscriber's offer is of no use: VideoRoom offers itself.
      if (auto err = janus_down())
        return err;
      auto r = subscribe(self, track, who, layer);
      publish_counts(self);
      return r;
    },
    [=](atoms::answer, const std::string& track, const std::string& who,
        const std::string& sdp) -> caf::result<caf::ok_atom> {
      if (auto err = janus_down())
        return err;
      return answer(self, track, who, sdp);
    },
    [=](atoms::layer, const std::string& track, const std::string& who, signal::Layer layer) {
      with_janus([&] {
        auto& st = self->state;
        auto i = st.subscribers.find({track, who});
        if (i == st.subscribers.end())
          return;
        auto configure = request("configure");
        (*configure.mutable_fields())["substream"] = num(substream(layer));
        st.client->message(i->second.handle, configure, "", "", janus_timeout);
      });
    },
    [=](atoms::unsub, const std::string& track, const std::string& who) {
      with_janus([&] { unsubscribe(self, track, who); });
    },
    [=](atoms::unpublish, const std::string& track) {
      with_janus([&] { unpublish(self, track); });
    },
    [=](atoms::near, const std::string&, const std::string&) {
      // One Janus serves the whole room.
    },
    [=](atoms::drop, const std::string& who) {
      with_janus([&] {
        auto& st = self->state;
        std::vector<std::string> owned;
        for (auto& [track, p] : st.publishers)
          if (p.owner == who)
            owned.push_back(track);
        for (auto& track : owned)
          unpublish(self, track);
        for (auto i = st.subscribers.begin(); i != st.subscribers.end();) {
          if (i->first.second == who) {
            st.client->detach(i->second.handle);
            i = st.subscribers.erase(i);
          } else {
            ++i;
          }
        }
      });
    },
    [=](caf::get_atom) {
      auto& st = self->state;
      return rtc_room_stats{to_string(rtc_provider_kind::janus),
                            static_cast<uint32_t>(st.publishers.size()),
                            static_cast<uint32_t>(st.subscribers.size())};
    },
    [=](atoms::close) { self->quit(); },
  };
}

/// Shards per classroom: enough that a study room's hundreds of
/// subscriptions do not queue behind each other, few enough to stay cheap
/// (each is a thread while the classroom lives).
constexpr std::size_t shards_per_room = 4;

struct janus_room_state {
  std::shared_ptr<janus_connection> conn;
  std::vector<rtc_room_actor> shards;
  static inline const char* name = "lamplight.janus_room";
};

/// The classroom's room: hands each request to the shard of its track.
rtc_room_actor::behavior_type janus_room_impl(rtc_room_actor::stateful_pointer<janus_room_state> self,
                                              rtc_provider_config cfg, rtc_room_spec spec) {
  auto& st = self->state;
  st.conn = std::make_shared<janus_connection>(std::move(cfg), std::move(spec), shards_per_room);
  for (std::size_t i = 0; i < shards_per_room; ++i) {
    st.shards.push_back(self->system().spawn<caf::detached>(janus_shard, st.conn, i));
    self->link_to(st.shards.back());
  }
  auto shard = [=](const std::string& track) {
    return self->state.shards[std::hash<std::string>{}(track) % shards_per_room];
  };
  return {
    [=](atoms::publish a, const std::string& track, const std::string& owner,
        const std::string& offer) {
      return self->delegate(shard(track), a, track, owner, offer);
    },
    [=](atoms::subscribe a, const std::string& track, const std::string& who,
        const std::string& offer, signal::Layer layer) {
      return self->delegate(shard(track), a, track, who, offer, layer);
    },
    [=](atoms::answer a, const std::string& track, const std::string& who,
        const std::string& sdp) { return self->delegate(shard(track), a, track, who, sdp); },
    [=](atoms::layer a, const std::string& track, const std::string& who, signal::Layer layer) {
      self->send(shard(track), a, track, who, layer);
    },
    [=](atoms::unsub a, const std::string& track, const std::string& who) {
      self->send(shard(track), a, track, who);
    },
    [=](atoms::unpublish a, const std::string& track) { self->send(shard(track), a, track); },
    [=](atoms::drop a, const std::string& who) {
      for (auto& s : self->state.shards)
        self->send(s, a, who);
    },
    [=](atoms::near, const std::string&, const std::string&) {},
    [=](caf::get_atom) {
      rtc_room_stats out{to_string(rtc_provider_kind::janus), 0, 0};
      std::lock_guard<std::mutex> guard(self->state.conn->mtx);
      for (auto [pubs, subs] : self->state.conn->counts) {
        out.publishers += pubs;
        out.subscriptions += subs;
      }
      return out;
    },
    [=](atoms::close a) {
      for (auto& s : self->state.shards)
        self->send(s, a);
      self->quit();
    },
  };
}

} // namespace

rtc_room_actor spawn_janus_room(caf::actor_system& sys, rtc_provider_config cfg,
                                rtc_room_spec spec) {
  return sys.spawn(janus_room_impl, std::move(cfg), std::move(spec));
}

} // namespace lamplight::actors
