#include "media/forwarder.hpp"

#include <algorithm>

#include <openssl/rand.h>

#include "media/rtcp_packet.hpp"
#include "media/vp8_descriptor.hpp"

namespace lamplight::media {

namespace {

/// The SSRC our own RTCP (PLI, NACK, RR, REMB) is sent from: "LAMP".
constexpr uint32_t sender_ssrc = 0x4C414D50;
/// A layer that sent nothing for this long is not arriving (Chrome pauses
/// layers its bandwidth estimate cannot carry); routes move off it.
constexpr int64_t layer_timeout_ms = 1000;
/// Key frame requests per ingress stream, at most this often.
constexpr int64_t pli_interval_ms = 500;
/// A sequence number jump larger than this is a restart, not loss.
constexpr int max_nack_gap = 100;
/// A loss asked for upstream is not asked again sooner than this (about a
/// round trip to a publisher on a slow path; the pipe's is far shorter).
constexpr int64_t nack_repeat_ms = 150;

} // namespace

void forwarder::add_track(track_id id, track_params params) {
  remove_track(id);
  auto& t = tracks_[id];
  t.last_packet_ms.assign(params.layers.size(), 0);
  for (std::size_t i = 0; i < params.layers.size(); ++i)
    if (auto ssrc = params.layers[i].ssrc; ssrc != 0) {
      auto& s = sources_[{params.publisher, ssrc}];
      s.track = id;
      s.layer = static_cast<int>(i);
      s.rx.set_clock_rate(params.clock_rate);
    }
  tracks_of_.emplace(params.publisher, id);
  if (params.audio_level_extension != 0 && params.on_speech) {
    t.speech.emplace();
    speech_tracks_.push_back(id);
  }
  t.p = std::move(params);
}

void forwarder::remove_track(track_id id) {
  auto t = tracks_.find(id);
  if (t == tracks_.end())
    return;
  for (const auto& l : t->second.p.layers)
    if (l.ssrc != 0)
      sources_.erase({t->second.p.publisher, l.ssrc});
  for (const auto& r : t->second.routes)
    routes_by_out_.erase({r.subscriber, r.out_ssrc});
  if (t->second.speech)
    speech_tracks_.erase(std::remove(speech_tracks_.begin(), speech_tracks_.end(), id),
                         speech_tracks_.end());
  auto [b, e] = tracks_of_.equal_range(t->second.p.publisher);
  for (auto i = b; i != e; ++i)
    if (i->second == id) {
      tracks_of_.erase(i);
      break;
    }
  tracks_.erase(t);
}

void forwarder::add_route(track_id track, peer_id subscriber, uint32_t out_ssrc, int layer) {
  auto t = tracks_.find(track);
  if (t == tracks_.end())
    return;
  remove_route(track, subscriber);
  // Each subscriber's stream starts at a random sequence number.
  uint16_t start = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&start), sizeof(start));
  auto top = static_cast<int>(t->second.p.layers.size()) - 1;
  t->second.routes.push_back(
    route{subscriber, out_ssrc, std::clamp(layer, 0, std::max(top, 0)),
          stream_rewriter(t->second.p.clock_rate, start)});
  routes_by_out_[{subscriber, out_ssrc}] = track;
}

void forwarder::set_layer(track_id track, peer_id subscriber, int layer) {
  auto t = tracks_.find(track);
  if (t == tracks_.end())
    return;
  auto top = static_cast<int>(t->second.p.layers.size()) - 1;
  for (auto& r : t->second.routes)
    if (r.subscriber == subscriber)
      r.target = std::clamp(layer, 0, std::max(top, 0));
}

void forwarder::remove_route(track_id track, peer_id subscriber) {
  auto t = tracks_.find(track);
  if (t == tracks_.end())
    return;
  auto& v = t->second.routes;
  for (const auto& r : v)
    if (r.subscriber == subscriber)
      routes_by_out_.erase({r.subscriber, r.out_ssrc});
  v.erase(std::remove_if(v.begin(), v.end(), [&](auto& r) { return r.subscriber == subscriber; }),
          v.end());
}

