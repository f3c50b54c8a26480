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

#include "actors/errors.hpp"
#include "actors/rtc_room.hpp"
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
/// come back as server offers that the client answers.
///
/// The room runs detached: its calls to Janus block (each with a deadline),
/// and only this classroom's media requests wait behind them.
constexpr auto janus_timeout = 5s;
/// Janus takes a subscription to a feed only once the publisher's
/// PeerConnection is up ("No such feed" before); a subscriber that asks
/// right after the publish waits this long at most.
constexpr auto feed_up_timeout = 5s;
/// VideoRoom's "No such feed" error code.
constexpr double no_such_feed = 428;
constexpr double room_exists = 427;

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

struct janus_room_state {
  std::unique_ptr<transport::janus_client> client;
  std::shared_ptr<webrtc_up> up = std::make_shared<webrtc_up>();
  /// Why the room has no Janus, if it has none.
  protocol::error down;
  uint64_t control = 0;  // handle for room management
  uint64_t room = 0;
  struct publisher {
    std::string owner;
    uint64_t handle = 0;
    uint64_t feed = 0;
  };
  struct subscriber {
    uint64_t handle = 0;
    bool started = false;
  };
  std::map<std::string, publisher> publishers;                         // by track id
  std::map<std::pair<std::string, std::string>, subscriber> subscribers;  // (track, who)

  janus_room_state() = default;
  janus_room_state(const janus_room_state&) = delete;
  janus_room_state& operator=(const janus_room_state&) = delete;
  /// Destroying the room ends every PeerConnection in it; the session goes
  /// with the client.
  ~janus_room_state();

  static inline const char* name = "lamplight.janus_room";
};

using janus_self = rtc_room_actor::stateful_pointer<janus_room_state>;

/// VideoRoom room ids are numbers; Janus's JSON carries them as doubles, so
/// they stay below 2^53. FNV-1a of tenant/classroom, never 0.
uint64_t room_id(const std::string& tenant, const std::string& classroom) {
  uint64_t h = 1469598103934665603ull;
  for (char c : tenant + "/" + classroom) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return (h & ((1ull << 52) - 1)) | 1;
}

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

janus_room_state::~janus_room_state() {
  if (!client || !client->connected() || control == 0)
    return;
  auto destroy = request("destroy");
  (*destroy.mutable_fields())["room"] = num(static_cast<double>(room));
  client->message(control, destroy, "", "", janus_timeout);
}

caf::error to_caf(const protocol::error& e) { return make_error(e.code, "janus: " + e.message); }

/// Connects, attaches the control handle and creates the classroom's room
/// (or finds it, after a restart of ours).
void open_room(janus_self self, const rtc_provider_config& cfg, const rtc_room_spec& spec) {
  auto& st = self->state;
  st.client = std::make_unique<transport::janus_client>();
  st.client->on_event([up = st.up](const transport::janus_event& ev) {
    if (ev.kind != "webrtcup")
      return;
    std::lock_guard<std::mutex> guard(up->mtx);
    up->handles.insert(ev.handle);
    up->changed.notify_all();
  });
  if (auto ok = st.client->connect(cfg.janus_host, cfg.janus_port, janus_timeout); !ok) {
    st.down = ok.err();
    return;
  }
  auto control = st.client->attach("janus.plugin.videoroom", janus_timeout);
  if (!control) {
    st.down = control.err();
    return;
  }
  st.control = *control;
  st.room = room_id(spec.tenant, spec.classroom_id);
  auto create = request("create");
  auto& f = *create.mutable_fields();
  f["room"] = num(static_cast<double>(st.room));
  f["description"] = str(spec.tenant + "/" + spec.classroom_id);
  // A large class publishes one feed per student microphone.
  f["publishers"] = num(250);
  f["videocodec"] = str("vp8");
  f["audiocodec"] = str("opus");
  f["notify_joining"] = boolean(false);
  if (!cfg.janus_room_secret.empty())
    f["admin_key"] = str(cfg.janus_room_secret);
  auto created = st.client->message(st.control, create, "", "", janus_timeout);
  if (!created && created.err().message.find("already exists") == std::string::npos)
    st.down = created.err();
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
  f["room"] = num(static_cast<double>(st.room));
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
  if (!st.up->wait(p->second.handle, feed_up_timeout))
    return make_error(errc::timeout, "janus: the publisher of " + track + " did not connect");
  unsubscribe(self, track, who);
  auto handle = st.client->attach("janus.plugin.videoroom", janus_timeout);
  if (!handle)
    return to_caf(handle.err());
  auto join = request("join");
  auto& f = *join.mutable_fields();
  f["ptype"] = str("subscriber");
  f["room"] = num(static_cast<double>(st.room));
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
    std::lock_guard<std::mutex> guard(st.up->mtx);
    st.up->handles.erase(p->second.handle);
  }
  st.publishers.erase(p);
}

rtc_room_actor::behavior_type janus_room_impl(janus_self self, rtc_provider_config cfg,
                                              rtc_room_spec spec) {
  open_room(self, cfg, spec);
  // Every request but close and stats needs Janus: the error if it is out
  // of reach, none if it serves.
  auto janus_down = [=]() -> caf::error {
    auto& st = self->state;
    if (!st.client || st.down.code != errc::none)
      return make_error(errc::unavailable, "janus: " + st.down.message);
    if (!st.client->connected())
      return make_error(errc::unavailable, "janus: connection lost");
    return {};
  };
  return {
    [=](atoms::publish, const std::string& track, const std::string& owner,
        const std::string& offer) -> caf::result<std::string> {
      if (auto err = janus_down())
        return err;
      return publish(self, track, owner, offer);
    },
    [=](atoms::subscribe, const std::string& track, const std::string& who,
        const std::string&, signal::Layer layer) -> caf::result<rtc_negotiation> {
      // The subscriber's offer is of no use: VideoRoom offers itself.
      if (auto err = janus_down())
        return err;
      return subscribe(self, track, who, layer);
    },
    [=](atoms::answer, const std::string& track, const std::string& who,
        const std::string& sdp) -> caf::result<caf::ok_atom> {
      if (auto err = janus_down())
        return err;
      return answer(self, track, who, sdp);
    },
    [=](atoms::layer, const std::string& track, const std::string& who, signal::Layer layer) {
      auto& st = self->state;
      auto i = st.subscribers.find({track, who});
      if (janus_down() || i == st.subscribers.end())
        return;
      auto configure = request("configure");
      (*configure.mutable_fields())["substream"] = num(substream(layer));
      st.client->message(i->second.handle, configure, "", "", janus_timeout);
    },
    [=](atoms::unsub, const std::string& track, const std::string& who) {
      if (!janus_down())
        unsubscribe(self, track, who);
    },
    [=](atoms::unpublish, const std::string& track) {
      if (!janus_down())
        unpublish(self, track);
    },
    [=](atoms::drop, const std::string& who) {
      if (janus_down())
        return;
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

} // namespace

rtc_room_actor spawn_janus_room(caf::actor_system& sys, rtc_provider_config cfg,
                                rtc_room_spec spec) {
  return sys.spawn<caf::detached>(janus_room_impl, std::move(cfg), std::move(spec));
}

} // namespace lamplight::actors
