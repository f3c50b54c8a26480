#include "media/lamp/lamp_client.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <openssl/rand.h>
#include <poll.h>

#include "media/rtcp_packet.hpp"
#include "media/sdp_answer.hpp"
#include "media/sdp_offer.hpp"
#include "protocol/codec.hpp"
#include "transport/websocket_client.hpp"

namespace lamplight::media::lamp {

namespace sig = signal::v1;
using protocol::errc;
using std::chrono::milliseconds;

protocol::result<std::shared_ptr<const lamp_media>> lamp_media::make(int video_frames, int fps) {
  auto mic = make_audio_clip();
  if (!mic)
    return mic.err();
  video_clip_params p;
  p.frames = video_frames;
  p.fps = fps;
  p.source = camera::face;
  auto face = make_video_clip(p);
  if (!face)
    return face.err();
  p.source = camera::desk;
  auto desk = make_video_clip(p);
  if (!desk)
    return desk.err();
  auto m = std::make_shared<lamp_media>();
  m->microphone = *mic;
  m->face = *face;
  m->desk = *desk;
  return std::shared_ptr<const lamp_media>(std::move(m));
}

std::shared_ptr<const media_clip> lamp_media::clip_for(sig::TrackSource source) const {
  switch (source) {
    case sig::TRACK_SOURCE_MICROPHONE: return microphone;
    case sig::TRACK_SOURCE_FACE_CAMERA: return face;
    case sig::TRACK_SOURCE_DESK_CAMERA: return desk;
    default: return nullptr;
  }
}

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

uint32_t random_ssrc() {
  uint32_t v = 0;
  while (v == 0)
    RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof(v));
  return v;
}

// Sender reports, per published leg (RFC 3550 suggests about 5 s at low
// rates; a second keeps lip sync and round-trip times fresh).
constexpr int64_t report_interval_ms = 1000;
// Feedback (NACK, PLI) goes out at most this often per leg.
constexpr int64_t feedback_interval_ms = 20;
// RFC 7675 suggests a consent check every 5 s (randomised); one interval
// per leg is enough for a simulated lamp.
constexpr int64_t consent_interval_ms = 5000;
// How often the signaling socket is read while the caller is in none of our
// methods. A node pings at half its idle timeout and drops the socket at the
// whole of it, so a pong may wait at most a keeper interval: short enough
// that even the shortest timeout a node accepts (2 s, pinged at 1 s) leaves
// most of the second for a loaded machine. A poll of an idle socket is cheap.
constexpr std::chrono::milliseconds keeper_interval{200};
constexpr std::size_t max_kept = 10000;

/// One media connection: the publish session's (a sender per section that
/// publishes), or the subscribe session's (a receiver per watched track, by
/// SSRC).
struct leg {
  std::unique_ptr<transport::rtc_peer> peer;
  struct sent {
    std::string mid;
    std::string track_id;
    sig::TrackSource source = sig::TRACK_SOURCE_UNSPECIFIED;
    std::unique_ptr<track_sender> sender;
  };
  std::vector<sent> senders;
  struct watched {
    std::string track_id;
    std::unique_ptr<track_receiver> receiver;
  };
  std::map<uint32_t, watched> receivers;
  /// A session the node replaced (its media was lost): kept, silent, so
  /// that the media thread never sees a leg vanish under it.
  bool retired = false;
  std::unique_ptr<transport::data_channel_endpoint> data;
  int64_t last_feedback_ms = 0;
  int64_t last_report_ms = 0;
  int64_t last_consent_ms = 0;
};

} // namespace

struct lamp_client::impl {
  std::shared_ptr<const lamp_media> media;
  lamp_options opts;
  /// What the microphone's packets say its level is (RFC 6464).
  std::shared_ptr<std::atomic<uint8_t>> mic_level = std::make_shared<std::atomic<uint8_t>>(127);
  // The signaling socket, what was read from it and not asked for yet, and
  // the request counter: the caller's thread and the keeper's, under sig_mtx.
  std::mutex sig_mtx;
  transport::websocket_client ws;
  uint64_t next_request = 1;
  std::deque<sig::ServerMessage> kept;
  std::thread keeper;
  std::condition_variable keeper_wake;
  bool keeper_stop = false;

