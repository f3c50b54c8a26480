#include "actors/rtc/janus_subscriber.hpp"

#include <utility>

#include "actors/base/errors.hpp"

namespace lamplight::actors {

using protocol::errc;
namespace pb = google::protobuf;
using namespace janus_json;

caf::error janus_error(const protocol::error& e) {
  // The client's own errors say "janus: " already.
  bool named = e.message.rfind("janus: ", 0) == 0;
  return make_error(e.code, named ? e.message : "janus: " + e.message);
}

namespace janus_json {

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

const pb::Value* field(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  return i == s.fields().end() ? nullptr : &i->second;
}

} // namespace janus_json

// -- janus_registry -----------------------------------------------------------

void janus_registry::add(const std::string& track, janus_feed f) {
  std::lock_guard<std::mutex> guard(mtx_);
  feeds_[track] = std::move(f);
}

void janus_registry::remove(const std::string& track) {
  std::lock_guard<std::mutex> guard(mtx_);
  feeds_.erase(track);
  talking_.erase(track);
}

std::optional<janus_feed> janus_registry::feed_of(const std::string& track) const {
  std::lock_guard<std::mutex> guard(mtx_);
  auto i = feeds_.find(track);
  if (i == feeds_.end())
    return std::nullopt;
  return i->second;
}

void janus_registry::clear() {
  std::lock_guard<std::mutex> guard(mtx_);
  feeds_.clear();
  talking_.clear();
  up_.clear();
  hung_up_.clear();
}

void janus_registry::on_speech(speech_handler f) {
  std::lock_guard<std::mutex> guard(mtx_);
  on_speech_ = std::move(f);
}

/// {"janus": "event", "plugindata": {"data": {"videoroom": "talking", "id":
/// feed, "mid": mid, "audio-level-dBov-avg": level}}} (Janus 1.x, with
/// audiolevel_event on the room).
void janus_registry::on_talking(const transport::janus_event& ev) {
  const auto* plugin = field(ev.message, "plugindata");
  const auto* data = plugin && plugin->has_struct_value() ? field(plugin->struct_value(), "data") : nullptr;
  if (!data || !data->has_struct_value())
    return;
  const auto& d = data->struct_value();
  const auto* what = field(d, "videoroom");
  if (!what || (what->string_value() != "talking" && what->string_value() != "stopped-talking"))
    return;
  bool talking = what->string_value() == "talking";
  const auto* id = field(d, "id");
  const auto* mid = field(d, "mid");
  const auto* level = field(d, "audio-level-dBov-avg");
  if (!id)
    return;
  auto feed = static_cast<uint64_t>(id->number_value());
  speech_handler f;
  std::string track;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    for (const auto& [t, x] : feeds_)
      if (x.feed == feed && (x.mid.empty() || !mid || x.mid == mid->string_value()))
        track = t;
    if (track.empty() || talking == (talking_.count(track) > 0))
      return;  // not ours, or told already through another handle
    if (talking)
      talking_.insert(track);
    else
      talking_.erase(track);
    f = on_speech_;
  }
  if (f) {
    double l = level ? level->number_value() : 127;
    f(track, talking, static_cast<uint8_t>(l < 0 ? 0 : l > 127 ? 127 : l));
  }
}

void janus_registry::on_event(const transport::janus_event& ev) {
  if (ev.kind == "event") {
    on_talking(ev);
    return;
  }
  if (ev.kind != "webrtcup" && ev.kind != "hangup")
    return;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    (ev.kind == "webrtcup" ? up_ : hung_up_).insert(ev.handle);
  }
  changed_.notify_all();
}

bool janus_registry::wait_up(uint64_t handle, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mtx_);
  return changed_.wait_for(lock, timeout, [&] { return up_.count(handle) > 0; });
}

bool janus_registry::hung_up(uint64_t handle) const {
  std::lock_guard<std::mutex> guard(mtx_);
  return hung_up_.count(handle) > 0;
}

void janus_registry::forget(uint64_t handle) {
  std::lock_guard<std::mutex> guard(mtx_);
  up_.erase(handle);
  hung_up_.erase(handle);
}

