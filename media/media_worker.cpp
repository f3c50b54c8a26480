#include "media/media_worker.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <set>
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

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "media/rtcp_packet.hpp"
#include "protocol/photo_transfer.hpp"
#include "transport/data_channel.hpp"
#include "transport/ice_lite.hpp"
#include "transport/srtp_session.hpp"
#include "transport/stun_message.hpp"

namespace lamplight::media {

namespace {

constexpr std::size_t batch = 32;
constexpr std::size_t max_datagram = 1500;

socklen_t addr_len(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

constexpr auto pipe_profile = transport::srtp_profile::aead_aes_128_gcm;

/// An IPv4 endpoint as a map key: the pipes' routing table.
using v4_key = std::pair<uint32_t, uint16_t>;

std::optional<v4_key> v4_of(const sockaddr_storage& a) {
  if (a.ss_family != AF_INET)
    return std::nullopt;
  const auto& in = reinterpret_cast<const sockaddr_in&>(a);
  return v4_key{in.sin_addr.s_addr, in.sin_port};
}

std::string hex(const uint8_t* data, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

/// The master key and salt of what `sender` sends to `receiver` on their
/// pipe: HMAC-SHA256 of both endpoints and the sender's nonce under the
/// shared secret (a key-derivation step as RFC 5869's expand, one block).
std::vector<uint8_t> pipe_key(const std::vector<uint8_t>& secret,
                              const media_worker::pipe_endpoint& sender,
                              const media_worker::pipe_endpoint& receiver) {
  auto label = "lamplight media pipe\n" + sender.nonce + "\n" + sender.address + ":"
               + std::to_string(sender.port) + "\n" + receiver.address + ":"
               + std::to_string(receiver.port);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const uint8_t*>(label.data()), label.size(), mac, &len);
  auto need = transport::srtp_key_length(pipe_profile) + transport::srtp_salt_length(pipe_profile);
  return std::vector<uint8_t>(mac, mac + std::min<std::size_t>(need, len));
}

} // namespace

struct media_worker::impl final : forwarder::sink {
  explicit impl(config c) : cfg(std::move(c)) {}

  struct peer {
    transport::ice_lite::session_id ice = 0;
    std::unique_ptr<transport::dtls_session> dtls;
    std::unique_ptr<transport::srtp_session> srtp_in;
    std::unique_ptr<transport::srtp_session> srtp_out;
    bool wants_data = false;
    uint64_t data_group = 0;
    std::function<void(const transport::data_channel_message&)> on_node_channel;
    std::unique_ptr<transport::data_channel_endpoint> data;  // once DTLS is up
    /// A pipe to another worker: no ICE, no DTLS, this fixed tuple.
    bool pipe = false;
    sockaddr_storage pipe_to{};
    peer_stats st;
    std::function<void(uint64_t)> meter;
    uint64_t metered = 0;  // st.bytes_out the meter was told of

    /// Tells the meter what it has not heard yet.
    void read_meter() {
      if (meter && st.bytes_out > metered)
        meter(st.bytes_out - metered);
      metered = st.bytes_out;
    }
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
  std::atomic<track_id> next_track{1};
  std::thread thread;

  std::mutex mtx;  // guards `commands` only
  std::vector<std::function<void()>> commands;

  // Everything below belongs to the worker thread.
  transport::ice_lite ice;
  // Peer ids and the ufrags in use are handed out on the caller's thread, so
  // adding a peer never waits for the worker (a classroom actor calls it).
  std::atomic<peer_id> next_peer{1};
  std::mutex ufrags_mtx;
  std::map<peer_id, std::string> ufrag_of;
  std::set<std::string> ufrags;
  /// Pipe peers by remote "address:port", with the nonce they are keyed
  /// for (guarded by ufrags_mtx: ids are handed out on callers' threads).
  std::map<std::string, std::pair<peer_id, std::string>> pipe_ids;
  std::string nonce;  // this run's, for pipe keys
  std::string key_id;  // of the pipe secret
  std::map<v4_key, peer_id> pipes;  // worker thread: where pipe datagrams go
  std::map<peer_id, peer> peers;
  std::map<transport::ice_lite::session_id, peer_id> by_ice;
  worker_stats wst;
  int64_t next_meter_ms = 0;
  forwarder fwd{*this, cfg.remb_bps};
  std::vector<outgoing> out;
  // sendmmsg's headers, allocated once: flush runs on every loop turn.
  std::vector<mmsghdr> send_msgs = std::vector<mmsghdr>(64);
  std::vector<iovec> send_iov = std::vector<iovec>(64);

  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> guard(mtx);
      commands.push_back(std::move(f));
    }
    uint64_t one = 1;
    (void) ::write(wake_fd, &one, sizeof(one));
  }