void forwarder::remove_peer(peer_id peer) {
  std::vector<track_id> owned;
  for (auto& [id, t] : tracks_) {
    if (t.p.publisher == peer)
      owned.push_back(id);
    else
      remove_route(id, peer);
  }
  for (auto id : owned)
    remove_track(id);
  // Learnt SSRCs are not in the tracks' parameters.
  for (auto s = sources_.lower_bound({peer, 0}); s != sources_.end() && s->first.first == peer;)
    s = sources_.erase(s);
}

forwarder::source* forwarder::find_or_learn(peer_id from, uint32_t ssrc, const rtp_packet& p) {
  if (auto s = sources_.find({from, ssrc}); s != sources_.end())
    return &s->second;
  // Only SSRCs a track of this publisher is waiting for get an entry: a
  // peer sending random SSRCs must not grow the table.
  auto [first, last] = tracks_of_.equal_range(from);
  for (auto it = first; it != last; ++it) {
    auto id = it->second;
    auto& t = tracks_.at(id);
    std::string rid;
    if (t.p.rid_extension != 0)
      if (auto ext = p.extension(t.p.rid_extension))
        rid.assign(reinterpret_cast<const char*>(ext->first), ext->second);
    for (std::size_t i = 0; i < t.p.layers.size(); ++i) {
      auto& l = t.p.layers[i];
      bool by_rid = !rid.empty() && l.ssrc == 0 && l.rid == rid;
      bool only = t.p.layers.size() == 1 && l.ssrc == 0 && l.rid.empty();
      if (!by_rid && !only)
        continue;
      l.ssrc = ssrc;
      auto& s = sources_[{from, ssrc}];
      s.track = id;
      s.layer = static_cast<int>(i);
      s.rx.set_clock_rate(t.p.clock_rate);
      return &s;
    }
  }
  return nullptr;
}

forwarder::source* forwarder::layer_source(const track& t, int layer) {
  if (layer < 0 || layer >= static_cast<int>(t.p.layers.size()))
    return nullptr;
  auto ssrc = t.p.layers[static_cast<std::size_t>(layer)].ssrc;
  if (ssrc == 0)
    return nullptr;
  auto s = sources_.find({t.p.publisher, ssrc});
  return s == sources_.end() ? nullptr : &s->second;
}

int forwarder::wanted_layer(const track& t, int target, int64_t now_ms) const {
  auto n = static_cast<int>(t.last_packet_ms.size());
  if (n <= 1)
    return 0;
  auto arriving = [&](int l) {
    auto last = t.last_packet_ms[static_cast<std::size_t>(l)];
    return last != 0 && now_ms - last <= layer_timeout_ms;
  };
  if (arriving(target))
    return target;
  for (int l = target - 1; l >= 0; --l)
    if (arriving(l))
      return l;
  for (int l = target + 1; l < n; ++l)
    if (arriving(l))
      return l;
  return target;
}

forwarder::route* forwarder::find_route(peer_id subscriber, uint32_t out_ssrc, track** t) {
  auto r = routes_by_out_.find({subscriber, out_ssrc});
  if (r == routes_by_out_.end())
    return nullptr;
  auto i = tracks_.find(r->second);
  if (i == tracks_.end())
    return nullptr;
  for (auto& rt : i->second.routes)
    if (rt.subscriber == subscriber && rt.out_ssrc == out_ssrc) {
      *t = &i->second;
      return &rt;
    }
  return nullptr;
}

