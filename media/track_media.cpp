#include "media/track_media.hpp"

#include <algorithm>
#include <atomic>
#include <set>

#include <openssl/rand.h>

#include "media/sdp_answer.hpp"
#include "protocol/photo_transfer.hpp"
#include "transport/ice_lite.hpp"

namespace lamplight::media {

using protocol::errc;

namespace {
std::atomic<uint64_t> next_data_group{1};
} // namespace

track_media::track_media(std::shared_ptr<media_worker> worker, byte_meter meter)
  : worker_(std::move(worker)), data_group_(next_data_group++), meter_(std::move(meter)) {}

track_media::~track_media() {
  if (!worker_)
    return;
  for (auto& [who, w] : watchers_)
    if (w.peer != 0)
      worker_->remove_peer(w.peer);
  for (auto& [id, t] : tracks_)
    release(t);
  for (auto& [who, p] : publishers_)
    if (p.peer != 0)
      worker_->remove_peer(p.peer);
}

void track_media::release(const published& t) {
  // The track and its routes (pipes included); the connection stays, for
  // the session's other tracks or the pipe's.
  worker_->remove_track(t.track);
}

media_worker::peer_params track_media::peer_params_for(const session_endpoint& ours,
                                                      const session_remote& client,
                                                      bool data_channels,
                                                      const std::string& data_owner) const {
  media_worker::peer_params pp{ours.ice_ufrag,         ours.ice_pwd,  client.ice_ufrag,
                               client.fingerprint,     transport::dtls_role::server,
                               data_channels,          data_group_};
  pp.meter = meter_;
  if (on_photo_ && data_channels)
    pp.on_node_channel = [f = on_photo_, data_owner](media_worker::peer_id peer,
                                                     const transport::data_channel_message& m) {
      if (m.label == protocol::photo_channel)
        f(peer, data_owner, m.binary, std::string(m.data.begin(), m.data.end()));
    };
  return pp;
}

protocol::result<media_worker::track_params>
track_media::track_params_of(const offered_stream& stream, media_worker::peer_id peer,
                             const std::string& track_id) const {
  media_worker::track_params tp;
  tp.publisher = peer;
  tp.clock_rate = stream.clock_rate;
  tp.vp8 = stream.codec == "VP8";
  tp.rid_extension = stream.rid_extension;
  if (on_speech_ && stream.audio_level_extension != 0) {
    tp.audio_level_extension = stream.audio_level_extension;
    tp.on_speech = [f = on_speech_, track_id](bool speaking, uint8_t level) {
      f(track_id, speaking, level);
    };
  }
  if (!stream.rids.empty()) {
    if (stream.rid_extension == 0)
      return protocol::error{errc::bad_request,
                             "a simulcast offer by rid must offer the rtp-stream-id extension"};
    for (const auto& r : stream.rids)
      tp.layers.push_back({0, r});
  } else if (!stream.layer_ssrcs.empty()) {
    for (auto s : stream.layer_ssrcs)
      tp.layers.push_back({s, ""});
  } else {
    // Without an SSRC in the offer, the first one the publisher sends.
    tp.layers.push_back({stream.ssrc, ""});
  }
  return tp;
}

void track_media::serve(const std::string& track_id, const std::string& owner,
                        media_worker::track_params tp) {
  auto layers = static_cast<int>(tp.layers.size());
  auto clock_rate = tp.clock_rate;
  auto vp8 = tp.vp8;
  // Its streams changed (the same section, or another connection): the old
  // worker track goes first (it may share SSRCs with the new one), and its
  // watchers are routed to the new one with the SSRCs their sessions know.
  // So are the pipes it went into: the other workers keep their copies.
  bool replaced = false;
  decltype(published::pipes_out) pipes;
  if (auto old = tracks_.find(track_id); old != tracks_.end()) {
    release(old->second);
    pipes = std::move(old->second.pipes_out);
    replaced = true;
  }
  auto track = worker_->add_track(std::move(tp));
  if (replaced)
    for (auto& [who, w] : watchers_)
      if (auto x = w.tracks.find(track_id); x != w.tracks.end() && x->second.routed)
        worker_->add_route(track, w.peer, x->second.ssrc, layer_index(x->second.layer, layers));
  for (const auto& [name, p] : pipes)
    if (auto pipe = worker_->pipe_peer(p.first))
      for (std::size_t layer = 0; layer < p.second.ssrcs.size(); ++layer)
        worker_->add_route(track, *pipe, p.second.ssrcs[layer],
                           std::min(static_cast<int>(layer), layers - 1));
  auto& t = tracks_[track_id] = published{};
  t.pipes_out = std::move(pipes);
  t.owner = owner;
  t.track = track;
  t.layers = layers;
  t.clock_rate = clock_rate;
  t.vp8 = vp8;
}

protocol::result<track_media::publish_outcome>
track_media::publish_offer(const std::string& owner, const std::string& offer_sdp,
                           const std::map<std::string, std::string>& track_of_mid) {
  if (!worker_)
    return protocol::error{errc::unavailable, "no media worker on this node"};
  auto p = publishers_.find(owner);
  // Another connection (a page that reloaded, a lamp that reconnected)
  // starts the session anew; its tracks move to the new connection.
  bool anew = p == publishers_.end() || p->second.model.other_connection(offer_sdp);
  // Offered to a copy: a refused offer leaves the session as it was.
  auto model = anew ? publish_session(session_endpoint{transport::random_ice_string(8),
                                                       transport::random_ice_string(24),
                                                       worker_->fingerprint(), worker_->address(),
                                                       worker_->port()},
                                      true)
                    : p->second.model;
  auto n = model.offer(offer_sdp);
  if (!n)
    return n.err();
  std::map<std::string, media_worker::track_params> params;  // by mid
  for (const auto& [mid, id] : track_of_mid) {
    auto t = model.tracks().find(mid);
    if (t == model.tracks().end())
      return protocol::error{errc::bad_request, "section " + mid + " of the offer sends nothing"};
    auto tp = track_params_of(t->second.stream, 0, id);
    if (!tp)
      return tp.err();
    params.emplace(mid, std::move(*tp));
  }
  auto peer = anew ? worker_->add_peer(peer_params_for(model.ours(), n->client, n->data_channels, owner))
                   : std::optional<media_worker::peer_id>(p->second.peer);
  if (!peer)
    return protocol::error{errc::internal, "the media worker refused the session's connection"};
  std::set<std::string> restreamed;  // sections that send other streams than before
  for (const auto& t : n->added)
    restreamed.insert(t.mid);
  for (const auto& t : n->changed)
    restreamed.insert(t.mid);
  std::map<std::string, std::string> before;
  media_worker::peer_id old_peer = 0;
  if (p != publishers_.end()) {
    before = p->second.track_of;
    old_peer = anew ? p->second.peer : 0;
  }
  publish_outcome out{std::move(n->answer), {}, {}};
  std::set<std::string> served;
  for (const auto& [mid, id] : track_of_mid) {
    served.insert(id);
    auto was = before.find(mid);
    if (!anew && was != before.end() && was->second == id && !restreamed.count(mid))
      continue;  // the same streams as before: nothing to program
    auto& tp = params.at(mid);
    tp.publisher = *peer;
    serve(id, owner, std::move(tp));
    out.added.push_back(id);
  }
  publishers_.insert_or_assign(owner, publisher{std::move(model), *peer, track_of_mid});
  for (const auto& [mid, id] : before) {
    if (served.count(id))
      continue;
    for (auto& who : unpublish(id))
      if (std::find(out.to_offer.begin(), out.to_offer.end(), who) == out.to_offer.end())
        out.to_offer.push_back(who);
  }
  if (old_peer != 0)
    worker_->remove_peer(old_peer);  // what it still carried moved above
  return out;
}

namespace {
uint32_t random_nonzero() {
  uint32_t v = 0;
  while (v == 0)
    RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof(v));
  return v;
}
} // namespace