// -- janus_subscribers --------------------------------------------------------

namespace {

int substream(signal::Layer layer) {
  switch (layer) {
    case signal::LAYER_LOW: return 0;
    case signal::LAYER_MEDIUM: return 1;
    default: return 2;
  }
}

/// A "streams" entry that subscribes to a feed's media stream.
pb::Value stream_entry(const janus_feed& f, signal::Layer layer) {
  pb::Value v;
  auto& s = *v.mutable_struct_value()->mutable_fields();
  s["feed"] = num(static_cast<double>(f.feed));
  // With its mid, only the media stream: a lamp's first publisher also
  // carries its data channel, which subscribers do not take.
  if (!f.mid.empty())
    s["mid"] = str(f.mid);
  if (layer != signal::LAYER_UNSPECIFIED)
    s["substream"] = num(substream(layer));
  return v;
}

std::string text_of(const pb::Struct& data, const std::string& key) {
  auto i = data.fields().find(key);
  return i == data.fields().end() ? std::string() : i->second.string_value();
}

} // namespace

janus_subscribers::janus_subscribers(std::shared_ptr<janus_registry> registry, uint64_t room,
                                     offer_fn send)
  : registry_(std::move(registry)), room_(room), send_(std::move(send)) {}

caf::error janus_subscribers::subscribe(const std::string& track, const std::string& who,
                                        signal::Layer layer, offer_sink_actor sink) {
  auto& s = sessions_[who];
  s.sink = std::move(sink);
  if (s.wanted.count(track) > 0) {
    this->layer(track, who, layer);
    return {};
  }
  s.wanted[track] = layer;
  auto err = sync(s);
  if (err) {
    s.wanted.erase(track);
    if (s.handle == 0 && s.wanted.empty())
      sessions_.erase(who);
  }
  return err;
}

caf::error janus_subscribers::answer(const std::string& who, const signal::SubscribeAnswer& a) {
  auto i = sessions_.find(who);
  if (i == sessions_.end() || !i->second.in_flight || a.session() != i->second.handle
      || a.version() != i->second.version)
    return make_error(errc::wrong_state, "no offer " + std::to_string(a.session()) + "/"
                                           + std::to_string(a.version()) + " to " + who
                                           + " waits for its answer");
  auto& s = i->second;
  auto started = client_->message(s.handle, request("start"), "answer", a.sdp(), janus_timeout);
  if (!started) {
    if (started.err().code == errc::bad_request) {
      // Janus still waits for an answer to that offer and would hold every
      // change back behind it: the session starts over as a new one.
      reset(s);
      sync(s);
    }
    // Otherwise (timeout, unavailable) the offer stays in flight: the
    // client may answer it again.
    return janus_error(started.err());
  }
  if (!s.started) {
    // Our answers carry no candidates: Janus learns the client's address
    // from its checks (peer-reflexive), and must not wait for trickled ones.
    client_->trickle_completed(s.handle, janus_timeout);
    s.started = true;
  }
  s.in_flight = false;
  // What waited makes the next offer; its failure is not the answer's.
  sync(s);
  return {};
}

void janus_subscribers::layer(const std::string& track, const std::string& who,
                              signal::Layer layer) {
  auto i = sessions_.find(who);
  if (i == sessions_.end())
    return;
  auto& s = i->second;
  auto w = s.wanted.find(track);
  if (w == s.wanted.end())
    return;
  w->second = layer;
  // A track not in Janus's offer yet gets it with its subscription.
  if (auto l = s.live.find(track); l != s.live.end()) {
    pb::Value stream;
    auto& f = *stream.mutable_struct_value()->mutable_fields();
    f["mid"] = str(l->second.mid);
    f["substream"] = num(substream(layer));
    configure(s, stream);
  }
}