  /// The subscribe session, under sig_mtx: every track watched rides one
  /// connection the node offers and this lamp answers. Offers are answered
  /// by whichever thread reads them; the first offer's connection (ICE,
  /// DTLS) is made by the first thread free to block (a subscribe call or
  /// the keeper), without sig_mtx.
  struct subscribe_session {
    uint64_t id = 0;
    std::unique_ptr<leg> pending;  // made by the first offer, until connected
    leg* connected = nullptr;      // then in `legs`
    std::optional<answer_endpoint> connect_to;
    bool connecting = false;
    std::set<std::string> answered;  // tracks the sent answers accepted
    std::optional<protocol::error> failed;
  } sub;
  std::condition_variable sub_changed;  // with sig_mtx
  /// Requests whose replies nobody waits for (answers to offers): their
  /// Acks are dropped, their errors counted.
  std::set<uint64_t> unawaited;
  uint64_t answer_errors = 0;

  /// The publish session (the caller's thread: publish and replace): its
  /// connection, made by the first offer and connected by its answer, and
  /// its sections in offer order (RFC 8829 keeps them for good).
  struct publish_session {
    std::unique_ptr<leg> pending;  // until the first answer connected it
    leg* connected = nullptr;      // then in `legs`
    std::vector<offered_section> sections;
    std::map<std::string, sig::TrackSource> source_of;  // sending sections, by mid
    int next_mid = 0;
  } pub;
  /// Under sig_mtx: the tracks the publish session published, and whether
  /// a Joined (a rejoin's, or the node's resync after media was lost) came
  /// without any of them: the node lost them, so the next publish starts
  /// a session on a new connection.
  std::set<std::string> pub_tracks;
  bool pub_lost = false;

  mutable std::mutex mtx;  // legs, their stats and data channels, with the media thread
  std::condition_variable data_changed;
  std::vector<std::unique_ptr<leg>> legs;
  leg* data_leg = nullptr;
  std::deque<transport::data_channel_message> inbox;
  std::thread media_thread;
  std::atomic<bool> stop{false};

  std::optional<sig::ServerMessage> read_one(milliseconds timeout) {
    auto frame = ws.read(timeout);
    if (!frame)
      return std::nullopt;
    auto msg = protocol::decode_server(frame->data, frame->binary ? protocol::wire_format::binary
                                                                  : protocol::wire_format::json);
    if (!msg)
      return std::nullopt;  // a node never sends what it cannot decode; skip it
    if (msg->request_id() != 0 && unawaited.erase(msg->request_id())) {
      if (msg->has_error())
        ++answer_errors;  // a newer offer follows (wrong_state) or the node refused
      return std::nullopt;
    }
    if (msg->has_subscribe_offer())
      on_offer(msg->subscribe_offer());
    if (msg->has_joined() && !pub_tracks.empty()) {
      bool kept = false;
      for (const auto& t : msg->joined().snapshot().tracks())
        kept = kept || pub_tracks.count(t.track_id()) > 0;
      pub_lost = pub_lost || !kept;
    }
    return *msg;
  }

  /// Sends without waiting for the reply (call with sig_mtx held).
  void send_unawaited(sig::ClientMessage m) {
    auto rid = next_request++;
    m.set_request_id(rid);
    unawaited.insert(rid);
    ws.send_binary(protocol::encode_client(m, protocol::wire_format::binary));
  }

  /// The node's offer for the subscribe session (sig_mtx held): receivers
  /// for the tracks it carries, the answer sent at once; a new session
  /// (the first, or one after the node lost media) gets a new connection.
  void on_offer(const sig::SubscribeOffer& o) {
    auto offer = parse_sdp(o.sdp());
    if (!offer) {
      ++answer_errors;
      return;
    }
    if (o.session() != sub.id) {
      retire_session();
      sub = {};
      sub.id = o.session();
      sub.pending = std::make_unique<leg>();
      sub.pending->peer = std::make_unique<transport::rtc_peer>(opts.ice, opts.media_ip);
      if (!sub.pending->peer->usable()) {
        sub.failed = protocol::error{errc::internal, "no ICE agent (libnice) could be set up"};
        return;
      }
      auto ep = read_answer(o.sdp());  // an offer names where to send as an answer does
      if (!ep) {
        sub.failed = ep.err();
        return;
      }
      sub.connect_to = *ep;
      keeper_wake.notify_all();
    }
    leg* l = sub.connected ? sub.connected : sub.pending.get();
    if (!l)
      return;
    offer_params op;
    op.ice_ufrag = l->peer->local_ufrag;
    op.ice_pwd = l->peer->local_pwd;
    op.fingerprint = l->peer->fingerprint();
    auto answer = make_session_answer(*offer, op);
    if (!answer) {
      ++answer_errors;
      return;
    }
    {
      // The media thread reads a connected leg's receivers.
      std::unique_lock<std::mutex> guard(mtx, std::defer_lock);
      if (sub.connected)
        guard.lock();
      for (const auto& t : o.tracks())
        for (const auto& m : offer->media)
          if (m.mid == t.mid() && !m.ssrcs.empty()) {
            auto ssrc = m.ssrcs.front().ssrc;
            auto& w = l->receivers[ssrc];
            if (!w.receiver || w.track_id != t.track_id()) {
              w.track_id = t.track_id();
              w.receiver = std::make_unique<track_receiver>(m.kind == "audio" ? clip_kind::audio
                                                                               : clip_kind::video);
            }
          }
    }
    sig::ClientMessage a;
    auto* body = a.mutable_subscribe_answer();
    body->set_session(o.session());
    body->set_version(o.version());
    body->set_sdp(write_sdp(*answer));
    send_unawaited(std::move(a));
    for (const auto& t : o.tracks())
      sub.answered.insert(t.track_id());
    sub_changed.notify_all();
  }

