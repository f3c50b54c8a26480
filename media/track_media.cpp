#include "media/track_media.hpp"

#include <algorithm>
#include <atomic>

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
}

void track_media::release(const published& t) {
  if (t.piped_in)
    worker_->remove_track(t.track);
  else
    worker_->remove_peer(t.peer);  // its track and that track's routes (pipes included) go too
}

protocol::result<track_media::negotiated>
track_media::negotiate(const std::string& offer_sdp, uint32_t send_ssrc,
                       const std::string& track_id, const std::string& data_owner) {
  bool serve_data = !data_owner.empty();
  if (!worker_)
    return protocol::error{errc::unavailable, "no media worker on this node"};
  auto offer = parse_sdp(offer_sdp);
  if (!offer)
    return offer.err();
  const sdp_media* first = nullptr;
  for (const auto& m : offer->media)
    if (m.port != 0 && !m.ice_ufrag.empty()) {
      first = &m;
      break;
    }
  if (!first || first->fingerprint.empty())
    return protocol::error{errc::bad_request, "offer without ICE credentials or fingerprint"};
  answer_params ap;
  ap.ice_ufrag = transport::random_ice_string(8);
  ap.ice_pwd = transport::random_ice_string(24);
  ap.fingerprint = worker_->fingerprint();
  ap.candidate_ip = worker_->address();
  ap.candidate_port = worker_->port();
  ap.data_channels = serve_data;
  if (send_ssrc != 0)
    ap.send.push_back({send_ssrc, "lamplight", "lamplight", track_id});
  auto answer = make_answer(*offer, ap);
  if (!answer)
    return answer.err();
  media_worker::peer_params pp{ap.ice_ufrag,
                                      ap.ice_pwd,
                                      first->ice_ufrag,
                                      first->fingerprint,
                                      transport::dtls_role::server,
                                      serve_data && offers_data_channels(*offer),
                                      data_group_};
  pp.meter = meter_;
  if (on_photo_ && pp.data_channels)
    pp.on_node_channel = [f = on_photo_, data_owner](media_worker::peer_id peer,
                                                     const transport::data_channel_message& m) {
      if (m.label == protocol::photo_channel)
        f(peer, data_owner, m.binary, std::string(m.data.begin(), m.data.end()));
    };
  auto peer = worker_->add_peer(pp);
  if (!peer)
    return protocol::error{errc::internal, "the media worker refused the peer"};
  return negotiated{*peer, write_sdp(*answer), std::move(*offer)};
}

protocol::result<std::string> track_media::publish(const std::string& track_id,
                                                   const std::string& owner,
                                                   const std::string& offer_sdp) {
  auto n = negotiate(offer_sdp, 0, track_id, owner);
  if (!n)
    return n.err();
  auto stream = first_offered_stream(n->offer);
  if (!stream) {
    worker_->remove_peer(n->peer);
    return protocol::error{errc::bad_request, "the offer sends no VP8 video or Opus audio"};
  }
  media_worker::track_params tp;
  tp.publisher = n->peer;
  tp.clock_rate = stream->clock_rate;
  tp.vp8 = stream->codec == "VP8";
  tp.rid_extension = stream->rid_extension;
  if (on_speech_ && stream->audio_level_extension != 0) {
    tp.audio_level_extension = stream->audio_level_extension;
    tp.on_speech = [f = on_speech_, track_id](bool speaking, uint8_t level) {
      f(track_id, speaking, level);
    };
  }
  if (!stream->rids.empty()) {
    if (stream->rid_extension == 0) {
      worker_->remove_peer(n->peer);
      return protocol::error{errc::bad_request,
                             "a simulcast offer by rid must offer the rtp-stream-id extension"};
    }
    for (const auto& r : stream->rids)
      tp.layers.push_back({0, r});
  } else if (!stream->layer_ssrcs.empty()) {
    for (auto s : stream->layer_ssrcs)
      tp.layers.push_back({s, ""});
  } else {
    // Without an SSRC in the offer, the first one the publisher sends.
    tp.layers.push_back({stream->ssrc, ""});
  }
  if (auto old = tracks_.find(track_id); old != tracks_.end())
    unpublish(track_id);
  auto layers = static_cast<int>(tp.layers.size());
  auto clock_rate = tp.clock_rate;
  auto vp8 = tp.vp8;
  auto track = worker_->add_track(std::move(tp));
  auto& t = tracks_[track_id] = published{};
  t.owner = owner;
  t.peer = n->peer;
  t.track = track;
  t.layers = layers;
  t.clock_rate = clock_rate;
  t.vp8 = vp8;
  return n->answer;
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
    return known->second;
  piped_track out{worker_->pipe_self(), {}, t->second.clock_rate, t->second.vp8};
  // One stream per layer, each its own route: the other worker picks a
  // layer per subscriber as this one does. (A route whose layer stops
  // arriving falls back to another, which then crosses twice meanwhile.)
  for (int layer = 0; layer < t->second.layers; ++layer) {
    auto ssrc = random_nonzero();
    out.ssrcs.push_back(ssrc);
    worker_->add_route(t->second.track, *pipe, ssrc, layer);
  }
  t->second.pipes_out[name] = out;
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
  return affected;
}

std::pair<uint32_t, uint32_t> track_media::counts() const {
  uint32_t watched = 0;
  for (const auto& [who, w] : watchers_)
    watched += static_cast<uint32_t>(w.tracks.size());
  return {static_cast<uint32_t>(tracks_.size()), watched};
}

} // namespace lamplight::media
