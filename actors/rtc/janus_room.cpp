#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <google/protobuf/struct.pb.h>

#include "actors/base/errors.hpp"
#include "actors/rtc/janus_room.hpp"
#include "actors/rtc/janus_subscriber.hpp"
#include "protocol/fnv1a.hpp"
#include "transport/janus_client.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;
using namespace std::chrono_literals;
using namespace janus_json;
namespace pb = google::protobuf;

/// Janus's VideoRoom as a provider (https://janus.conf.meetecho.com/docs/videoroom).
/// One Janus session per classroom, one VideoRoom room, one Janus publisher
/// per published track (our tracks are one leg each) and one multistream
/// subscriber handle per member: its subscribe session, every track it
/// watches (janus_subscriber.hpp). VideoRoom offers to subscribers, as the
/// session contract wants. The room hands each publisher to a shard by its
/// track and each subscriber's session to a shard by the member; shards
/// are detached actors whose calls to Janus block (each with a deadline,
/// janus_timeout), sharing the published feeds through a registry.
///
/// Janus takes a subscription to a feed only once the publisher's
/// PeerConnection is up ("No such feed" before); a subscriber that asks
/// right after the publish waits this long at most.
constexpr auto feed_up_timeout = 5s;

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
  std::mutex mtx;  // everything below but the registry (thread-safe itself)
  std::shared_ptr<transport::janus_client> client;
  const std::shared_ptr<janus_registry> registry = std::make_shared<janus_registry>();
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
  std::map<std::string, janus_feed> publishers;     // by track id
  std::unique_ptr<janus_subscribers> subscribers;   // the sessions of the members here
  static inline const char* name = "lamplight.janus_shard";
};

using janus_self = rtc_room_actor::stateful_pointer<janus_shard_state>;

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
  // The feeds and handles of a previous session died with it.
  registry->clear();
  if (spec.speech)
    registry->on_speech([sink = spec.speech](const std::string& track, bool speaking, uint8_t level) {
      caf::anon_send(sink, atoms::speaking::value, track, speaking, level);
    });
  client = std::make_shared<transport::janus_client>();
  client->on_event([r = registry](const transport::janus_event& ev) { r->on_event(ev); });
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
  // Who is speaking, judged by Janus from the audio levels (RFC 6464) as
  // our SFU judges it: louder than -50 dBov on average over half a second
  // (25 Opus packets); Janus tells every publisher handle of the room.
  f["audiolevel_event"] = boolean(true);
  f["audio_active_packets"] = num(25);
  f["audio_level_average"] = num(50);
  if (!cfg.janus_room_secret.empty())
    f["admin_key"] = str(cfg.janus_room_secret);
  auto created = client->message(control, create, "", "", janus_timeout);
  if (!created && created.err().message.find("already exists") == std::string::npos)
    down = created.err();
}

// -- publishers ---------------------------------------------------------------

/// The mid of the publisher's media stream, from the streams list Janus
/// answered its publish with; empty if it named none (subscribers then
/// take the whole feed).
std::string media_mid(const transport::janus_reply& r) {
  for (auto& s : transport::videoroom_streams(r.data))
    if (!s.disabled && (s.type == "audio" || s.type == "video"))
      return s.mid;
  return {};
}

/// A publisher's handle goes, and with it what Janus said about it.
void detach_publisher(janus_self self, const janus_feed& p) {
  self->state.client->detach(p.handle);
  self->state.conn->registry->forget(p.handle);
}