  /// The old session's connection goes quiet (sig_mtx held).
  void retire_session() {
    if (!sub.connected)
      return;
    std::lock_guard<std::mutex> guard(mtx);
    sub.connected->retired = true;
  }

  /// Connects the session's first offer, if one waits and nobody else is
  /// at it; `lock` (on sig_mtx) is released meanwhile.
  void connect_session(std::unique_lock<std::mutex>& lock) {
    if (!sub.connect_to || sub.connecting || !sub.pending)
      return;
    auto ep = *sub.connect_to;
    auto id = sub.id;
    sub.connect_to.reset();
    sub.connecting = true;
    leg* l = sub.pending.get();
    lock.unlock();
    bool via = !opts.media_via_ip.empty();
    l->peer->server_ufrag = ep.ice_ufrag;
    l->peer->server_pwd = ep.ice_pwd;
    // We answered the node's offer: the DTLS client, whatever it offered.
    bool ok = l->peer->connect(via ? opts.media_via_ip : ep.ip, via ? opts.media_via_port : ep.port,
                               ep.fingerprint, opts.timeout, transport::dtls_role::client);
    lock.lock();
    sub.connecting = false;
    if (sub.id != id) {
      sub_changed.notify_all();
      return;  // replaced meanwhile; that session connects on its own
    }
    if (!ok) {
      sub.failed = protocol::error{errc::timeout, "ICE/DTLS of the subscribe session did not complete"};
    } else {
      l->last_consent_ms = now_ms();
      std::lock_guard<std::mutex> guard(mtx);
      sub.connected = l;
      legs.push_back(std::move(sub.pending));
      if (!media_thread.joinable())
        media_thread = std::thread([this] { run_media(); });
    }
    sub_changed.notify_all();
  }

  /// Pushes not asked for yet wait here; past max_kept the oldest go (a
  /// lamp that never reads them must not grow without bound).
  void keep(sig::ServerMessage m) {
    if (kept.size() >= max_kept)
      kept.pop_front();
    kept.push_back(std::move(m));
  }

  /// Between the caller's calls nobody reads the signaling socket. This
  /// thread does, every keeper_interval: the node's keep-alive pings get
  /// their pongs (Beast answers them while reading) and pushes wait in
  /// `kept`. Without it a lamp quiet for the node's WebSocket idle timeout
  /// (20 s) is dropped as dead.
  void keep_signaling() {
    std::unique_lock<std::mutex> lock(sig_mtx);
    auto woken = [&] { return keeper_stop || (sub.connect_to && !sub.connecting); };
    while (!keeper_stop) {
      keeper_wake.wait_for(lock, keeper_interval, woken);
      if (keeper_stop)
        break;
      connect_session(lock);
      ws.poll();
      while (auto m = read_one(milliseconds(0)))
        keep(std::move(*m));
    }
  }

  /// After stop_keeper (join stops it before it connects).
  void start_keeper() {
    keeper_stop = false;
    keeper = std::thread([this] { keep_signaling(); });
  }

  void stop_keeper() {
    if (!keeper.joinable())
      return;
    {
      std::lock_guard<std::mutex> guard(sig_mtx);
      keeper_stop = true;
    }
    keeper_wake.notify_all();
    keeper.join();
  }

