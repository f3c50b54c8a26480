// lamplight-bench fanout: one publisher, N subscribers, one media worker.
// Every subscriber leg is a real ICE + DTLS + SRTP session on loopback; the
// publisher sends SRTP at a fixed rate, the worker decrypts each packet once
// and re-encrypts it per subscriber. Reported: forwarded packets per second,
// per CPU-second of the worker thread (packets/s per core), latency added
// per packet (p50/p99, measured on one subscriber), losses; and beside it,
// in the same run, the raw baseline: recvmmsg + one SRTP protect + sendmmsg
// per output packet with no routing.
#include "bench/media/fanout.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/media_worker.hpp"
#include "media/rtp_packet.hpp"
#include "transport/rtc_peer.hpp"

namespace lamplight::bench {

namespace {

using clock_type = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

/// CPU seconds of this process's thread named `name` (/proc/self/task).
double thread_cpu_seconds(const char* name) {
  double total = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (auto* e = readdir(d)) {
      if (e->d_name[0] == '.')
        continue;
      std::string base = std::string("/proc/self/task/") + e->d_name;
      std::ifstream comm(base + "/comm");
      std::string c;
      std::getline(comm, c);
      if (c != name)
        continue;
      std::ifstream stat(base + "/stat");
      std::string line;
      std::getline(stat, line);
      auto close = line.rfind(')');
      std::vector<std::string> f;
      std::string tok;
      for (std::size_t i = close + 2; i <= line.size(); ++i) {
        if (i == line.size() || line[i] == ' ') {
          f.push_back(tok);
          tok.clear();
        } else {
          tok += line[i];
        }
      }
      // utime and stime are fields 14 and 15 of stat; f starts at field 3.
      total += (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    closedir(d);
  }
  return total;
}

std::vector<uint8_t> rtp(uint16_t seq, uint32_t ssrc, std::size_t size) {
  std::vector<uint8_t> p(size, 0);
  p[0] = 0x80;
  p[1] = 96;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[8] = static_cast<uint8_t>(ssrc >> 24);
  p[9] = static_cast<uint8_t>(ssrc >> 16);
  p[10] = static_cast<uint8_t>(ssrc >> 8);
  p[11] = static_cast<uint8_t>(ssrc);
  auto t = now_ns();
  std::memcpy(p.data() + 12, &t, sizeof(t));  // when it left the publisher
  return p;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct run_result {
  double seconds = 0;
  uint64_t received = 0;
  double cpu = 0;
};

/// Counts datagrams on all subscriber sockets until `stop`; decrypts the
/// first subscriber's packets to measure latency.
void receive(std::vector<std::unique_ptr<transport::rtc_peer>>& subs, std::atomic<bool>& stop,
             std::atomic<uint64_t>& received, std::vector<double>& latency_us) {
  int ep = epoll_create1(0);
  for (std::size_t i = 0; i < subs.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, subs[i]->fd(), &ev);
  }
  std::vector<epoll_event> events(256);
  constexpr int batch = 64;
  std::vector<std::array<uint8_t, 1500>> bufs(batch);
  std::vector<iovec> iov(batch);
  std::vector<mmsghdr> msgs(batch);
  while (!stop) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    for (int k = 0; k < n; ++k) {
      auto idx = events[static_cast<std::size_t>(k)].data.u64;
      for (int i = 0; i < batch; ++i) {
        iov[static_cast<std::size_t>(i)] = {bufs[static_cast<std::size_t>(i)].data(), 1500};
        msgs[static_cast<std::size_t>(i)].msg_hdr = {};
        msgs[static_cast<std::size_t>(i)].msg_hdr.msg_iov = &iov[static_cast<std::size_t>(i)];
        msgs[static_cast<std::size_t>(i)].msg_hdr.msg_iovlen = 1;
      }
      int got = recvmmsg(subs[idx]->fd(), msgs.data(), batch, MSG_DONTWAIT, nullptr);
      if (got <= 0)
        continue;
      received += static_cast<uint64_t>(got);
      if (idx != 0)
        continue;
      for (int i = 0; i < got; ++i) {
        auto& b = bufs[static_cast<std::size_t>(i)];
        std::vector<uint8_t> pkt(b.begin(), b.begin() + msgs[static_cast<std::size_t>(i)].msg_len);
        if (pkt.size() > 20 && pkt[1] < 192 && subs[0]->unprotect_rtp(pkt)) {
          int64_t sent = 0;
          std::memcpy(&sent, pkt.data() + 12, sizeof(sent));
          latency_us.push_back(static_cast<double>(now_ns() - sent) / 1000.0);
        }
      }
    }
  }
  close(ep);
}

/// The baseline: what a forwarder costs at the least. One thread receives
/// the publisher's packets with recvmmsg and, per output packet, protects a
/// copy once and sends it with sendmmsg; no routing, no rewriting.
run_result baseline(std::size_t fanout, int packets, std::size_t size, int rate) {
  int in = socket(AF_INET, SOCK_DGRAM, 0), out = socket(AF_INET, SOCK_DGRAM, 0),
      sink = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : {in, sink})
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  sockaddr_in in_addr{}, sink_addr{};
  socklen_t len = sizeof(in_addr);
  getsockname(in, reinterpret_cast<sockaddr*>(&in_addr), &len);
  len = sizeof(sink_addr);
  getsockname(sink, reinterpret_cast<sockaddr*>(&sink_addr), &len);
  int buf = 8 << 20;
  setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  setsockopt(in, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  std::vector<uint8_t> key(28, 7);
  auto srtp = transport::srtp_session::create(transport::srtp_profile::aead_aes_128_gcm, key,
                                              transport::srtp_session::direction::outbound);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> sunk{0};
  std::thread sinker([&] {
    std::vector<char> b(1500);
    while (!stop) {
      pollfd p{sink, POLLIN, 0};
      if (poll(&p, 1, 50) > 0)
        while (recv(sink, b.data(), b.size(), MSG_DONTWAIT) > 0)
          ++sunk;
    }
  });
  std::thread fwd([&] {
    pthread_setname_np(pthread_self(), "ll-baseline");
    std::array<std::array<uint8_t, 1500>, 32> bufs{};
    std::array<iovec, 32> iov{};
    std::array<mmsghdr, 32> msgs{};
    while (!stop) {
      for (std::size_t i = 0; i < 32; ++i) {
        iov[i] = {bufs[i].data(), 1500};
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      pollfd p{in, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0)  // block like the worker does, never spin
        continue;
      int got = recvmmsg(in, msgs.data(), 32, MSG_DONTWAIT, nullptr);
      if (got <= 0)
        continue;
      for (int i = 0; i < got; ++i) {
        std::vector<std::vector<uint8_t>> outs;
        for (std::size_t k = 0; k < fanout; ++k) {
          std::vector<uint8_t> copy(bufs[static_cast<std::size_t>(i)].begin(),
                                    bufs[static_cast<std::size_t>(i)].begin()
                                      + msgs[static_cast<std::size_t>(i)].msg_len);
          copy[3] = static_cast<uint8_t>(k);  // distinct packets, as per subscriber
          (*srtp)->protect_rtp(copy);
          outs.push_back(std::move(copy));
        }
        for (std::size_t k = 0; k < outs.size(); k += 64) {
          auto n = std::min<std::size_t>(64, outs.size() - k);
          std::vector<mmsghdr> om(n);
          std::vector<iovec> oi(n);
          for (std::size_t j = 0; j < n; ++j) {
            oi[j] = {outs[k + j].data(), outs[k + j].size()};
            om[j].msg_hdr = {};
            om[j].msg_hdr.msg_name = &sink_addr;
            om[j].msg_hdr.msg_namelen = sizeof(sink_addr);
            om[j].msg_hdr.msg_iov = &oi[j];
            om[j].msg_hdr.msg_iovlen = 1;
          }
          sendmmsg(out, om.data(), static_cast<unsigned>(n), 0);
        }
        forwarded += fanout;
      }
    }
  });
  auto cpu0 = thread_cpu_seconds("ll-baseline");
  auto t0 = clock_type::now();
  auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
  for (int i = 0; i < packets; ++i) {
    auto p = rtp(static_cast<uint16_t>(i), 1, size);
    sendto(in, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&in_addr), sizeof(in_addr));
    std::this_thread::sleep_until(t0 + interval * (i + 1));  // pacing the source
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // drain
  run_result r;
  r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  r.cpu = thread_cpu_seconds("ll-baseline") - cpu0;
  r.received = forwarded;
  stop = true;
  fwd.join();
  sinker.join();
  for (int fd : {in, out, sink})
    close(fd);
  return r;
}

} // namespace

int run_fanout(int subscribers, int packets, int rate, std::size_t size) {
  media::media_worker worker(media::media_worker::config{});
  transport::rtc_peer publisher;
  std::vector<std::unique_ptr<transport::rtc_peer>> subs;
  auto pub_id = worker.add_peer({publisher.server_ufrag, publisher.server_pwd,
                                 publisher.local_ufrag, publisher.fingerprint(),
                                 transport::dtls_role::server});
  if (!pub_id || !publisher.connect("127.0.0.1", worker.port(), worker.fingerprint())) {
    std::fprintf(stderr, "publisher could not connect\n");
    return 1;
  }
  // Not VP8: the bench's payloads are stamps, and routes start at once.
  auto track = worker.add_track({*pub_id, 90000, false, {{0x1234, ""}}, 0, 0, {}});
  auto t_setup = clock_type::now();
  for (int i = 0; i < subscribers; ++i) {
    auto s = std::make_unique<transport::rtc_peer>();
    int buf = 4 << 20;
    setsockopt(s->fd(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    auto id = worker.add_peer({s->server_ufrag, s->server_pwd, s->local_ufrag, s->fingerprint(),
                               transport::dtls_role::server});
    if (!id || !s->connect("127.0.0.1", worker.port(), worker.fingerprint())) {
      std::fprintf(stderr, "subscriber %d could not connect\n", i);
      return 1;
    }
    worker.add_route(track, *id, 0x5000 + static_cast<uint32_t>(i));
    subs.push_back(std::move(s));
  }
  auto setup_s = std::chrono::duration<double>(clock_type::now() - t_setup).count();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> received{0};
  std::vector<double> latency_us;
  std::thread rx([&] { receive(subs, stop, received, latency_us); });
  auto cpu0 = thread_cpu_seconds("ll-media");
  auto t0 = clock_type::now();
  auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
  for (int i = 0; i < packets; ++i) {
    publisher.send_rtp(rtp(static_cast<uint16_t>(i), 0x1234, size));
    std::this_thread::sleep_until(t0 + interval * (i + 1));  // pacing the source
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // drain
  auto seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto cpu = thread_cpu_seconds("ll-media") - cpu0;
  stop = true;
  rx.join();
  auto expected = static_cast<uint64_t>(packets) * static_cast<uint64_t>(subscribers);
  auto got = received.load();
  auto base = baseline(static_cast<std::size_t>(subscribers), packets, size, rate);
  double sfu_pps_core = cpu > 0 ? static_cast<double>(got) / cpu : 0;
  double base_pps_core = base.cpu > 0 ? static_cast<double>(base.received) / base.cpu : 0;
  std::printf("lamplight-bench fanout: 1 publisher -> %d subscribers, %d packets of %zu B at "
              "%d/s (%.1f s of setup: %d ICE+DTLS handshakes)\n",
              subscribers, packets, size, rate, setup_s, subscribers + 1);
  std::printf("  sfu:      forwarded %llu of %llu (%.3f%% lost), %.0f pkts/s, worker CPU %.2f s "
              "=> %.0f forwarded pkts/s per core\n",
              static_cast<unsigned long long>(got), static_cast<unsigned long long>(expected),
              expected ? 100.0 * static_cast<double>(expected - std::min(got, expected))
                           / static_cast<double>(expected)
                       : 0.0,
              static_cast<double>(got) / seconds, cpu, sfu_pps_core);
  std::printf("  latency added (publisher send -> subscriber 0 decrypted, %zu samples): "
              "p50 %.0f us, p99 %.0f us\n",
              latency_us.size(), pct(latency_us, 0.5), pct(latency_us, 0.99));
  std::printf("  baseline: %llu protected+sent, thread CPU %.2f s => %.0f pkts/s per core\n",
              static_cast<unsigned long long>(base.received), base.cpu, base_pps_core);
  std::printf("  ratio sfu/baseline (pkts/s per core): %.2f\n",
              base_pps_core > 0 ? sfu_pps_core / base_pps_core : 0.0);
  return got == 0 ? 1 : 0;
}

} // namespace lamplight::bench