  /// Runs `f` on the worker thread; the future has its result.
  template <class T>
  std::future<T> call_async(std::function<T()> f) {
    auto p = std::make_shared<std::promise<T>>();
    auto fut = p->get_future();
    post([p, f = std::move(f)] { p->set_value(f()); });
    return fut;
  }

  /// Runs `f` on the worker thread and waits (bounded) for its result.
  template <class T>
  std::optional<T> call(std::function<T()> f) {
    auto fut = call_async<T>(std::move(f));
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      return std::nullopt;
    return fut.get();
  }

  /// Queues a datagram for the next flush; takes the buffer, no copy.
  void send_to(std::vector<uint8_t> data, const sockaddr_storage& to) {
    out.push_back({std::move(data), to});
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
      if (sent > 0) {
        for (int k = 0; k < sent; ++k)
          wst.bytes_out += msgs[static_cast<std::size_t>(k)].msg_len;
        i += static_cast<std::size_t>(sent);
      } else {
        wst.send_dropped += n;
        i += n;
      }
    }
    out.clear();
  }

  // -- forwarder::sink: what the forwarder sends, protected per peer ----------

  /// A peer with keys and its ICE-selected tuple, if it has both.
  struct ready_peer {
    peer* p;
    sockaddr_storage to;
  };
  std::optional<ready_peer> ready(peer_id id) {
    auto p = peers.find(id);
    if (p == peers.end() || !p->second.srtp_out)
      return std::nullopt;
    if (p->second.pipe)
      return ready_peer{&p->second, p->second.pipe_to};
    auto to = ice.selected(p->second.ice);
    if (!to)
      return std::nullopt;
    return ready_peer{&p->second, *to};
  }

  bool can_send(peer_id to) override { return ready(to).has_value(); }

  bool send_rtp(peer_id to, std::vector<uint8_t> pkt) override {
    auto r = ready(to);
    if (!r || !r->p->srtp_out->protect_rtp(pkt))
      return false;
    ++r->p->st.rtp_out;
    r->p->st.bytes_out += pkt.size();
    ++wst.rtp_forwarded;
    wst.pipe_rtp_out += r->p->pipe;
    send_to(std::move(pkt), r->to);
    return true;
  }

  bool send_rtcp(peer_id to, std::vector<uint8_t> pkt) override {
    auto r = ready(to);
    if (!r || !r->p->srtp_out->protect_rtcp(pkt))
      return false;
    r->p->st.bytes_out += pkt.size();
    send_to(std::move(pkt), r->to);
    return true;
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
      if (protocol::is_node_channel(m.label)) {
        if (p.on_node_channel)
          p.on_node_channel(m);
        continue;
      }
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
      ++wst.srtp_failures;
      return;
    }
    ++p.st.rtp_in;
    ++wst.rtp_in;
    wst.pipe_rtp_in += p.pipe;
    fwd.on_rtp(id, pkt, now_ms());
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
    if (rtp && !pipes.empty())
      if (auto k = v4_of(from))
        if (auto pipe = pipes.find(*k); pipe != pipes.end())
          return on_srtp(pipe->second, peers[pipe->second], data, size);
    auto session = ice.route(from);
    auto pid = session ? by_ice.find(*session) : by_ice.end();
    if (pid == by_ice.end()) {
      ++wst.unroutable;
      return;
    }
    auto& p = peers[pid->second];
    if (dtls)
      return on_dtls(p, data, size);
    on_srtp(pid->second, p, data, size);
  }

  /// SRTP or SRTCP from a peer with a validated path (ICE's, or a pipe's).
  void on_srtp(peer_id id, peer& p, const uint8_t* data, std::size_t size) {
    if (!p.srtp_in) {
      ++p.st.srtp_failures;
      ++wst.srtp_failures;
      return;
    }
    if (looks_like_rtcp(data, size)) {
      std::vector<uint8_t> pkt(data, data + size);
      if (p.srtp_in->unprotect_rtcp(pkt)) {
        ++p.st.rtcp_in;
        fwd.on_rtcp(id, pkt.data(), pkt.size(), now_ms());
      } else {
        ++p.st.srtp_failures;
        ++wst.srtp_failures;
      }
      return;
    }
    on_rtp(id, p, data, size);
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
      fwd.tick(now_ms(), ntp_time(std::chrono::system_clock::now()));
      flush();
      if (auto now = now_ms(); now >= next_meter_ms) {
        next_meter_ms = now + cfg.meter_interval.count();
        read_meters();
      }
    }
    read_meters();  // stopping: nothing sent goes unmetered
  }

  void read_meters() {
    for (auto& [id, p] : peers)
      p.read_meter();
  }
};