void janus_subscribers::unsub(const std::string& track, const std::string& who) {
  auto i = sessions_.find(who);
  if (i == sessions_.end())
    return;
  auto& s = i->second;
  if (s.wanted.erase(track) == 0 && s.live.count(track) == 0)
    return;
  auto l = s.live.find(track);
  if (s.in_flight && l != s.live.end()) {
    // Its section goes with the offer after the one in flight; its media
    // stops now.
    pb::Value stream;
    auto& f = *stream.mutable_struct_value()->mutable_fields();
    f["mid"] = str(l->second.mid);
    f["send"] = boolean(false);
    configure(s, stream);
  }
  sync(s);
}

void janus_subscribers::unpublish(const std::string& track) {
  for (auto& [who, s] : sessions_) {
    if (s.wanted.erase(track) == 0 && s.live.count(track) == 0)
      continue;
    // Janus already left its section inactive if the publisher went
    // first (autoupdate off: no offer of its own); the update says so.
    sync(s);
  }
}

void janus_subscribers::refeed(const std::vector<std::string>& tracks) {
  for (auto& [who, s] : sessions_)
    for (const auto& t : tracks)
      if (s.wanted.count(t)) {
        sync(s);
        break;
      }
}

void janus_subscribers::drop(const std::string& who) {
  auto i = sessions_.find(who);
  if (i == sessions_.end())
    return;
  reset(i->second);
  sessions_.erase(i);
}

uint32_t janus_subscribers::watched() const {
  std::size_t n = 0;
  for (auto& [who, s] : sessions_)
    n += s.wanted.size();
  return static_cast<uint32_t>(n);
}

/// Makes Janus's subscription what the member wants, unless an offer is in
/// flight (then after its answer): a first join, or one update with every
/// change since the last offer. Each offer Janus makes goes to the sink.
caf::error janus_subscribers::sync(session& s) {
  if (s.in_flight)
    return {};
  // Janus drops a subscriber's streams with its PeerConnection: a session
  // whose connection hung up starts over as a new one.
  if (s.handle != 0 && registry_->hung_up(s.handle))
    reset(s);
  auto want = desired(s);
  return s.handle == 0 ? open(s, want) : update(s, want);
}

/// The watched tracks that have a feed to subscribe to: published, and
/// their publisher's connection not hung up.
janus_subscribers::desired_feeds janus_subscribers::desired(const session& s) const {
  desired_feeds out;
  for (auto& [track, layer] : s.wanted)
    if (auto f = registry_->feed_of(track); f && !registry_->hung_up(f->handle))
      out.emplace(track, std::move(*f));
  return out;
}

caf::error janus_subscribers::open(session& s, const desired_feeds& want) {
  if (want.empty())
    return {};
  auto handle = client_->attach("janus.plugin.videoroom", janus_timeout);
  if (!handle)
    return janus_error(handle.err());
  auto join = request("join");
  auto& f = *join.mutable_fields();
  f["ptype"] = str("subscriber");
  f["room"] = num(static_cast<double>(room_));
  // Without it Janus would offer on its own when a publisher leaves, maybe
  // while our offer waits for its answer; we time every offer ourselves
  // (the next update after a publisher left renegotiates its section).
  f["autoupdate"] = boolean(false);
  auto& streams = *f["streams"].mutable_list_value();
  for (auto& [track, feed] : want)
    *streams.add_values() = stream_entry(feed, s.wanted.at(track));
  auto joined = client_->message(*handle, join, "", "", janus_timeout);
  if (!joined || joined->jsep_type != "offer") {
    client_->detach(*handle);
    return joined ? make_error(errc::internal, "janus: the subscription came without an offer")
                  : janus_error(joined.err());
  }
  s.handle = *handle;
  s.version = 0;
  s.started = false;
  s.live.clear();
  return take_offer(s, *joined, want);
}

