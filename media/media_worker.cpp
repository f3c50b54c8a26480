#include "media/media_worker.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <future>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"
#include "transport/data_channel.hpp"
#include "transport/ice_lite.hpp"
#include "transport/srtp_session.hpp"
#include "transport/stun_message.hpp"

namespace lamplight::media {

namespace {

constexpr std::size_t batch = 32;
/// The SSRC our own RTCP (PLI, NACK, REMB) is sent from: "LAMP".
constexpr uint32_t sender_ssrc = 0x4C414D50;
constexpr std::size_t max_datagram = 1500;

socklen_t addr_len(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

} // namespace

struct media_worker::impl {
  struct route {
    peer_id subscriber;
    uint32_t out_ssrc;
    bool started = false;
    uint16_t seq_delta = 0;
  };

  struct peer {
    transport::ice_lite::session_id ice = 0;
    std::unique_ptr<transport::dtls_session> dtls;
    std::unique_ptr<transport::srtp_session> srtp_in;
    std::unique_ptr<transport::srtp_session> srtp_out;
    bool wants_data = false;
    uint64_t data_group = 0;
    std::unique_ptr<transport::data_channel_endpoint> data;  // once DTLS is up
    peer_stats st;
  };

  struct outgoing {
    std::vector<uint8_t> data;
    sockaddr_storage to;
  };

  config cfg;
  int fd = -1;
  int wake_fd = -1;
  uint16_t bound_port = 0;
  std::shared_ptr<transport::dtls_certificate> cert;
  std::atomic<bool> stopping{false};
  std::thread thread;

  std::mutex mtx;  // guards `commands` only
  std::vector<std::function<void()>> commands;

  // Everything below belongs to the worker thread.
  transport::ice_lite ice;
  peer_id next_peer = 1;
  std::map<peer_id, peer> peers;
  std::map<transport::ice_lite::session_id, peer_id> by_ice;
  worker_stats wst;
  std::vector<outgoing> out;
  // sendmmsg's headers, allocated once: flush runs on every loop turn.
  std::vector<mmsghdr> send_msgs = std::vector<mmsghdr>(64);
  std::vector<iovec> send_iov = std::vector<iovec>(64);

  /// Per published stream (publisher, SSRC): where it goes, the highest
  /// sequence number seen (to find gaps and NACK them), the last packets,
  /// decrypted, by sequence number (to answer subscribers' NACKs; one buffer
  /// per source, shared by every subscriber, since each route only adds a
  /// sequence offset), and when it was last asked for a key frame.
  struct source {
    std::vector<route> routes;
    bool seen = false;
    uint16_t highest = 0;
    int64_t last_pli_ms = 0;
    std::vector<std::vector<uint8_t>> history = std::vector<std::vector<uint8_t>>(history_size);
  };
  static constexpr std::size_t history_size = 512;
  std::map<std::pair<peer_id, uint32_t>, source> sources;
  int64_t last_remb_ms = 0;

  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> guard(mtx);
      commands.push_back(std::move(f));
    }
    uint64_t one = 1;
    (void) ::write(wake_fd, &one, sizeof(one));
  }

  /// Runs `f` on the worker thread and waits (bounded) for its result.
  template <class T>
  std::optional<T> call(std::function<T()> f) {
    auto p = std::make_shared<std::promise<T>>();
    auto fut = p->get_future();
    post([p, f = std::move(f)] { p->set_value(f()); });
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      return std::nullopt;
    return fut.get();
  }

  /// Queues a datagram for the next flush; takes the buffer, no copy.
  void send_to(std::vector<uint8_t> data, const sockaddr_storage& to) {
    out.push_back({std::move(data), to});
  }

  /// Protects an RTCP packet with `to_peer`'s key and queues it to its
  /// selected tuple; false if the peer has no keys or no tuple yet.
  bool send_rtcp(peer_id to_peer, std::vector<uint8_t> pkt) {
    auto p = peers.find(to_peer);
    if (p == peers.end() || !p->second.srtp_out)
      return false;
    auto to = ice.selected(p->second.ice);
    if (!to || !p->second.srtp_out->protect_rtcp(pkt))
      return false;
    send_to(std::move(pkt), *to);
    return true;
  }