  protocol::result<sig::ServerMessage> request(sig::ClientMessage m) {
    std::lock_guard<std::mutex> guard(sig_mtx);
    auto rid = next_request++;
    m.set_request_id(rid);
    if (!ws.send_binary(protocol::encode_client(m, protocol::wire_format::binary)))
      return protocol::error{errc::unavailable, "signaling connection lost: " + ws.error()};
    auto deadline = std::chrono::steady_clock::now() + opts.timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      auto msg = read_one(left);
      if (!msg) {
        if (ws.closed())
          break;
        continue;
      }
      if (msg->request_id() != rid) {
        keep(std::move(*msg));
        continue;
      }
      if (msg->has_error())
        return protocol::error{protocol::from_proto(msg->error().code()), msg->error().message()};
      return std::move(*msg);
    }
    return protocol::error{errc::timeout, "no reply to request " + std::to_string(rid)};
  }

  /// ICE, DTLS and SRTP for the publish session's connection, then hands
  /// it to the media thread. `remote_sdp`: the node's answer to our offer.
  protocol::result<leg*> connect_leg(std::unique_ptr<leg> l, const std::string& remote_sdp,
                                     bool offers_data) {
    auto ans = read_answer(remote_sdp);
    if (!ans)
      return ans.err();
    l->peer->server_ufrag = ans->ice_ufrag;
    l->peer->server_pwd = ans->ice_pwd;
    bool via = !opts.media_via_ip.empty();
    // We offered actpass; an answer that took the DTLS client's part
    // leaves us the server's.
    auto role = ans->setup == "active" ? transport::dtls_role::server : transport::dtls_role::client;
    if (!l->peer->connect(via ? opts.media_via_ip : ans->ip, via ? opts.media_via_port : ans->port,
                          ans->fingerprint, opts.timeout, role))
      return protocol::error{errc::timeout, "ICE/DTLS of the publish session did not complete"};
    l->last_consent_ms = now_ms();
    leg* out = l.get();
    if (offers_data && read_answer_accepts_data(remote_sdp)) {
      l->data = std::make_unique<transport::data_channel_endpoint>(role == transport::dtls_role::client);
      l->data->start();
    }
    {
      std::lock_guard<std::mutex> guard(mtx);
      if (l->data)
        data_leg = l.get();
      legs.push_back(std::move(l));
      flush_data(*legs.back());
    }
    if (!media_thread.joinable())
      media_thread = std::thread([this] { run_media(); });
    return out;
  }

  /// The node lost the publish session's tracks: the session starts over
  /// on a new connection with the next publish (the old one goes quiet).
  void restart_if_lost() {
    {
      std::lock_guard<std::mutex> guard(sig_mtx);
      if (!pub_lost)
        return;
      pub_lost = false;
      pub_tracks.clear();
    }
    if (pub.connected) {
      std::lock_guard<std::mutex> guard(mtx);
      pub.connected->retired = true;
      if (data_leg == pub.connected)
        data_leg = nullptr;
    }
    pub = {};
  }

  /// One offer of the publish session with `sections` (what each one
  /// publishes: `source_of`): the node's Published, the session unchanged
  /// if it refused.
  protocol::result<sig::Published> offer_sections(const std::vector<offered_section>& sections,
                                                  const std::map<std::string, sig::TrackSource>& source_of) {
    leg* l = pub.connected ? pub.connected : pub.pending.get();
    offer_params op;
    op.ice_ufrag = l->peer->local_ufrag;
    op.ice_pwd = l->peer->local_pwd;
    op.fingerprint = l->peer->fingerprint();
    sig::ClientMessage m;
    auto* p = m.mutable_publish();
    p->set_sdp(write_sdp(make_session_offer(sections, op)));
    for (const auto& x : sections) {
      auto src = source_of.find(x.mid);
      if (src == source_of.end())
        continue;
      auto* t = p->add_tracks();
      t->set_mid(x.mid);
      t->set_kind(x.kind == "video" ? sig::TRACK_KIND_VIDEO : sig::TRACK_KIND_AUDIO);
      t->set_source(src->second);
    }
    auto r = request(std::move(m));
    if (!r)
      return r.err();
    if (!r->has_published())
      return protocol::error{errc::internal, "the node answered Publish with something else"};
    return r->published();
  }

  /// Sends `clip` on section `mid` (replacing what it sent), as the track
  /// the node named; connects the session on its first answer.
  protocol::result<std::string> take_published(const sig::Published& answer, const std::string& mid,
                                               sig::TrackSource source,
                                               std::shared_ptr<const media_clip> clip, uint32_t ssrc,
                                               bool offers_data) {
    std::string track_id;
    for (const auto& t : answer.tracks())
      if (t.mid() == mid)
        track_id = t.track_id();
    if (track_id.empty())
      return protocol::error{errc::internal, "the node did not name the track of section " + mid};
    leg::sent out{mid, track_id, source,
                  std::make_unique<track_sender>(clip, ssrc, clip->kind == clip_kind::video
                                                               ? vp8_payload_type
                                                               : opus_payload_type)};
    if (auto a = parse_sdp(answer.sdp()))
      for (const auto& m : a->media)
        if (m.mid == mid && m.port != 0)
          if (auto id = m.extmap_id(audio_level_uri); id != 0)
            out.sender->write_audio_level(static_cast<uint8_t>(id), mic_level);
    {
      std::unique_lock<std::mutex> guard(mtx, std::defer_lock);
      if (pub.connected)
        guard.lock();  // the media thread sends the connected session's
      leg* l = pub.connected ? pub.connected : pub.pending.get();
      for (auto& x : l->senders)
        for (const auto& t : answer.tracks())
          if (t.mid() == x.mid)
            x.track_id = t.track_id();
      auto same = std::find_if(l->senders.begin(), l->senders.end(),
                               [&](const auto& x) { return x.mid == mid; });
      if (same != l->senders.end())
        *same = std::move(out);
      else
        l->senders.push_back(std::move(out));
    }
    {
      std::lock_guard<std::mutex> guard(sig_mtx);
      pub_tracks.clear();
      for (const auto& t : answer.tracks())
        pub_tracks.insert(t.track_id());
    }
    if (!pub.connected) {
      auto c = connect_leg(std::move(pub.pending), answer.sdp(), offers_data);
      if (!c) {
        pub = {};
        return c.err();
      }
      pub.connected = *c;
    }
    return track_id;
  }

  static bool read_answer_accepts_data(const std::string& answer_sdp) {
    auto a = parse_sdp(answer_sdp);
    if (!a)
      return false;
    for (const auto& m : a->media)
      if (m.port != 0 && is_data_channel_section(m))
        return true;
    return false;
  }

  /// SCTP out through DTLS (call with mtx held).
  static void flush_data(leg& l) {
    if (l.data)
      for (auto& p : l.data->take_outgoing())
        l.peer->send_application(p.data(), p.size());
  }

  void on_dtls(leg& l, const std::vector<uint8_t>& d) {
    l.peer->on_dtls(d.data(), d.size());
    if (!l.data)
      return;
    for (auto& a : l.peer->take_application())
      l.data->on_dtls_data(a.data(), a.size());
    for (auto& m : l.data->take_messages())
      inbox.push_back(std::move(m));
    // SACKs free the send buffer: what waited goes out now.
    flush_data(l);
    data_changed.notify_all();
  }

  void on_datagram(leg& l, std::vector<uint8_t>& d, int64_t now, std::vector<std::vector<uint8_t>>& out) {
    // RFC 7983: DTLS carries the data channels; STUN answers to consent
    // checks need nothing.
    if (!d.empty() && d[0] >= 20 && d[0] <= 63)
      return on_dtls(l, d);
    if (d.size() < 12 || d[0] < 128 || d[0] > 191)
      return;
    if (looks_like_rtcp(d.data(), d.size())) {
      if (l.senders.empty() || !l.peer->unprotect_rtcp(d))
        return;
      if (auto msgs = parse_rtcp(d.data(), d.size()))
        for (auto& x : l.senders)
          x.sender->on_rtcp(*msgs, out);
      return;
    }
    if (l.receivers.empty() || !l.peer->unprotect_rtp(d))
      return;
    if (auto p = rtp_packet::parse(d.data(), d.size()))
      if (auto w = l.receivers.find(p->ssrc()); w != l.receivers.end())
        w->second.receiver->on_rtp(*p, now);
  }

  void run_media() {
    std::vector<pollfd> fds;
    std::vector<leg*> active;
    std::vector<std::vector<uint8_t>> out;
    while (!stop) {
      int64_t wait = 10;
      {
        std::lock_guard<std::mutex> guard(mtx);
        active.clear();
        fds.clear();
        auto now = now_ms();
        for (auto& l : legs) {
          if (l->retired)
            continue;
          active.push_back(l.get());
          fds.push_back({l->peer->fd(), POLLIN, 0});
          for (const auto& x : l->senders)
            if (x.sender->next_due_ms() != 0)
              wait = std::min(wait, std::max<int64_t>(0, x.sender->next_due_ms() - now));
        }
      }
      ::poll(fds.data(), fds.size(), static_cast<int>(wait));
      std::lock_guard<std::mutex> guard(mtx);
      auto now = now_ms();
      for (std::size_t i = 0; i < active.size(); ++i) {
        auto& l = *active[i];
        out.clear();
        if (fds[i].revents & POLLIN)
          while (auto d = l.peer->recv(milliseconds(0)))
            on_datagram(l, *d, now, out);
        bool report = !l.senders.empty() && now - l.last_report_ms >= report_interval_ms;
        if (report)
          l.last_report_ms = now;
        for (auto& x : l.senders) {
          x.sender->due(now, out);
          if (report)
            if (auto sr = x.sender->sender_report(now); !sr.empty())
              l.peer->send_rtcp(std::move(sr));
        }
        for (auto& p : out)
          l.peer->send_rtp(std::move(p));
        if (!l.receivers.empty() && now - l.last_feedback_ms >= feedback_interval_ms) {
          l.last_feedback_ms = now;
          for (auto& [ssrc, w] : l.receivers) {
            auto fb = w.receiver->feedback(now);
            if (!fb.empty())
              l.peer->send_rtcp(std::move(fb));
          }
        }
        if (l.data) {
          transport::sctp_association::tick();
          flush_data(l);
        }
        if (now - l.last_consent_ms >= consent_interval_ms) {
          l.last_consent_ms = now;
          l.peer->send_consent_check();
        }
      }
    }
  }

  void stop_media() {
    stop = true;
    if (media_thread.joinable())
      media_thread.join();
  }
};

