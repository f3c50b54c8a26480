#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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
#include "media/sdp.hpp"
#include "protocol/fnv1a.hpp"
#include "transport/janus_client.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;
using namespace std::chrono_literals;
using namespace janus_json;
namespace pb = google::protobuf;

/// Janus's VideoRoom as a provider (https://janus.conf.meetecho.com/docs/videoroom).
/// One Janus session per classroom, one VideoRoom room, and per member one
/// multistream publisher handle (its publish session: every track it sends,
/// a renegotiation "configure"d with each new offer) and one multistream
/// subscriber handle (its subscribe session, janus_subscriber.hpp).
/// VideoRoom offers to subscribers, as the session contract wants. The
/// room hands a member's publisher and subscriber to the shard of the
/// member; shards are detached actors whose calls to Janus block (each
/// with a deadline, janus_timeout), sharing the published feeds (a track
/// is a feed and its stream's mid) through a registry.
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

/// A member's publish session in Janus: one publisher handle (one feed)
/// for every track it sends.
struct janus_publisher {
  uint64_t handle = 0;
  uint64_t feed = 0;
  std::string connection;  // the offer's ICE ufrag and fingerprint
  std::set<std::string> tracks;
};

struct janus_shard_state {
  std::shared_ptr<janus_connection> conn;
  std::size_t index = 0;
  uint64_t generation = 0;  // of conn, when the handles below were made
  std::shared_ptr<transport::janus_client> client;  // for this request
  std::map<std::string, janus_publisher> publishers;  // by member
  std::unique_ptr<janus_subscribers> subscribers;     // the sessions of the members here
  static inline const char* name = "lamplight.janus_shard";
};

/// A shard: the room protocol, and one more message from the room: these
/// tracks were published again, maybe on another feed (a publish session
/// on a new connection); the sessions here that watch them follow.
using janus_shard_actor
  = rtc_room_actor::extend<caf::reacts_to<atoms::refeed, std::vector<std::string>>>;

using janus_self = janus_shard_actor::stateful_pointer<janus_shard_state>;

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

/// Which connection an offer comes from (its first section's ICE ufrag and
/// certificate), or bad_request for what is not SDP.
caf::expected<std::string> connection_of(const std::string& sdp) {
  auto parsed = media::parse_sdp(sdp);
  if (!parsed)
    return make_error(errc::bad_request, parsed.err().message);
  for (const auto& m : parsed->media)
    if (m.port != 0)
      return m.ice_ufrag + " " + m.fingerprint;
  return make_error(errc::bad_request, "the offer has no section to accept");
}

/// A new publisher handle for `owner`, joined and published with `offer`;
/// Janus's answer.
caf::expected<transport::janus_reply> open_publisher(janus_self self, const std::string& owner,
                                                     const std::string& offer, janus_publisher& p) {
  auto& st = self->state;
  auto handle = st.client->attach("janus.plugin.videoroom", janus_timeout);
  if (!handle)
    return janus_error(handle.err());
  auto join = request("join");
  auto& f = *join.mutable_fields();
  f["ptype"] = str("publisher");
  f["room"] = num(static_cast<double>(st.conn->room));
  f["display"] = str(owner);
  auto joined = st.client->message(*handle, join, "", "", janus_timeout);
  if (!joined) {
    st.client->detach(*handle);
    return janus_error(joined.err());
  }
  auto answer = st.client->message(*handle, request("publish"), "offer", offer, janus_timeout);
  if (!answer || answer->jsep_type != "answer") {
    st.client->detach(*handle);
    return answer ? make_error(errc::bad_request, "janus: publish came back without an answer")
                  : janus_error(answer.err());
  }
  // Our offers carry no candidates: Janus learns the client's address from
  // its checks (peer-reflexive), and must not wait for trickled ones.
  st.client->trickle_completed(*handle, janus_timeout);
  p.handle = *handle;
  const auto* id = field(joined->data, "id");
  p.feed = id ? static_cast<uint64_t>(id->number_value()) : 0;
  return std::move(*answer);
}

/// A publisher's handle goes, and with it what Janus said about it.
void detach_publisher(janus_self self, const janus_publisher& p) {
  self->state.client->detach(p.handle);
  self->state.conn->registry->forget(p.handle);
}