  /// sendmmsg in batches: one system call for a fan-out.
  void flush() {
    std::size_t i = 0;
    while (i < out.size()) {
      auto n = std::min(out.size() - i, send_msgs.size());
      auto& msgs = send_msgs;
      auto& iov = send_iov;
      for (std::size_t k = 0; k < n; ++k) {
        auto& o = out[i + k];
        iov[k] = {o.data.data(), o.data.size()};
        msgs[k].msg_hdr = {};
        msgs[k].msg_hdr.msg_name = &o.to;
        msgs[k].msg_hdr.msg_namelen = addr_len(o.to);
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
      }
      int sent = ::sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), 0);
      // A full socket buffer drops the rest of this batch, as a router would.
      i += sent > 0 ? static_cast<std::size_t>(sent) : n;
    }
    out.clear();
  }

  /// Asks a publisher for a key frame of `ssrc` (RFC 4585 PLI), at most
  /// every 500 ms per source: subscribers that join, lose packets or ask
  /// themselves all funnel into this.
  void request_keyframe(peer_id publisher, uint32_t ssrc, source& src) {
    auto now = now_ms();
    if (src.last_pli_ms != 0 && now - src.last_pli_ms < 500)
      return;
    std::vector<uint8_t> pkt;
    write_rtcp(pkt, pli{sender_ssrc, ssrc});
    if (!send_rtcp(publisher, std::move(pkt)))
      return;
    src.last_pli_ms = now;
    ++wst.plis_sent;
  }

  /// RFC 4585 generic NACK to a publisher for the sequence numbers it
  /// missed: it retransmits them (Chrome does so from its own buffer).
  void send_nack(peer_id publisher, uint32_t ssrc, std::vector<uint16_t> lost) {
    std::vector<uint8_t> pkt;
    write_rtcp(pkt, nack{sender_ssrc, ssrc, std::move(lost)});
    if (send_rtcp(publisher, std::move(pkt)))
      ++wst.nacks_sent;
  }

  /// Resends what a subscriber's NACK asks for, from the source's history.
  /// What the history lacks was lost on the way in too (and our own NACK
  /// for it, or its answer, with it): the subscriber's repeated NACKs are
  /// passed on to the publisher, so recovery keeps trying end to end.
  void retransmit(peer_id subscriber, const nack& n) {
    auto sub = peers.find(subscriber);
    if (sub == peers.end() || !sub->second.srtp_out)
      return;
    auto to = ice.selected(sub->second.ice);
    if (!to)
      return;
    for (auto& [key, src] : sources)
      for (auto& rt : src.routes) {
        if (rt.subscriber != subscriber || rt.out_ssrc != n.media_ssrc || !rt.started)
          continue;
        std::vector<uint16_t> upstream;
        for (uint16_t out_seq : n.lost) {
          auto original = static_cast<uint16_t>(out_seq - rt.seq_delta);
          const auto& kept = src.history[original % history_size];
          auto view = kept.empty() ? std::nullopt
                                   : rtp_packet::parse(const_cast<uint8_t*>(kept.data()),
                                                       kept.size());
          if (!view || view->sequence() != original) {
            // Never received, or so old it left the buffer: only the first
            // is worth asking the publisher for.
            if (seq_diff(original, src.highest) <= 0
                && seq_diff(src.highest, original) < static_cast<int>(history_size))
              upstream.push_back(original);
            continue;
          }
          std::vector<uint8_t> copy = kept;
          auto out = rtp_packet::parse(copy.data(), copy.size());
          out->set_ssrc(rt.out_ssrc);
          out->set_sequence(out_seq);
          if (!sub->second.srtp_out->protect_rtp(copy))
            continue;
          ++wst.retransmitted;
          send_to(std::move(copy), *to);
        }
        if (!upstream.empty())
          send_nack(key.first, key.second, std::move(upstream));
      }
  }

  /// RTCP from a peer: key frame requests go to the publisher of the stream
  /// they name; NACKs are answered from the history.
  void on_subscriber_rtcp(peer_id subscriber, const std::vector<uint8_t>& pkt) {
    auto msgs = parse_rtcp(pkt.data(), pkt.size());
    if (!msgs)
      return;
    for (const auto& m : *msgs) {
      if (auto* n = std::get_if<nack>(&m)) {
        retransmit(subscriber, *n);
        continue;
      }
      uint32_t media_ssrc = 0;
      if (auto* x = std::get_if<pli>(&m))
        media_ssrc = x->media_ssrc;
      else if (auto* f = std::get_if<fir>(&m); f && !f->entries.empty())
        media_ssrc = f->entries.front().ssrc;
      if (media_ssrc == 0)
        continue;
      for (auto& [key, src] : sources)
        for (const auto& rt : src.routes)
          if (rt.subscriber == subscriber && rt.out_ssrc == media_ssrc)
            request_keyframe(key.first, key.second, src);
    }
  }

  void on_dtls(peer& p, const uint8_t* data, std::size_t size) {
    p.dtls->on_datagram(data, size);
    p.st.dtls = p.dtls->state();
    if (p.dtls->state() == transport::dtls_state::connected && !p.srtp_in) {
      const auto& k = *p.dtls->keys();
      auto in = transport::srtp_session::create(k.profile, k.remote,
                                                transport::srtp_session::direction::inbound);
      auto outs = transport::srtp_session::create(k.profile, k.local,
                                                  transport::srtp_session::direction::outbound);
      if (in && outs) {
        p.srtp_in = std::move(*in);
        p.srtp_out = std::move(*outs);
      }
      if (p.wants_data) {
        p.data = std::make_unique<transport::data_channel_endpoint>(false);
        p.data->start();
      }
    }
    auto app = p.dtls->take_application();
    if (!p.data)
      return;
    for (auto& a : app)
      p.data->on_dtls_data(a.data(), a.size());
    p.st.sctp_open = p.data->state() == transport::sctp_state::open;
    for (auto& m : p.data->take_messages()) {
      ++p.st.data_in;
      relay_data(p, m);
    }
    flush_sctp(p);
  }

  /// SCTP packets a peer's association produced, out through its DTLS.
  static void flush_sctp(peer& p) {
    if (p.data)
      for (auto& pkt : p.data->take_outgoing())
        p.dtls->send_application(pkt.data(), pkt.size());
  }

  /// A data channel message to the other peers of the sender's group that
  /// opened a channel with its label.
  void relay_data(const peer& from, const transport::data_channel_message& m) {
    if (from.data_group == 0)
      return;
    for (auto& [id, q] : peers) {
      if (&q == &from || q.data_group != from.data_group || !q.data)
        continue;
      auto* c = q.data->channel(m.label);
      if (c && q.data->send(c->stream, m.binary, m.data.data(), m.data.size())
                 == transport::sctp_association::send_result::ok) {
        ++q.st.data_out;
        ++wst.data_relayed;
        flush_sctp(q);
      } else {
        ++wst.data_unrelayed;
      }
    }
  }

  void on_rtp(peer_id id, peer& p, const uint8_t* data, std::size_t size) {
    std::vector<uint8_t> pkt(data, data + size);
    if (!p.srtp_in->unprotect_rtp(pkt)) {
      ++p.st.srtp_failures;
      return;
    }
    ++p.st.rtp_in;
    auto parsed = rtp_packet::parse(pkt.data(), pkt.size());
    if (!parsed)
      return;
    auto& src = sources[{id, parsed->ssrc()}];
    auto seq = parsed->sequence();
    if (!src.seen) {
      src.seen = true;
      src.highest = seq;
    } else if (auto d = seq_diff(seq, src.highest); d > 0) {
      if (d > 1 && d <= 100) {  // a bigger jump is a restart, not loss
        std::vector<uint16_t> lost;
        for (uint16_t s = static_cast<uint16_t>(src.highest + 1); s != seq; ++s)
          lost.push_back(s);
        send_nack(id, parsed->ssrc(), std::move(lost));
      }
      src.highest = seq;
    }
    src.history[seq % impl::history_size] = pkt;
    for (auto& rt : src.routes) {
      auto sub = peers.find(rt.subscriber);
      if (sub == peers.end() || !sub->second.srtp_out)
        continue;
      auto to = ice.selected(sub->second.ice);
      if (!to)
        continue;
      if (!rt.started) {
        // Each subscriber's stream starts at a random sequence number.
        uint16_t start = 0;
        RAND_bytes(reinterpret_cast<unsigned char*>(&start), sizeof(start));
        rt.seq_delta = static_cast<uint16_t>(start - parsed->sequence());
        rt.started = true;
        // A new subscriber can decode nothing before a key frame.
        request_keyframe(id, parsed->ssrc(), src);
      }
      std::vector<uint8_t> copy = pkt;
      auto view = rtp_packet::parse(copy.data(), copy.size());
      view->set_ssrc(rt.out_ssrc);
      view->set_sequence(static_cast<uint16_t>(parsed->sequence() + rt.seq_delta));
      if (!sub->second.srtp_out->protect_rtp(copy))
        continue;
      ++sub->second.st.rtp_out;
      send_to(std::move(copy), *to);
    }
  }

  void on_datagram(const uint8_t* data, std::size_t size, const sockaddr_storage& from) {
    ++wst.datagrams_in;
    if (size == 0)
      return;
    uint8_t b = data[0];
    if (b <= 3) {
      auto v = ice.on_stun(data, size, from, now_ms());
      if (!v.response.empty())
        send_to(std::move(v.response), from);
      if (v.session)
        if (auto i = by_ice.find(*v.session); i != by_ice.end())
          peers[i->second].st.ice_connected = true;
      return;
    }
    bool dtls = b >= 20 && b <= 63;
    bool rtp = b >= 128 && b <= 191;
    if (!dtls && !rtp) {
      ++wst.garbage;
      return;
    }
    auto session = ice.route(from);
    auto pid = session ? by_ice.find(*session) : by_ice.end();
    if (pid == by_ice.end()) {
      ++wst.unroutable;
      return;
    }
    auto& p = peers[pid->second];
    if (dtls)
      return on_dtls(p, data, size);
    if (!p.srtp_in) {
      ++p.st.srtp_failures;
      return;
    }
    if (looks_like_rtcp(data, size)) {
      std::vector<uint8_t> pkt(data, data + size);
      if (p.srtp_in->unprotect_rtcp(pkt)) {
        ++p.st.rtcp_in;
        on_subscriber_rtcp(pid->second, pkt);
      } else {
        ++p.st.srtp_failures;
      }
      return;
    }
    on_rtp(pid->second, p, data, size);
  }

  /// REMB (draft-alvestrand-rmcat-remb) to every publisher for the streams
  /// it sends, at most once a second.
  void send_rembs() {
    auto now = now_ms();
    if (now - last_remb_ms < 1000)
      return;
    last_remb_ms = now;
    // `sources` is ordered by publisher: one REMB per run of its streams.
    auto i = sources.begin();
    while (i != sources.end()) {
      auto publisher = i->first.first;
      std::vector<uint32_t> ssrcs;
      for (; i != sources.end() && i->first.first == publisher; ++i)
        if (i->second.seen)
          ssrcs.push_back(i->first.second);
      if (ssrcs.empty())
        continue;
      std::vector<uint8_t> pkt;
      write_rtcp(pkt, remb{sender_ssrc, cfg.remb_bps, std::move(ssrcs)});
      if (send_rtcp(publisher, std::move(pkt)))
        ++wst.rembs_sent;
    }
  }

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
  }

  void run_commands() {
    uint64_t v;
    (void) ::read(wake_fd, &v, sizeof(v));
    std::vector<std::function<void()>> todo;
    {
      std::lock_guard<std::mutex> guard(mtx);
      todo.swap(commands);
    }
    for (auto& f : todo)
      f();
  }

  void loop() {
    std::vector<std::array<uint8_t, max_datagram>> bufs(batch);
    std::vector<sockaddr_storage> from(batch);
    std::vector<iovec> iov(batch);
    std::vector<mmsghdr> msgs(batch);
    while (!stopping) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      int n = ::poll(fds, 2, 100);  // the tick also drives DTLS retransmissions
      if (n > 0 && (fds[1].revents & POLLIN))
        run_commands();
      if (n > 0 && (fds[0].revents & POLLIN)) {
        for (std::size_t i = 0; i < batch; ++i) {
          iov[i] = {bufs[i].data(), bufs[i].size()};
          msgs[i].msg_hdr = {};
          msgs[i].msg_hdr.msg_name = &from[i];
          msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int got = ::recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
        for (int i = 0; i < got; ++i)
          on_datagram(bufs[static_cast<std::size_t>(i)].data(), msgs[static_cast<std::size_t>(i)].msg_len,
                      from[static_cast<std::size_t>(i)]);
      }
      bool sctp = false;
      for (auto& [id, p] : peers) {
        if (p.dtls && p.dtls->state() == transport::dtls_state::connecting) {
          p.dtls->on_timeout();
          p.st.dtls = p.dtls->state();
        }
        sctp = sctp || p.data;
      }
      if (sctp) {
        // SCTP's own timers (retransmission, delayed SACK, heartbeat).
        transport::sctp_association::tick();
        for (auto& [id, p] : peers)
          flush_sctp(p);
      }
      ice.expire(now_ms());
      send_rembs();
      flush();
    }
  }
};

