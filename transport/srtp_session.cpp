#include "transport/srtp_session.hpp"

#include <mutex>

#include <srtp2/srtp.h>

namespace lamplight::transport {

namespace {

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { srtp_init(); });
}

/// libsrtp's worst-case growth of one packet.
constexpr std::size_t headroom = SRTP_MAX_TRAILER_LEN + 4;

} // namespace

const char* to_string(srtp_profile x) {
  switch (x) {
    case srtp_profile::aead_aes_128_gcm: return "SRTP_AEAD_AES_128_GCM";
    case srtp_profile::aes128_cm_sha1_80: return "SRTP_AES128_CM_SHA1_80";
  }
  return "unknown";
}

std::size_t srtp_key_length(srtp_profile) {
  return 16;
}

std::size_t srtp_salt_length(srtp_profile p) {
  return p == srtp_profile::aead_aes_128_gcm ? 12 : 14;
}

struct srtp_session::state {
  srtp_t session = nullptr;
};

protocol::result<std::unique_ptr<srtp_session>>
srtp_session::create(srtp_profile profile, const std::vector<uint8_t>& key_salt, direction dir) {
  init_once();
  if (key_salt.size() != srtp_key_length(profile) + srtp_salt_length(profile))
    return protocol::error{protocol::errc::bad_request, "SRTP key and salt have the wrong size"};
  srtp_policy_t policy{};
  if (profile == srtp_profile::aead_aes_128_gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = dir == direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
  std::vector<uint8_t> key = key_salt;  // libsrtp wants a mutable pointer
  policy.key = key.data();
  policy.window_size = 1024;
  policy.allow_repeat_tx = dir == direction::outbound ? 1 : 0;
  policy.next = nullptr;
  std::unique_ptr<srtp_session> out(new srtp_session);
  out->st_ = std::make_unique<state>();
  if (auto err = srtp_create(&out->st_->session, &policy); err != srtp_err_status_ok)
    return protocol::error{protocol::errc::internal,
                           "srtp_create failed: " + std::to_string(static_cast<int>(err))};
  return out;
}

srtp_session::~srtp_session() {
  if (st_ && st_->session)
    srtp_dealloc(st_->session);
}

namespace {

template <class F>
bool run(std::vector<uint8_t>& packet, bool grows, F f) {
  if (packet.size() < 8 || packet.size() > 65536)  // an RTCP header is 8 bytes
    return false;
  auto size = packet.size();
  if (grows)
    packet.resize(size + headroom);
  int len = static_cast<int>(size);
  auto err = f(packet.data(), &len);
  if (err != srtp_err_status_ok || len < 0) {
    packet.resize(size);
    return false;
  }
  packet.resize(static_cast<std::size_t>(len));
  return true;
}

} // namespace

bool srtp_session::protect_rtp(std::vector<uint8_t>& packet) {
  return run(packet, true, [&](uint8_t* d, int* n) { return srtp_protect(st_->session, d, n); });
}

bool srtp_session::unprotect_rtp(std::vector<uint8_t>& packet) {
  return run(packet, false,
             [&](uint8_t* d, int* n) { return srtp_unprotect(st_->session, d, n); });
}

bool srtp_session::protect_rtcp(std::vector<uint8_t>& packet) {
  return run(packet, true,
             [&](uint8_t* d, int* n) { return srtp_protect_rtcp(st_->session, d, n); });
}

bool srtp_session::unprotect_rtcp(std::vector<uint8_t>& packet) {
  return run(packet, false,
             [&](uint8_t* d, int* n) { return srtp_unprotect_rtcp(st_->session, d, n); });
}

} // namespace lamplight::transport