lamp_client::lamp_client(std::shared_ptr<const lamp_media> media, lamp_options opts)
  : impl_(std::make_unique<impl>()) {
  impl_->media = std::move(media);
  impl_->opts = std::move(opts);
}

lamp_client::~lamp_client() {
  close();
}

protocol::result<sig::Joined> lamp_client::join(const std::string& token) {
  sig::Join j;
  j.set_token(token);
  return join(j);
}

protocol::result<sig::Joined> lamp_client::join(const sig::Join& j) {
  impl_->stop_keeper();
  {
    std::lock_guard<std::mutex> guard(impl_->sig_mtx);
    if (!impl_->ws.connect(impl_->opts.host, impl_->opts.port, "/signal", impl_->opts.timeout))
      return protocol::error{errc::unavailable, "cannot reach the node: " + impl_->ws.error()};
    impl_->kept.clear();
  }
  impl_->start_keeper();
  sig::ClientMessage m;
  *m.mutable_join() = j;
  auto r = impl_->request(std::move(m));
  if (!r)
    return r.err();
  if (!r->has_joined())
    return protocol::error{errc::internal, "the node answered Join with something else"};
  return r->joined();
}

protocol::result<sig::Joined> lamp_client::rejoin(uint16_t port, const std::string& token) {
  impl_->stop_keeper();
  impl_->ws.close();
  impl_->opts.port = port;
  return join(token);
}