caf::result<std::string> publish(janus_self self, const std::string& track,
                                 const std::string& owner, const std::string& offer) {
  auto& st = self->state;
  auto handle = st.client->attach("janus.plugin.videoroom", janus_timeout);
  if (!handle)
    return janus_error(handle.err());
  auto join = request("join");
  auto& f = *join.mutable_fields();
  f["ptype"] = str("publisher");
  f["room"] = num(static_cast<double>(st.conn->room));
  f["display"] = str(track);
  auto joined = st.client->message(*handle, join, "", "", janus_timeout);
  if (!joined) {
    st.client->detach(*handle);
    return janus_error(joined.err());
  }
  auto feed = static_cast<uint64_t>(number_field(joined->data, "id"));
  auto pub = request("publish");
  auto answer = st.client->message(*handle, pub, "offer", offer, janus_timeout);
  if (!answer || answer->jsep_type != "answer") {
    st.client->detach(*handle);
    return answer ? make_error(errc::bad_request, "janus: publish came back without an answer")
                  : janus_error(answer.err());
  }
  // Our offers carry no candidates: Janus learns the lamp's address from its
  // checks (peer-reflexive), and must not wait for trickled ones.
  st.client->trickle_completed(*handle, janus_timeout);
  if (auto old = st.publishers.find(track); old != st.publishers.end())
    detach_publisher(self, old->second);
  janus_feed p{owner, *handle, feed, media_mid(*answer)};
  st.publishers[track] = p;
  // Subscribers' shards find the feed here from now on.
  st.conn->registry->add(track, std::move(p));
  return answer->jsep_sdp;
}

/// The track leaves the sessions here that watch it, then its publisher
/// goes (if it is this shard's).
void unpublish(janus_self self, const std::string& track) {
  auto& st = self->state;
  st.subscribers->unpublish(track);
  auto p = st.publishers.find(track);
  if (p == st.publishers.end())
    return;
  st.conn->registry->remove(track);
  detach_publisher(self, p->second);
  st.publishers.erase(p);
}

/// `track` into `who`'s session, once its publisher is up.
caf::result<caf::ok_atom> subscribe(janus_self self, const std::string& track,
                                    const std::string& who, signal::Layer layer,
                                    offer_sink_actor sink) {
  auto& st = self->state;
  // Already watched: a layer change, whatever became of the publisher.
  if (!st.subscribers->watches(who, track)) {
    auto& reg = *st.conn->registry;
    auto feed = reg.feed_of(track);
    if (!feed)
      return make_error(errc::not_found, "track " + track + " has no media");
    if (!reg.wait_up(feed->handle, feed_up_timeout))
      return make_error(errc::timeout, "janus: the publisher of " + track + " did not connect");
    if (reg.hung_up(feed->handle))
      return make_error(errc::not_found, "janus: the publisher of " + track + " hung up");
  }
  if (auto err = st.subscribers->subscribe(track, who, layer, std::move(sink)))
    return err;
  return caf::ok_atom::value;
}

/// Records this shard's counts for the room's stats.
void publish_counts(janus_self self) {
  auto& st = self->state;
  std::lock_guard<std::mutex> guard(st.conn->mtx);
  st.conn->counts[st.index] = {static_cast<uint32_t>(st.publishers.size()),
                               st.subscribers->watched()};
}