void forwarder::request_keyframe(peer_id publisher, uint32_t ssrc, source& src, int64_t now_ms) {
  // Subscribers that join, switch, lose packets or ask themselves all
  // funnel into this, so one key frame serves them all.
  if (src.last_pli_ms != 0 && now_ms - src.last_pli_ms < pli_interval_ms) {
    src.pli_pending = plis_pending_ = true;
    return;
  }
  std::vector<uint8_t> pkt;
  write_rtcp(pkt, pli{sender_ssrc, ssrc});
  if (!out_.send_rtcp(publisher, std::move(pkt)))
    return;
  src.pli_pending = false;
  src.last_pli_ms = now_ms;
  ++st_.plis_sent;
}

void forwarder::send_nack(peer_id publisher, uint32_t ssrc, std::vector<uint16_t> lost) {
  // RFC 4585 generic NACK: Chrome and our lamps resend from their buffers.
  std::vector<uint8_t> pkt;
  write_rtcp(pkt, nack{sender_ssrc, ssrc, std::move(lost)});
  if (out_.send_rtcp(publisher, std::move(pkt)))
    ++st_.nacks_sent;
}

bool forwarder::ask_once(source& src, uint16_t seq, int64_t now_ms) {
  auto& slot = src.asked[seq % history_size];
  if (slot.first == seq && slot.second != 0 && now_ms - slot.second < nack_repeat_ms)
    return false;
  slot = {seq, now_ms};
  return true;
}

void forwarder::on_rtp(peer_id from, const std::vector<uint8_t>& pkt, int64_t now_ms) {
  auto parsed = rtp_packet::parse(const_cast<uint8_t*>(pkt.data()), pkt.size());
  if (!parsed)
    return;
  auto* src = find_or_learn(from, parsed->ssrc(), *parsed);
  if (!src) {
    ++st_.unknown_ssrc;
    return;
  }
  auto seq = parsed->sequence();
  if (!src->seen) {
    src->seen = true;
    src->highest = seq;
  } else if (auto d = seq_diff(seq, src->highest); d > 0) {
    if (d > 1 && d <= max_nack_gap) {
      std::vector<uint16_t> lost;
      for (auto s = static_cast<uint16_t>(src->highest + 1); s != seq; ++s)
        if (ask_once(*src, s, now_ms))
          lost.push_back(s);
      if (!lost.empty())
        send_nack(from, parsed->ssrc(), std::move(lost));
    }
    src->highest = seq;
  }
  src->history[seq % history_size] = pkt;
  src->rx.on_packet(seq, parsed->timestamp(), now_ms);
  auto t = tracks_.find(src->track);
  if (t == tracks_.end())
    return;
  t->second.last_packet_ms[static_cast<std::size_t>(src->layer)] = now_ms;
  if (auto& speech = t->second.speech) {
    auto level = parsed->extension(t->second.p.audio_level_extension);
    if (level && level->second >= 1)
      speech->on_level(level->first[0], now_ms);
  }
  forward(t->second, src->layer, pkt, *parsed, now_ms);
}

void forwarder::forward(track& t, int layer, const std::vector<uint8_t>& pkt,
                        const rtp_packet& parsed, int64_t now_ms) {
  std::optional<vp8_descriptor> vp8;
  if (t.p.vp8)
    vp8 = parse_vp8_descriptor(parsed.payload(), parsed.payload_size());
  const vp8_descriptor* d = vp8 ? &*vp8 : nullptr;
  // Audio and other codecs can start anywhere; VP8 only at a key frame.
  bool can_start = !t.p.vp8 || (d && d->keyframe);
  for (auto& rt : t.routes) {
    auto want = wanted_layer(t, rt.target, now_ms);
    // Only a subscriber that can receive it starts at a key frame; once
    // started, a packet without a path is just lost (and NACKed).
    if (rt.rw.source() != want && out_.can_send(rt.subscriber)) {
      if (want == layer && can_start) {
        if (rt.rw.source() >= 0)
          ++st_.layer_switches;
        rt.rw.switch_to(layer, parsed, d, now_ms);
      } else if (auto* s = layer_source(t, want); s && s->seen) {
        request_keyframe(t.p.publisher, t.p.layers[static_cast<std::size_t>(want)].ssrc, *s,
                         now_ms);
      }
    }
    if (rt.rw.source() != layer)
      continue;
    std::vector<uint8_t> copy = pkt;
    auto view = rtp_packet::parse(copy.data(), copy.size());
    if (!rt.rw.rewrite(layer, *view, d, now_ms))
      continue;
    view->set_ssrc(rt.out_ssrc);
    auto payload = static_cast<uint32_t>(view->payload_size());
    if (out_.send_rtp(rt.subscriber, std::move(copy))) {
      ++rt.packets;
      rt.octets += payload;
    }
  }
}