protocol::error track_media::watch(const std::string& track_id, const std::string& subscriber,
                                   signal::Layer layer) {
  if (!worker_)
    return {errc::unavailable, "no media worker on this node"};
  auto t = tracks_.find(track_id);
  if (t == tracks_.end())
    return {errc::not_found, "track " + track_id + " has no media"};
  auto w = watchers_.find(subscriber);
  if (w == watchers_.end()) {
    session_endpoint ours{transport::random_ice_string(8), transport::random_ice_string(24),
                          worker_->fingerprint(), worker_->address(), worker_->port()};
    // Session ids stay below 2^53: browsers read JSON numbers as doubles.
    uint64_t id = (uint64_t{random_nonzero()} << 20) | (random_nonzero() & 0xFFFFF);
    w = watchers_.emplace(subscriber, watcher{subscribe_session(std::move(ours), id), id, 0, 0, {}, {}})
          .first;
  }
  auto& ws = w->second;
  if (auto known = ws.tracks.find(track_id); known != ws.tracks.end()) {
    set_layer(track_id, subscriber, layer);
    return {};
  }
  auto ssrc = random_nonzero();
  subscribe_session::track st{track_id, t->second.vp8 ? "video" : "audio", t->second.owner, ssrc};
  if (auto err = ws.model.add(std::move(st)); err.code != errc::none)
    return err;
  ws.tracks[track_id] = {ssrc, layer, false};
  return {};
}

