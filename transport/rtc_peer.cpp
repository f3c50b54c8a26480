#include "transport/rtc_peer.hpp"

#include <array>

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/ice_lite.hpp"
#include "transport/stun_message.hpp"

namespace lamplight::transport {

rtc_peer::rtc_peer(ice_mode mode, const std::string& local_ip)
  : local_ufrag(random_ice_string(4)),
    local_pwd(random_ice_string(22)),
    server_ufrag(random_ice_string(4)),
    server_pwd(random_ice_string(22)),
    cert_(dtls_certificate::generate()) {
  RAND_bytes(reinterpret_cast<unsigned char*>(&tie_breaker_), sizeof(tie_breaker_));
  if (mode == ice_mode::libnice) {
    nice_ = nice_agent::create(local_ip);
    if (nice_) {
      local_ufrag = nice_->ufrag();
      local_pwd = nice_->pwd();
    }
    return;
  }
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  // A video key frame arrives as a burst of packets; when many lamps share
  // a machine (tests, the bench) their threads may be late to read it.
  int buf = 1 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, local_ip.c_str(), &a.sin_addr) != 1)
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
}

rtc_peer::~rtc_peer() {
  if (fd_ >= 0)
    ::close(fd_);
}

int rtc_peer::fd() const {
  return nice_ ? nice_->fd() : fd_;
}

const std::string& rtc_peer::fingerprint() const {
  return cert_->fingerprint();
}

void rtc_peer::aim(const std::string& ip, uint16_t port) {
  server_.sin_family = AF_INET;
  server_.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &server_.sin_addr);
}

void rtc_peer::send_raw(const uint8_t* data, std::size_t size) {
  if (nice_)
    return nice_->send(data, size);
  ::sendto(fd_, data, size, 0, reinterpret_cast<sockaddr*>(&server_), sizeof(server_));
}

std::optional<std::vector<uint8_t>> rtc_peer::recv(std::chrono::milliseconds timeout) {
  if (nice_)
    return nice_->recv(timeout);
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return std::nullopt;
  std::vector<uint8_t> buf(2048);
  auto n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n <= 0)
    return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::vector<uint8_t> rtc_peer::binding_request(const std::array<uint8_t, 12>& tid) const {
  stun_message req(stun_message::method_class::request, stun_message::binding, tid);
  req.add_username(server_ufrag + ":" + local_ufrag);
  req.add_priority(2130706431);
  req.add_tie_breaker(stun_message::ice_controlling, tie_breaker_);
  req.add_flag(stun_message::use_candidate);
  return req.serialize(std::string_view(server_pwd), true);
}

void rtc_peer::send_consent_check() {
  if (nice_)
    return;  // libnice's keepalives are the checks
  std::array<uint8_t, 12> tid{};
  RAND_bytes(tid.data(), static_cast<int>(tid.size()));
  auto bytes = binding_request(tid);
  send_raw(bytes.data(), bytes.size());
}

bool rtc_peer::lite_check(const std::function<std::chrono::milliseconds()>& left) {
  std::array<uint8_t, 12> tid{};
  RAND_bytes(tid.data(), static_cast<int>(tid.size()));
  auto bytes = binding_request(tid);
  // Retransmit the check every 200 ms until answered (RFC 8445 pacing is
  // for many pairs; here there is one).
  bool checked = false;
  while (!checked && left().count() > 0) {
    send_raw(bytes.data(), bytes.size());
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < until) {
      auto d = recv(std::chrono::milliseconds(50));
      if (!d)
        continue;
      auto m = stun_message::parse(d->data(), d->size());
      if (m && m->cls() == stun_message::method_class::success && m->transaction_id() == tid
          && m->check_integrity(server_pwd)) {
        checked = true;
        break;
      }
    }
  }
  return checked;
}

bool rtc_peer::connect(const std::string& ip, uint16_t port,
                       const std::string& server_fingerprint,
                       std::chrono::milliseconds timeout, dtls_role role) {
  aim(ip, port);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  };
  bool checked = nice_ ? nice_->connect(server_ufrag, server_pwd, ip, port, timeout)
                       : lite_check(left);
  if (!checked)
    return false;
  dtls_ = std::make_unique<dtls_session>(cert_, role, server_fingerprint,
                                         [this](const uint8_t* d, std::size_t n) {
                                           send_raw(d, n);
                                         });
  dtls_->start();
  while (dtls_->state() == dtls_state::connecting && left().count() > 0) {
    if (auto d = recv(std::chrono::milliseconds(100)))
      dtls_->on_datagram(d->data(), d->size());
    else
      dtls_->on_timeout();
  }
  if (dtls_->state() != dtls_state::connected)
    return false;
  const auto& k = *dtls_->keys();
  auto out = srtp_session::create(k.profile, k.local, srtp_session::direction::outbound);
  auto in = srtp_session::create(k.profile, k.remote, srtp_session::direction::inbound);
  if (!out || !in)
    return false;
  out_ = std::move(*out);
  in_ = std::move(*in);
  return true;
}

bool rtc_peer::send_rtp(std::vector<uint8_t> packet) {
  if (!out_ || !out_->protect_rtp(packet))
    return false;
  send_raw(packet.data(), packet.size());
  return true;
}

bool rtc_peer::send_rtcp(std::vector<uint8_t> packet) {
  if (!out_ || !out_->protect_rtcp(packet))
    return false;
  send_raw(packet.data(), packet.size());
  return true;
}

bool rtc_peer::unprotect_rtp(std::vector<uint8_t>& packet) {
  return in_ && in_->unprotect_rtp(packet);
}

bool rtc_peer::unprotect_rtcp(std::vector<uint8_t>& packet) {
  return in_ && in_->unprotect_rtcp(packet);
}

std::optional<std::vector<uint8_t>> rtc_peer::recv_rtp(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (in_ && std::chrono::steady_clock::now() < deadline) {
    auto d = recv(std::chrono::milliseconds(100));
    // RTCP packet types are 192..223 in the second byte (RFC 5761).
    if (!d || d->size() < 2 || (*d)[0] < 128 || ((*d)[1] >= 192 && (*d)[1] <= 223))
      continue;
    if (in_->unprotect_rtp(*d))
      return d;
  }
  return std::nullopt;
}

std::optional<std::vector<uint8_t>> rtc_peer::recv_rtcp(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (in_ && std::chrono::steady_clock::now() < deadline) {
    auto d = recv(std::chrono::milliseconds(100));
    if (!d || d->size() < 8 || (*d)[1] < 192 || (*d)[1] > 223)
      continue;
    if (in_->unprotect_rtcp(*d))
      return d;
  }
  return std::nullopt;
}

void rtc_peer::on_dtls(const uint8_t* data, std::size_t size) {
  if (dtls_)
    dtls_->on_datagram(data, size);
}

std::vector<std::vector<uint8_t>> rtc_peer::take_application() {
  return dtls_ ? dtls_->take_application() : std::vector<std::vector<uint8_t>>{};
}

bool rtc_peer::send_application(const uint8_t* data, std::size_t size) {
  return dtls_ && dtls_->send_application(data, size);
}

void rtc_peer::reset_inbound() {
  if (!dtls_ || !dtls_->keys())
    return;
  const auto& k = *dtls_->keys();
  if (auto in = srtp_session::create(k.profile, k.remote, srtp_session::direction::inbound))
    in_ = std::move(*in);
}

} // namespace lamplight::transport