media_worker::media_worker(config cfg) : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.cfg = std::move(cfg);
  d.cert = transport::dtls_certificate::generate();
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(d.cfg.port);
  if (inet_pton(AF_INET, d.cfg.bind_address.c_str(), &a.sin_addr) != 1)
    throw std::system_error(EINVAL, std::generic_category(), "bad bind address");
  d.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (d.fd < 0 || ::bind(d.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    auto err = errno;
    if (d.fd >= 0)
      ::close(d.fd);
    throw std::system_error(err, std::generic_category(), "cannot bind the media port");
  }
  socklen_t len = sizeof(a);
  ::getsockname(d.fd, reinterpret_cast<sockaddr*>(&a), &len);
  d.bound_port = ntohs(a.sin_port);
  d.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  d.thread = std::thread([&d] { d.loop(); });
  // Named so operators (top -H) and the bench can find its CPU time.
  pthread_setname_np(d.thread.native_handle(), "ll-media");
}

media_worker::~media_worker() {
  auto& d = *impl_;
  d.stopping = true;
  uint64_t one = 1;
  (void) ::write(d.wake_fd, &one, sizeof(one));
  d.thread.join();
  ::close(d.fd);
  ::close(d.wake_fd);
}

uint16_t media_worker::port() const {
  return impl_->bound_port;
}