std::optional<track_media::session_offer> track_media::next_offer(const std::string& subscriber) {
  auto w = watchers_.find(subscriber);
  if (w == watchers_.end())
    return std::nullopt;
  auto& ws = w->second;
  if (!ws.model.pending() || ws.model.state() != subscribe_session::signaling::stable
      || ws.model.sections() == 0)
    return std::nullopt;
  auto sdp = ws.model.offer();
  if (!sdp)
    return std::nullopt;
  session_offer out{ws.session, ++ws.version, std::move(*sdp), {}};
  ws.offered.clear();
  for (const auto& [id, x] : ws.tracks) {
    ws.offered[id] = x.ssrc;
    if (auto mid = ws.model.mid_of(id))
      out.tracks.emplace_back(*mid, id);
  }
  return out;
}

protocol::error track_media::answer(const std::string& subscriber, uint64_t session,
                                    uint64_t version, const std::string& sdp) {
  auto w = watchers_.find(subscriber);
  if (w == watchers_.end() || w->second.session != session)
    return {errc::wrong_state, "no such subscribe session"};
  auto& ws = w->second;
  if (ws.model.state() != subscribe_session::signaling::have_local_offer || ws.version != version)
    return {errc::wrong_state, "offer " + std::to_string(version) + " is not the one in flight"};
  auto done = ws.model.answer(sdp);
  if (!done)
    return done.err();
  if (ws.peer == 0) {
    const auto& ep = ws.model.ours();
    media_worker::peer_params pp{ep.ice_ufrag,          ep.ice_pwd, done->client.ice_ufrag,
                                 done->client.fingerprint, transport::dtls_role::server,
                                 false,                  data_group_};
    pp.meter = meter_;
    auto peer = worker_->add_peer(pp);
    if (!peer)
      return {errc::internal, "the media worker refused the session's connection"};
    ws.peer = *peer;
  }
  for (const auto& id : done->accepted) {
    auto x = ws.tracks.find(id);
    auto t = tracks_.find(id);
    auto offered = ws.offered.find(id);
    // Watched again with another SSRC since that offer: the next one
    // carries it.
    if (x == ws.tracks.end() || t == tracks_.end() || offered == ws.offered.end()
        || offered->second != x->second.ssrc || x->second.routed)
      continue;
    worker_->add_route(t->second.track, ws.peer, x->second.ssrc,
                       layer_index(x->second.layer, t->second.layers));
    x->second.routed = true;
  }
  return {};
}

int track_media::layer_index(signal::Layer layer, int layers) {
  switch (layer) {
    case signal::LAYER_LOW: return 0;
    case signal::LAYER_MEDIUM: return layers / 2;
    default: return layers - 1;
  }
}

void track_media::set_layer(const std::string& track_id, const std::string& subscriber,
                            signal::Layer layer) {
  auto w = watchers_.find(subscriber);
  auto t = tracks_.find(track_id);
  if (w == watchers_.end() || t == tracks_.end())
    return;
  auto x = w->second.tracks.find(track_id);
  if (x == w->second.tracks.end())
    return;
  x->second.layer = layer;
  if (x->second.routed)
    worker_->set_layer(t->second.track, w->second.peer, layer_index(layer, t->second.layers));
}

void track_media::unwatch(const std::string& track_id, const std::string& subscriber) {
  auto w = watchers_.find(subscriber);
  if (w == watchers_.end())
    return;
  auto x = w->second.tracks.find(track_id);
  if (x == w->second.tracks.end())
    return;
  if (x->second.routed)
    if (auto t = tracks_.find(track_id); t != tracks_.end())
      worker_->remove_route(t->second.track, w->second.peer);
  w->second.tracks.erase(x);
  w->second.model.remove(track_id);
}