media_worker::media_worker(config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {
  auto& d = *impl_;
  d.cert = transport::dtls_certificate::generate();
  uint8_t nonce[16];
  RAND_bytes(nonce, sizeof(nonce));
  d.nonce = hex(nonce, sizeof(nonce));
  if (!d.cfg.pipe_secret.empty()) {
    media_worker::pipe_endpoint label{"key id", 0, "", ""};
    d.key_id = hex(pipe_key(d.cfg.pipe_secret, label, label).data(), 8);
  }
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
  // One publisher's key frame fans out as a burst of hundreds of datagrams,
  // and join storms bring bursts in: large buffers (the kernel caps them at
  // net.core.[rw]mem_max) keep bursts from being dropped.
  int buf = 4 << 20;
  ::setsockopt(d.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  ::setsockopt(d.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
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

std::size_t media_worker::peer_count() const {
  std::lock_guard<std::mutex> guard(impl_->ufrags_mtx);
  return impl_->ufrag_of.size();
}

std::optional<media_worker::peer_id> media_worker::add_peer(peer_params params) {
  auto* d = impl_.get();
  peer_id id = 0;
  {
    std::lock_guard<std::mutex> guard(d->ufrags_mtx);
    if (!d->ufrags.insert(params.local_ufrag).second)
      return std::nullopt;
    id = d->next_peer++;
    d->ufrag_of[id] = params.local_ufrag;
  }
  d->post([d, id, params = std::move(params)] {
    auto ice = d->ice.add_session(params.local_ufrag, params.local_pwd, params.remote_ufrag);
    if (!ice)
      return;  // its ICE checks go unanswered; the caller's media timeout ends it
    auto& p = d->peers[id];
    p.ice = *ice;
    p.wants_data = params.data_channels;
    p.data_group = params.data_group;
    p.meter = params.meter;
    if (params.on_node_channel)
      p.on_node_channel = [f = params.on_node_channel, id](const auto& m) { f(id, m); };
    p.dtls = std::make_unique<transport::dtls_session>(
      d->cert, params.role, params.remote_fingerprint,
      [d, ice = *ice](const uint8_t* data, std::size_t size) {
        if (auto to = d->ice.selected(ice))
          d->send_to(std::vector<uint8_t>(data, data + size), *to);
      });
    d->by_ice[*ice] = id;
  });
  return id;
}

void media_worker::remove_peer(peer_id id) {
  auto* d = impl_.get();
  {
    std::lock_guard<std::mutex> guard(d->ufrags_mtx);
    if (auto u = d->ufrag_of.find(id); u != d->ufrag_of.end()) {
      d->ufrags.erase(u->second);
      d->ufrag_of.erase(u);
    }
  }
  d->post([d, id] {
    auto i = d->peers.find(id);
    if (i == d->peers.end() || i->second.pipe)
      return;  // pipes are shared by classrooms and live as long as the worker
    i->second.read_meter();
    d->ice.remove_session(i->second.ice);
    d->by_ice.erase(i->second.ice);
    d->peers.erase(i);
    d->fwd.remove_peer(id);
  });
}

media_worker::pipe_endpoint media_worker::pipe_self() const {
  return {impl_->cfg.bind_address, impl_->bound_port, impl_->nonce, impl_->key_id};
}

std::optional<media_worker::peer_id> media_worker::pipe_peer(const pipe_endpoint& remote) {
  auto* d = impl_.get();
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(remote.port);
  if (d->cfg.pipe_secret.empty() || remote.port == 0 || remote.nonce.empty()
      || remote.key_id != d->key_id || inet_pton(AF_INET, remote.address.c_str(), &a.sin_addr) != 1)
    return std::nullopt;
  auto name = remote.address + ":" + std::to_string(remote.port);
  peer_id id = 0;
  {
    std::lock_guard<std::mutex> guard(d->ufrags_mtx);
    auto& slot = d->pipe_ids[name];
    if (slot.first != 0 && slot.second == remote.nonce)
      return slot.first;
    if (slot.first == 0)
      slot.first = d->next_peer++;
    slot.second = remote.nonce;
    id = slot.first;
  }
  auto self = pipe_self();
  auto send_key = pipe_key(d->cfg.pipe_secret, self, remote);
  auto recv_key = pipe_key(d->cfg.pipe_secret, remote, self);
  d->post([d, id, a, send_key, recv_key] {
    auto in = transport::srtp_session::create(pipe_profile, recv_key,
                                              transport::srtp_session::direction::inbound);
    auto outs = transport::srtp_session::create(pipe_profile, send_key,
                                                transport::srtp_session::direction::outbound);
    if (!in || !outs)
      return;
    auto& p = d->peers[id];
    p.pipe = true;
    std::memcpy(&p.pipe_to, &a, sizeof(a));
    // A re-keyed pipe (the remote restarted) starts SRTP afresh.
    p.srtp_in = std::move(*in);
    p.srtp_out = std::move(*outs);
    p.st.ice_connected = true;
    d->pipes[*v4_of(p.pipe_to)] = id;
  });
  return id;
}

media_worker::track_id media_worker::add_track(track_params params) {
  auto* d = impl_.get();
  auto id = d->next_track++;
  d->post([d, id, params = std::move(params)]() mutable { d->fwd.add_track(id, std::move(params)); });
  return id;
}

void media_worker::remove_track(track_id track) {
  auto* d = impl_.get();
  d->post([d, track] { d->fwd.remove_track(track); });
}

void media_worker::add_route(track_id track, peer_id subscriber, uint32_t out_ssrc, int layer) {
  auto* d = impl_.get();
  d->post([=] { d->fwd.add_route(track, subscriber, out_ssrc, layer); });
}

void media_worker::set_layer(track_id track, peer_id subscriber, int layer) {
  auto* d = impl_.get();
  d->post([=] { d->fwd.set_layer(track, subscriber, layer); });
}

void media_worker::remove_route(track_id track, peer_id subscriber) {
  auto* d = impl_.get();
  d->post([=] { d->fwd.remove_route(track, subscriber); });
}

std::optional<int> media_worker::current_layer(track_id track, peer_id subscriber) {
  auto* d = impl_.get();
  return d->call<int>([=] { return d->fwd.current_layer(track, subscriber); });
}

void media_worker::send_data(peer_id peer, std::string label, bool binary, std::string data) {
  auto* d = impl_.get();
  d->post([d, peer, label = std::move(label), binary, data = std::move(data)] {
    auto p = d->peers.find(peer);
    if (p == d->peers.end() || !p->second.data)
      return;
    auto* c = p->second.data->channel(label);
    if (!c)
      return;
    (void) p->second.data->send(c->stream, binary, reinterpret_cast<const uint8_t*>(data.data()),
                                data.size());
    impl::flush_sctp(p->second);
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
  auto fut = stats_async();
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return worker_stats{};
  return fut.get();
}

std::future<media_worker::worker_stats> media_worker::stats_async() {
  auto* d = impl_.get();
  return d->call_async<worker_stats>([d] {
    auto s = d->wst;
    static_cast<forwarder::counters&>(s) = d->fwd.stats();
    s.pipes = d->pipes.size();
    return s;
  });
}

} // namespace lamplight::media