const std::string& media_worker::address() const {
  return impl_->cfg.bind_address;
}

const std::string& media_worker::fingerprint() const {
  return impl_->cert->fingerprint();
}

std::optional<media_worker::peer_id> media_worker::add_peer(peer_params params) {
  auto* d = impl_.get();
  auto r = d->call<std::optional<peer_id>>([d, params]() -> std::optional<peer_id> {
    auto ice = d->ice.add_session(params.local_ufrag, params.local_pwd, params.remote_ufrag);
    if (!ice)
      return std::nullopt;
    auto id = d->next_peer++;
    auto& p = d->peers[id];
    p.ice = *ice;
    p.wants_data = params.data_channels;
    p.data_group = params.data_group;
    p.dtls = std::make_unique<transport::dtls_session>(
      d->cert, params.role, params.remote_fingerprint,
      [d, ice = *ice](const uint8_t* data, std::size_t size) {
        if (auto to = d->ice.selected(ice))
          d->send_to(std::vector<uint8_t>(data, data + size), *to);
      });
    d->by_ice[*ice] = id;
    return id;
  });
  return r ? *r : std::nullopt;
}

void media_worker::remove_peer(peer_id id) {
  auto* d = impl_.get();
  d->post([d, id] {
    auto i = d->peers.find(id);
    if (i == d->peers.end())
      return;
    d->ice.remove_session(i->second.ice);
    d->by_ice.erase(i->second.ice);
    d->peers.erase(i);
    for (auto src = d->sources.begin(); src != d->sources.end();) {
      auto& v = src->second.routes;
      v.erase(std::remove_if(v.begin(), v.end(), [&](auto& x) { return x.subscriber == id; }),
              v.end());
      src = src->first.first == id ? d->sources.erase(src) : std::next(src);
    }
  });
}