caf::error janus_subscribers::update(session& s, const desired_feeds& want) {
  pb::ListValue add;
  pb::ListValue remove;
  for (auto& [track, feed] : want) {
    auto l = s.live.find(track);
    if (l == s.live.end() || l->second.feed != feed.feed || l->second.feed_mid != feed.mid)
      *add.add_values() = stream_entry(feed, s.wanted.at(track));
  }
  for (auto& [track, sec] : s.live) {
    auto w = want.find(track);
    if (w == want.end() || w->second.feed != sec.feed || w->second.mid != sec.feed_mid) {
      // By our section's mid: it goes even when its publisher is gone.
      pb::Value v;
      (*v.mutable_struct_value()->mutable_fields())["sub_mid"] = str(sec.mid);
      *remove.add_values() = std::move(v);
    }
  }
  if (add.values_size() == 0 && remove.values_size() == 0)
    return {};
  auto body = [&](bool with_add) {
    auto b = request("update");
    if (with_add && add.values_size() > 0)
      *(*b.mutable_fields())["subscribe"].mutable_list_value() = add;
    if (remove.values_size() > 0)
      *(*b.mutable_fields())["unsubscribe"].mutable_list_value() = remove;
    return b;
  };
  auto r = client_->message(s.handle, body(true), "", "", janus_timeout);
  caf::error refused;
  if (!r && r.err().code == errc::bad_request && add.values_size() > 0
      && remove.values_size() > 0) {
    // A feed Janus no longer has fails the whole update before it changes
    // anything: what leaves still leaves; the rest is tried again with the
    // next change.
    refused = janus_error(r.err());
    r = client_->message(s.handle, body(false), "", "", janus_timeout);
  }
  if (!r) {
    // A refusal changed nothing; after a timeout Janus may have made an
    // offer nobody will answer, and a lost connection took the handle.
    if (r.err().code != errc::bad_request)
      reset(s);
    return janus_error(r.err());
  }
  if (r->jsep_type != "offer") {
    if (text_of(r->data, "videoroom") == "updating") {
      // Janus waits for an answer we know nothing of: start over.
      reset(s);
      return make_error(errc::internal, "janus: an update was postponed behind an unknown offer");
    }
    return refused;  // nothing Janus would renegotiate
  }
  auto err = take_offer(s, *r, want);
  return refused ? refused : err;
}

/// Sends Janus's offer to the member: its sections named by our track ids,
/// from Janus's streams list (feed and feed mid -> our track).
caf::error janus_subscribers::take_offer(session& s, const transport::janus_reply& r,
                                         const desired_feeds& want) {
  std::map<std::pair<uint64_t, std::string>, std::string> names;
  std::map<std::string, section> known;  // by track: its feed
  for (auto& [track, sec] : s.live) {
    names[{sec.feed, sec.feed_mid}] = track;
    known[track] = sec;
  }
  for (auto& [track, feed] : want) {
    names[{feed.feed, feed.mid}] = track;
    known[track] = {"", feed.feed, feed.mid};
  }
  auto carried = transport::named_sections(transport::videoroom_streams(r.data), names);
  std::map<std::string, section> live;
  signal::SubscribeOffer offer;
  for (auto& [mid, track] : carried) {
    auto sec = known.at(track);
    sec.mid = mid;
    live[track] = std::move(sec);
    auto* t = offer.add_tracks();
    t->set_mid(mid);
    t->set_track_id(track);
  }
  s.live = std::move(live);
  s.in_flight = true;
  offer.set_session(s.handle);
  offer.set_version(++s.version);
  offer.set_sdp(r.jsep_sdp);
  send_(s.sink, std::move(offer));
  return {};
}

/// A "configure" of one section; no renegotiation, so also while an offer
/// is in flight.
caf::error janus_subscribers::configure(const session& s, const pb::Value& stream) {
  auto body = request("configure");
  *(*body.mutable_fields())["streams"].mutable_list_value()->add_values() = stream;
  auto r = client_->message(s.handle, body, "", "", janus_timeout);
  return r ? caf::error{} : janus_error(r.err());
}

/// Forgets the session's Janus side (its handle detached): the next sync
/// opens a new one, with a new session number.
void janus_subscribers::reset(session& s) {
  if (s.handle != 0) {
    client_->detach(s.handle);
    registry_->forget(s.handle);
  }
  s.handle = 0;
  s.version = 0;
  s.in_flight = false;
  s.started = false;
  s.live.clear();
}

} // namespace lamplight::actors