void forwarder::retransmit(peer_id subscriber, uint32_t out_ssrc,
                           const std::vector<uint16_t>& lost, int64_t now_ms) {
  track* t = nullptr;
  auto* rt = find_route(subscriber, out_ssrc, &t);
  if (!rt)
    return;
  // What the history lacks was lost on the way in too (and our own NACK
  // for it, or its answer, with it): the subscriber's repeated NACKs are
  // passed on to the publisher, so recovery keeps trying end to end.
  std::map<uint32_t, std::vector<uint16_t>> upstream;
  for (auto out_seq : lost) {
    auto from = rt->rw.origin(out_seq);
    auto* src = from ? layer_source(*t, from->source) : nullptr;
    if (!src)
      continue;
    auto ssrc = t->p.layers[static_cast<std::size_t>(from->source)].ssrc;
    const auto& kept = src->history[from->seq % history_size];
    std::vector<uint8_t> copy = kept;
    auto view = copy.empty() ? std::nullopt : rtp_packet::parse(copy.data(), copy.size());
    if (!view || view->sequence() != from->seq) {
      // Never received, or so old it left the buffer: only the first is
      // worth asking the publisher for.
      if (seq_diff(from->seq, src->highest) <= 0
          && seq_diff(src->highest, from->seq) < static_cast<int>(history_size)
          && ask_once(*src, from->seq, now_ms))
        upstream[ssrc].push_back(from->seq);
      continue;
    }
    std::optional<vp8_descriptor> vp8;
    if (t->p.vp8)
      vp8 = parse_vp8_descriptor(view->payload(), view->payload_size());
    if (!rt->rw.rewrite_again(*view, out_seq, vp8 ? &*vp8 : nullptr))
      continue;
    view->set_ssrc(rt->out_ssrc);
    if (out_.send_rtp(subscriber, std::move(copy)))
      ++st_.retransmitted;
  }
  for (auto& [ssrc, seqs] : upstream)
    send_nack(t->p.publisher, ssrc, std::move(seqs));
}

void forwarder::on_rtcp(peer_id from, const uint8_t* data, std::size_t size, int64_t now_ms) {
  auto msgs = parse_rtcp(data, size);
  if (!msgs)
    return;
  for (const auto& m : *msgs) {
    if (auto* sr = std::get_if<sender_report>(&m)) {
      // From a publisher, about one of its streams.
      if (auto s = sources_.find({from, sr->ssrc}); s != sources_.end()) {
        s->second.rx.on_sender_report(sr->ntp_time, now_ms);
        s->second.has_sr = true;
        s->second.sr_rtp = sr->rtp_time;
        s->second.sr_arrival_ms = now_ms;
      }
      continue;
    }
    if (auto* n = std::get_if<nack>(&m)) {
      retransmit(from, n->media_ssrc, n->lost, now_ms);
      continue;
    }
    uint32_t media_ssrc = 0;
    if (auto* x = std::get_if<pli>(&m))
      media_ssrc = x->media_ssrc;
    else if (auto* f = std::get_if<fir>(&m); f && !f->entries.empty())
      media_ssrc = f->entries.front().ssrc;
    track* t = nullptr;
    auto* rt = media_ssrc == 0 ? nullptr : find_route(from, media_ssrc, &t);
    if (!rt)
      continue;
    // A subscriber's key frame request is for the layer it receives (or
    // the one it waits for).
    auto layer = rt->rw.source() >= 0 ? rt->rw.source() : wanted_layer(*t, rt->target, now_ms);
    if (auto* s = layer_source(*t, layer))
      request_keyframe(t->p.publisher, t->p.layers[static_cast<std::size_t>(layer)].ssrc, *s,
                       now_ms);
  }
}