void media_worker::add_route(peer_id publisher, uint32_t ssrc, peer_id subscriber,
                             uint32_t out_ssrc) {
  auto* d = impl_.get();
  d->post([d, publisher, ssrc, subscriber, out_ssrc] {
    d->sources[{publisher, ssrc}].routes.push_back(impl::route{subscriber, out_ssrc});
  });
}

void media_worker::remove_route(peer_id publisher, uint32_t ssrc, peer_id subscriber) {
  auto* d = impl_.get();
  d->post([d, publisher, ssrc, subscriber] {
    auto r = d->sources.find({publisher, ssrc});
    if (r == d->sources.end())
      return;
    auto& v = r->second.routes;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](auto& x) { return x.subscriber == subscriber; }),
            v.end());
  });
}

std::optional<media_worker::peer_stats> media_worker::stats(peer_id id) {
  auto* d = impl_.get();
  auto r = d->call<std::optional<peer_stats>>([d, id]() -> std::optional<peer_stats> {
    auto i = d->peers.find(id);
    if (i == d->peers.end())
      return std::nullopt;
    return i->second.st;
  });
  return r ? *r : std::nullopt;
}

media_worker::worker_stats media_worker::stats() {
  auto* d = impl_.get();
  return d->call<worker_stats>([d] { return d->wst; }).value_or(worker_stats{});
}

} // namespace lamplight::media