std::vector<std::string> track_media::unpublish(const std::string& track_id) {
  std::vector<std::string> watchers;
  for (auto& [who, w] : watchers_)
    if (w.tracks.count(track_id)) {
      unwatch(track_id, who);
      watchers.push_back(who);
    }
  auto t = tracks_.find(track_id);
  if (t != tracks_.end()) {
    // Its section stays in the owner's session, unforwarded.
    if (auto p = publishers_.find(t->second.owner); p != publishers_.end())
      for (auto i = p->second.track_of.begin(); i != p->second.track_of.end();)
        i = i->second == track_id ? p->second.track_of.erase(i) : std::next(i);
    release(t->second);
    tracks_.erase(t);
  }
  return watchers;
}

protocol::result<piped_track> track_media::pipe_out(const std::string& track_id,
                                                    const media_worker::pipe_endpoint& to) {
  if (!worker_)
    return protocol::error{errc::unavailable, "no media worker on this node"};
  auto t = tracks_.find(track_id);
  if (t == tracks_.end() || t->second.piped_in)
    return protocol::error{errc::not_found, "track " + track_id + " is not published here"};
  auto name = to.address + ":" + std::to_string(to.port);
  // First, so that a remote worker that restarted (a new nonce) is re-keyed.
  auto pipe = worker_->pipe_peer(to);
  if (!pipe)
    return protocol::error{errc::unavailable, "no pipe to media worker " + name + ": the nodes do not share a secret"};
  if (auto known = t->second.pipes_out.find(name); known != t->second.pipes_out.end())
    return known->second.second;
  piped_track out{worker_->pipe_self(), {}, t->second.clock_rate, t->second.vp8};
  // One stream per layer, each its own route: the other worker picks a
  // layer per subscriber as this one does. (A route whose layer stops
  // arriving falls back to another, which then crosses twice meanwhile.)
  for (int layer = 0; layer < t->second.layers; ++layer) {
    auto ssrc = random_nonzero();
    out.ssrcs.push_back(ssrc);
    worker_->add_route(t->second.track, *pipe, ssrc, layer);
  }
  t->second.pipes_out[name] = {to, out};
  return out;
}

protocol::error track_media::pipe_in(const std::string& track_id, const std::string& owner,
                                     const piped_track& from) {
  if (!worker_)
    return {errc::unavailable, "no media worker on this node"};
  if (from.ssrcs.empty() || from.ssrcs.size() > 8)
    return {errc::bad_request, "a piped track has one to eight streams"};
  auto pipe = worker_->pipe_peer(from.from);
  if (!pipe)
    return {errc::unavailable, "no pipe from media worker " + from.from.address + ": the nodes do not share a secret"};
  if (auto known = tracks_.find(track_id); known != tracks_.end()) {
    if (known->second.piped_in && known->second.pipe_ssrcs == from.ssrcs)
      return {};  // asked again (an earlier answer was late): keep its subscribers
    unpublish(track_id);  // it comes through another pipe now
  }
  media_worker::track_params tp;
  tp.publisher = *pipe;
  tp.clock_rate = from.clock_rate;
  tp.vp8 = from.vp8;
  for (auto s : from.ssrcs)
    tp.layers.push_back({s, ""});
  auto& t = tracks_[track_id] = published{};
  t.owner = owner;
  t.track = worker_->add_track(std::move(tp));
  t.layers = static_cast<int>(from.ssrcs.size());
  t.clock_rate = from.clock_rate;
  t.vp8 = from.vp8;
  t.piped_in = true;
  t.pipe_ssrcs = from.ssrcs;
  return {};
}

std::vector<std::string> track_media::drop_member(const std::string& identity) {
  if (auto w = watchers_.find(identity); w != watchers_.end()) {
    if (w->second.peer != 0)
      worker_->remove_peer(w->second.peer);  // its routes go with it
    watchers_.erase(w);
  }
  std::vector<std::string> owned;
  for (auto& [id, t] : tracks_)
    if (t.owner == identity)
      owned.push_back(id);
  std::vector<std::string> affected;
  for (auto& id : owned)
    for (auto& who : unpublish(id))
      if (std::find(affected.begin(), affected.end(), who) == affected.end())
        affected.push_back(who);
  if (auto p = publishers_.find(identity); p != publishers_.end()) {
    if (p->second.peer != 0)
      worker_->remove_peer(p->second.peer);
    publishers_.erase(p);
  }
  return affected;
}

std::pair<uint32_t, uint32_t> track_media::counts() const {
  uint32_t watched = 0;
  for (const auto& [who, w] : watchers_)
    watched += static_cast<uint32_t>(w.tracks.size());
  return {static_cast<uint32_t>(tracks_.size()), watched};
}

} // namespace lamplight::media