void forwarder::tick(int64_t now_ms, uint64_t ntp_now) {
  if (plis_pending_) {
    plis_pending_ = false;
    for (auto& [key, s] : sources_)
      if (s.pli_pending)
        request_keyframe(key.first, key.second, s, now_ms);  // re-arms the flag if still early
  }
  // Speech intervals last 250 ms: judging them every 50 ms is on time, and
  // spares the wake-ups of busy workers a walk over every microphone.
  if (!speech_tracks_.empty() && now_ms >= next_speech_ms_) {
    next_speech_ms_ = now_ms + 50;
    for (auto id : speech_tracks_) {
      auto& t = tracks_.at(id);
      if (auto changed = t.speech->tick(now_ms))
        t.p.on_speech(*changed, t.speech->level());
    }
  }
  if (now_ms - last_report_ms_ < 1000)
    return;
  last_report_ms_ = now_ms;
  // To every publisher an RR (RFC 3550 section 6.4.2) for the streams it
  // sends, with a REMB (draft-alvestrand-rmcat-remb) in the same compound:
  // without a bandwidth estimate Chrome stays at its start rate and never
  // enables its higher simulcast layers. `sources_` is ordered by
  // publisher: one compound per run of its streams.
  for (auto i = sources_.begin(); i != sources_.end();) {
    auto publisher = i->first.first;
    receiver_report rr{sender_ssrc, {}};
    std::vector<uint32_t> ssrcs;
    for (; i != sources_.end() && i->first.first == publisher; ++i) {
      if (!i->second.seen)
        continue;
      ssrcs.push_back(i->first.second);
      if (rr.reports.size() < 31)  // the RC field's limit
        rr.reports.push_back(i->second.rx.report(i->first.second, now_ms));
    }
    if (ssrcs.empty())
      continue;
    std::vector<uint8_t> pkt;
    write_rtcp(pkt, rr);
    write_rtcp(pkt, remb{sender_ssrc, remb_bps_, std::move(ssrcs)});
    if (out_.send_rtcp(publisher, std::move(pkt))) {
      ++st_.rembs_sent;
      ++st_.rrs_sent;
    }
  }
  // To every subscriber an SR per stream whose current layer's publisher
  // gave us its NTP <-> RTP mapping, extrapolated to now and moved into the
  // subscriber's timeline.
  for (auto& [id, t] : tracks_)
    for (const auto& rt : t.routes) {
      auto* s = layer_source(t, rt.rw.source());
      if (!s || !s->has_sr)
        continue;
      auto elapsed = static_cast<uint32_t>((now_ms - s->sr_arrival_ms) * t.p.clock_rate / 1000);
      std::vector<uint8_t> pkt;
      write_rtcp(pkt, sender_report{rt.out_ssrc, ntp_now,
                                    s->sr_rtp + elapsed + rt.rw.timestamp_offset(), rt.packets,
                                    rt.octets, {}});
      if (out_.send_rtcp(rt.subscriber, std::move(pkt)))
        ++st_.srs_sent;
    }
}

int forwarder::current_layer(track_id track, peer_id subscriber) const {
  auto t = tracks_.find(track);
  if (t == tracks_.end())
    return -1;
  for (const auto& r : t->second.routes)
    if (r.subscriber == subscriber)
      return r.rw.source();
  return -1;
}

} // namespace lamplight::media