protocol::result<std::string> lamp_client::publish(sig::TrackSource source) {
  auto clip = impl_->media ? impl_->media->clip_for(source) : nullptr;
  if (!clip)
    return protocol::error{errc::bad_request, "this lamp has no such source"};
  auto& d = *impl_;
  d.restart_if_lost();
  for (const auto& [mid, src] : d.pub.source_of)
    if (src == source)
      return protocol::error{errc::already_exists, "this lamp publishes that source already"};
  bool first = !d.pub.connected && !d.pub.pending;
  if (first) {
    d.pub.pending = std::make_unique<leg>();
    d.pub.pending->peer = std::make_unique<transport::rtc_peer>(d.opts.ice, d.opts.media_ip);
    if (!d.pub.pending->peer->usable()) {
      d.pub = {};
      return protocol::error{errc::internal, "no ICE agent (libnice) could be set up"};
    }
  }
  auto sections = d.pub.sections;
  auto source_of = d.pub.source_of;
  auto next_mid = d.pub.next_mid;
  auto mid = std::to_string(next_mid++);
  auto ssrc = random_ssrc();
  sections.push_back({mid, to_string(clip->kind), sdp_direction::sendonly, ssrc,
                      sig::TrackSource_Name(source)});
  source_of[mid] = source;
  bool offers_data = first && d.opts.data_channels;
  if (offers_data)
    sections.push_back({std::to_string(next_mid++), "application", sdp_direction::sendrecv, 0, ""});
  auto r = d.offer_sections(sections, source_of);
  if (!r) {
    if (first)
      d.pub = {};
    return r.err();
  }
  d.pub.sections = std::move(sections);
  d.pub.source_of = std::move(source_of);
  d.pub.next_mid = next_mid;
  return d.take_published(*r, mid, source, clip, ssrc, offers_data);
}