/// One shard of a classroom's Janus room: the publishers of the tracks
/// whose id hashes to it, and the subscribe sessions of the members whose
/// identity does. Its calls to Janus block (each with a deadline), so it
/// runs detached; shards negotiate in parallel, and a track's or a
/// member's requests stay in order because they all reach the same shard.
rtc_room_actor::behavior_type janus_shard(janus_self self, std::shared_ptr<janus_connection> conn,
                                          std::size_t index) {
  self->state.conn = std::move(conn);
  self->state.index = index;
  // Offers go out as Janus makes them; the sink (the member's
  // participant) sees them in order, one at a time.
  self->state.subscribers = std::make_unique<janus_subscribers>(
    self->state.conn->registry, self->state.conn->room,
    [self](const offer_sink_actor& sink, signal::SubscribeOffer o) {
      if (sink)
        self->send(sink, atoms::offer::value, std::move(o));
    });
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
      st.subscribers->clear();
    }
    st.client = std::move(*c);
    st.subscribers->use(st.client);
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
    [=](atoms::subscribe, const std::string& track, const std::string& who, signal::Layer layer,
        offer_sink_actor& sink) -> caf::result<caf::ok_atom> {
      if (auto err = janus_down())
        return err;
      auto r = subscribe(self, track, who, layer, std::move(sink));
      publish_counts(self);
      return r;
    },
    [=](atoms::answer, const std::string& who,
        const signal::SubscribeAnswer& a) -> caf::result<caf::ok_atom> {
      if (auto err = janus_down())
        return err;
      auto err = self->state.subscribers->answer(who, a);
      publish_counts(self);
      if (err)
        return err;
      return caf::ok_atom::value;
    },
    [=](atoms::layer, const std::string& track, const std::string& who, signal::Layer layer) {
      with_janus([&] { self->state.subscribers->layer(track, who, layer); });
    },
    [=](atoms::unsub, const std::string& track, const std::string& who) {
      with_janus([&] { self->state.subscribers->unsub(track, who); });
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
        st.subscribers->drop(who);
      });
    },
    [=](caf::get_atom) {
      auto& st = self->state;
      return rtc_room_stats{to_string(rtc_provider_kind::janus),
                            static_cast<uint32_t>(st.publishers.size()),
                            st.subscribers->watched()};
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
  /// Who published each track: a member's drop takes its tracks out of
  /// every shard's sessions, not only out of its publishers' shards.
  std::map<std::string, std::string> owners;
  static inline const char* name = "lamplight.janus_room";
};

/// The classroom's room: hands publishers to the shard of their track and
/// subscribe sessions to the shard of their member; what leaves every
/// session (unpublish, drop) goes to all shards.
rtc_room_actor::behavior_type janus_room_impl(rtc_room_actor::stateful_pointer<janus_room_state> self,
                                              rtc_provider_config cfg, rtc_room_spec spec) {
  auto& st = self->state;
  st.conn = std::make_shared<janus_connection>(std::move(cfg), std::move(spec), shards_per_room);
  for (std::size_t i = 0; i < shards_per_room; ++i) {
    st.shards.push_back(self->system().spawn<caf::detached>(janus_shard, st.conn, i));
    self->link_to(st.shards.back());
  }
  // Tracks and members hash alike: a track id or a member identity.
  auto shard = [=](const std::string& key) {
    return self->state.shards[std::hash<std::string>{}(key) % shards_per_room];
  };
  auto to_all = [=](auto... xs) {
    for (auto& s : self->state.shards)
      self->send(s, xs...);
  };
  return {
    [=](atoms::publish a, const std::string& track, const std::string& owner,
        const std::string& offer) {
      self->state.owners[track] = owner;
      return self->delegate(shard(track), a, track, owner, offer);
    },
    [=](atoms::subscribe a, const std::string& track, const std::string& who, signal::Layer layer,
        offer_sink_actor& sink) {
      return self->delegate(shard(who), a, track, who, layer, std::move(sink));
    },
    [=](atoms::answer a, const std::string& who, const signal::SubscribeAnswer& answer) {
      return self->delegate(shard(who), a, who, answer);
    },
    [=](atoms::layer a, const std::string& track, const std::string& who, signal::Layer layer) {
      self->send(shard(who), a, track, who, layer);
    },
    [=](atoms::unsub a, const std::string& track, const std::string& who) {
      self->send(shard(who), a, track, who);
    },
    [=](atoms::unpublish a, const std::string& track) {
      self->state.owners.erase(track);
      to_all(a, track);
    },
    [=](atoms::drop a, const std::string& who) {
      auto& owners = self->state.owners;
      for (auto i = owners.begin(); i != owners.end();) {
        if (i->second == who) {
          to_all(atoms::unpublish::value, i->first);
          i = owners.erase(i);
        } else {
          ++i;
        }
      }
      to_all(a, who);
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
      to_all(a);
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