/// An offer of `owner`'s publish session: the first (or one on another
/// connection) opens a publisher handle, the others renegotiate it
/// ("configure" with the offer). The tracks it names are registered as
/// (feed, mid); those it no longer names leave the registry (the
/// classroom unpublishes them, which reaches every shard).
caf::result<signal::Published> publish(janus_self self, const std::string& owner,
                                       const signal::Publish& offer) {
  auto& st = self->state;
  auto conn = connection_of(offer.sdp());
  if (!conn)
    return std::move(conn.error());
  auto p = st.publishers.find(owner);
  bool anew = p == st.publishers.end() || p->second.connection != *conn;
  janus_publisher next;
  if (!anew)
    next = p->second;
  auto answer = [&]() -> caf::expected<transport::janus_reply> {
    if (anew)
      return open_publisher(self, owner, offer.sdp(), next);
    auto r = st.client->message(next.handle, request("configure"), "offer", offer.sdp(), janus_timeout);
    if (!r)
      return janus_error(r.err());
    if (r->jsep_type != "answer")
      return make_error(errc::bad_request, "janus: the renegotiation came back without an answer");
    return std::move(*r);
  }();
  if (!answer)
    return std::move(answer.error());
  next.connection = *conn;
  auto& reg = *st.conn->registry;
  next.tracks.clear();
  for (const auto& t : offer.tracks()) {
    next.tracks.insert(t.track_id());
    reg.add(t.track_id(), janus_feed{owner, next.handle, next.feed, t.mid()});
  }
  if (p != st.publishers.end()) {
    for (const auto& id : p->second.tracks)
      if (!next.tracks.count(id))
        reg.remove(id);
    if (anew)
      detach_publisher(self, p->second);
  }
  st.publishers[owner] = std::move(next);
  return published_answer(offer, answer->jsep_sdp);
}

/// The track leaves the sessions here that watch it, and the registry if
/// its publisher is this shard's.
void unpublish(janus_self self, const std::string& track) {
  auto& st = self->state;
  st.subscribers->unpublish(track);
  for (auto& [owner, p] : st.publishers)
    if (p.tracks.erase(track))
      st.conn->registry->remove(track);
}

/// A member's publisher goes (it left).
void drop_publisher(janus_self self, const std::string& owner) {
  auto& st = self->state;
  auto p = st.publishers.find(owner);
  if (p == st.publishers.end())
    return;
  for (const auto& id : p->second.tracks) {
    st.subscribers->unpublish(id);
    st.conn->registry->remove(id);
  }
  detach_publisher(self, p->second);
  st.publishers.erase(p);
}

uint32_t tracks_published(const janus_shard_state& st) {
  std::size_t n = 0;
  for (const auto& [owner, p] : st.publishers)
    n += p.tracks.size();
  return static_cast<uint32_t>(n);
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
  st.conn->counts[st.index] = {tracks_published(st), st.subscribers->watched()};
}

/// One shard of a classroom's Janus room: the publishers of the tracks
/// whose id hashes to it, and the subscribe sessions of the members whose
/// identity does. Its calls to Janus block (each with a deadline), so it
/// runs detached; shards negotiate in parallel, and a track's or a
/// member's requests stay in order because they all reach the same shard.
janus_shard_actor::behavior_type janus_shard(janus_self self,
                                             std::shared_ptr<janus_connection> conn,
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
    [=](atoms::publish, const std::string& owner,
        const signal::Publish& offer) -> caf::result<signal::Published> {
      if (auto err = janus_down())
        return err;
      auto r = publish(self, owner, offer);
      publish_counts(self);
      return r;
    },
    [=](atoms::refeed, const std::vector<std::string>& tracks) {
      with_janus([&] { self->state.subscribers->refeed(tracks); });
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
        drop_publisher(self, who);
        self->state.subscribers->drop(who);
      });
    },
    [=](caf::get_atom) {
      auto& st = self->state;
      return rtc_room_stats{to_string(rtc_provider_kind::janus), tracks_published(st),
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
  std::vector<janus_shard_actor> shards;
  /// Who published each track: a member's drop takes its tracks out of
  /// every shard's sessions, not only out of its publisher's shard.
  std::map<std::string, std::string> owners;
  static inline const char* name = "lamplight.janus_room";
};

/// The classroom's room: hands a member's publish and subscribe sessions
/// to the shard of the member; what leaves every session (unpublish,
/// drop) or may come from another feed (a publish) goes to all shards.
rtc_room_actor::behavior_type janus_room_impl(rtc_room_actor::stateful_pointer<janus_room_state> self,
                                              rtc_provider_config cfg, rtc_room_spec spec) {
  auto& st = self->state;
  st.conn = std::make_shared<janus_connection>(std::move(cfg), std::move(spec), shards_per_room);
  for (std::size_t i = 0; i < shards_per_room; ++i) {
    st.shards.push_back(self->system().spawn<caf::detached>(janus_shard, st.conn, i));
    self->link_to(st.shards.back());
  }
  auto shard = [=](const std::string& member) {
    return self->state.shards[std::hash<std::string>{}(member) % shards_per_room];
  };
  auto to_all = [=](auto... xs) {
    for (auto& s : self->state.shards)
      self->send(s, xs...);
  };
  return {
    [=](atoms::publish a, const std::string& owner,
        const signal::Publish& offer) -> caf::result<signal::Published> {
      auto rp = self->make_response_promise<signal::Published>();
      self->request(shard(owner), caf::infinite, a, owner, offer)
        .then(
          [=](signal::Published& out) mutable {
            std::vector<std::string> tracks;
            for (const auto& t : out.tracks()) {
              self->state.owners[t.track_id()] = owner;
              tracks.push_back(t.track_id());
            }
            for (auto& s : self->state.shards)
              self->send(s, atoms::refeed::value, tracks);
            rp.deliver(std::move(out));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
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