protocol::result<std::string> lamp_client::replace(sig::TrackSource from, sig::TrackSource to) {
  auto clip = impl_->media ? impl_->media->clip_for(to) : nullptr;
  if (!clip)
    return protocol::error{errc::bad_request, "this lamp has no such source"};
  auto& d = *impl_;
  d.restart_if_lost();
  auto at = std::find_if(d.pub.source_of.begin(), d.pub.source_of.end(),
                         [&](const auto& x) { return x.second == from; });
  if (at == d.pub.source_of.end() || !d.pub.connected)
    return protocol::error{errc::not_found, "this lamp does not publish that source"};
  auto mid = at->first;
  auto sections = d.pub.sections;
  auto source_of = d.pub.source_of;
  auto ssrc = random_ssrc();
  for (auto& x : sections)
    if (x.mid == mid) {
      if (x.kind != to_string(clip->kind))
        return protocol::error{errc::bad_request, "a section carries one kind of media"};
      x.ssrc = ssrc;
      x.track_id = sig::TrackSource_Name(to);
    }
  source_of[mid] = to;
  auto r = d.offer_sections(sections, source_of);
  if (!r)
    return r.err();
  d.pub.sections = std::move(sections);
  d.pub.source_of = std::move(source_of);
  return d.take_published(*r, mid, to, clip, ssrc, false);
}

protocol::result<std::string> lamp_client::subscribe(const sig::TrackInfo& track,
                                                    sig::Layer layer) {
  auto& d = *impl_;
  sig::ClientMessage m;
  m.mutable_subscribe()->set_track_id(track.track_id());
  m.mutable_subscribe()->set_layer(layer);
  if (auto r = d.request(std::move(m)); !r)
    return r.err();
  // The session's offer carrying the track comes as a push, before or
  // after the Ack; whoever reads it answers it.
  std::unique_lock<std::mutex> lock(d.sig_mtx);
  auto deadline = std::chrono::steady_clock::now() + d.opts.timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    d.connect_session(lock);
    if (d.sub.failed)
      return *d.sub.failed;
    if (d.sub.connected && d.sub.answered.count(track.track_id()))
      return track.track_id();
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    auto step = std::min(left, milliseconds(50));
    if (d.sub.connecting) {
      d.sub_changed.wait_for(lock, step);  // the keeper connects
      continue;
    }
    if (auto msg = d.read_one(step))
      d.keep(std::move(*msg));
    else if (d.ws.closed())
      break;
  }
  return protocol::error{errc::timeout, "track " + track.track_id() + " did not come on the subscribe session"};
}

void lamp_client::set_mic_level(uint8_t level) {
  impl_->mic_level->store(level & 0x7F, std::memory_order_relaxed);
}

std::size_t lamp_client::media_connections() const {
  std::lock_guard<std::mutex> guard(impl_->mtx);
  return static_cast<std::size_t>(std::count_if(impl_->legs.begin(), impl_->legs.end(),
                                                [](const auto& l) { return !l->retired; }));
}

protocol::result<sig::ServerMessage> lamp_client::request(sig::ClientMessage m) {
  return impl_->request(std::move(m));
}

std::optional<sig::ServerMessage>
lamp_client::wait_for(const std::function<bool(const sig::ServerMessage&)>& pred,
                      milliseconds timeout) {
  std::lock_guard<std::mutex> guard(impl_->sig_mtx);
  for (auto it = impl_->kept.begin(); it != impl_->kept.end(); ++it)
    if (pred(*it)) {
      auto m = std::move(*it);
      impl_->kept.erase(it);
      return m;
    }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && !impl_->ws.closed()) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    auto msg = impl_->read_one(left);
    if (!msg)
      continue;
    if (pred(*msg))
      return msg;
    impl_->keep(std::move(*msg));
  }
  return std::nullopt;
}

protocol::result<uint16_t> lamp_client::open_channel(const std::string& label) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mtx);
  auto deadline = std::chrono::steady_clock::now() + d.opts.timeout;
  auto up = [&] {
    return d.data_leg && d.data_leg->data->state() == transport::sctp_state::open;
  };
  if (!d.data_changed.wait_until(lock, deadline, up))
    return protocol::error{errc::unavailable, "no data channel connection (publish a track first)"};
  auto stream = d.data_leg->data->open(label);
  if (!stream)
    return protocol::error{errc::unavailable, "the data channel could not be opened"};
  impl::flush_data(*d.data_leg);
  auto acked = [&] {
    auto* c = d.data_leg->data->channel(*stream);
    return c && c->open;
  };
  if (!d.data_changed.wait_until(lock, deadline, acked))
    return protocol::error{errc::timeout, "the node did not acknowledge channel " + label};
  return *stream;
}

protocol::result<bool> lamp_client::send_text(const std::string& label, const std::string& text) {
  auto& d = *impl_;
  std::lock_guard<std::mutex> guard(d.mtx);
  auto* c = d.data_leg ? d.data_leg->data->channel(label) : nullptr;
  if (!c)
    return protocol::error{errc::not_found, "no data channel " + label};
  auto r = d.data_leg->data->send_text(c->stream, text);
  impl::flush_data(*d.data_leg);
  if (r != transport::sctp_association::send_result::ok)
    return protocol::error{errc::unavailable, std::string("data channel send: ") + to_string(r)};
  return true;
}

bool lamp_client::has_channel(const std::string& label) const {
  std::lock_guard<std::mutex> guard(impl_->mtx);
  auto* c = impl_->data_leg ? impl_->data_leg->data->channel(label) : nullptr;
  return c && c->open;
}

protocol::result<bool> lamp_client::send_binary(const std::string& label, const std::string& data) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mtx);
  auto deadline = std::chrono::steady_clock::now() + d.opts.timeout;
  for (;;) {
    auto* c = d.data_leg ? d.data_leg->data->channel(label) : nullptr;
    if (!c)
      return protocol::error{errc::not_found, "no data channel " + label};
    auto r = d.data_leg->data->send(c->stream, true,
                                    reinterpret_cast<const uint8_t*>(data.data()), data.size());
    impl::flush_data(*d.data_leg);
    if (r == transport::sctp_association::send_result::ok)
      return true;
    if (r != transport::sctp_association::send_result::would_block)
      return protocol::error{errc::unavailable, std::string("data channel send: ") + to_string(r)};
    // The media thread drains the buffer as SACKs come back and says so.
    if (d.data_changed.wait_until(lock, deadline) == std::cv_status::timeout)
      return protocol::error{errc::timeout, "data channel " + label + " stays full"};
  }
}

std::optional<transport::data_channel_message>
lamp_client::next_message_on(const std::string& label, milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mtx);
  auto match = [&] {
    return std::find_if(d.inbox.begin(), d.inbox.end(),
                        [&](const auto& m) { return m.label == label; });
  };
  if (!d.data_changed.wait_for(lock, timeout, [&] { return match() != d.inbox.end(); }))
    return std::nullopt;
  auto it = match();
  auto m = std::move(*it);
  d.inbox.erase(it);
  return m;
}

std::optional<transport::data_channel_message> lamp_client::next_message(milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mtx);
  if (!d.data_changed.wait_for(lock, timeout, [&] { return !d.inbox.empty(); }))
    return std::nullopt;
  auto m = std::move(d.inbox.front());
  d.inbox.pop_front();
  return m;
}

std::vector<leg_report> lamp_client::report() const {
  std::lock_guard<std::mutex> guard(impl_->mtx);
  std::vector<leg_report> out;
  for (const auto& l : impl_->legs) {
    for (const auto& x : l->senders) {
      leg_report r;
      r.track_id = x.track_id;
      r.publishing = true;
      r.kind = x.sender->kind();
      r.sent = x.sender->stats();
      out.push_back(std::move(r));
    }
    for (const auto& [ssrc, w] : l->receivers) {
      leg_report r;
      r.track_id = w.track_id;
      r.kind = w.receiver->kind();
      r.received = w.receiver->stats();
      out.push_back(std::move(r));
    }
  }
  return out;
}

void lamp_client::close() {
  impl_->stop_media();
  impl_->stop_keeper();
  if (!impl_->ws.closed())
    impl_->ws.close();
}

} // namespace lamplight::media::lamp
