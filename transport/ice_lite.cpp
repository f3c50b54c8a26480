#include "transport/ice_lite.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/rand.h>

#include "transport/stun_message.hpp"

namespace lamplight::transport {

endpoint_key endpoint_key::of(const sockaddr_storage& a) {
  endpoint_key k;
  // Only family, port and address count: copy those, zero the rest, so
  // padding and scope ids never make equal endpoints differ.
  if (a.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    auto* out = reinterpret_cast<sockaddr_in*>(&k.addr);
    out->sin_family = AF_INET;
    out->sin_port = in->sin_port;
    out->sin_addr = in->sin_addr;
  } else if (a.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<const sockaddr_in6*>(&a);
    auto* out = reinterpret_cast<sockaddr_in6*>(&k.addr);
    out->sin6_family = AF_INET6;
    out->sin6_port = in->sin6_port;
    out->sin6_addr = in->sin6_addr;
  }
  return k;
}

bool operator<(const endpoint_key& a, const endpoint_key& b) {
  return std::memcmp(&a.addr, &b.addr, sizeof(sockaddr_storage)) < 0;
}

bool operator==(const endpoint_key& a, const endpoint_key& b) {
  return std::memcmp(&a.addr, &b.addr, sizeof(sockaddr_storage)) == 0;
}

std::string random_ice_string(std::size_t length) {
  static constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> raw(length);
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  std::string out;
  for (auto b : raw)
    out += alphabet[b & 63];
  return out;
}

std::optional<ice_lite::session_id> ice_lite::add_session(std::string local_ufrag,
                                                          std::string local_pwd,
                                                          std::string remote_ufrag) {
  if (local_ufrag.empty() || local_pwd.empty() || by_ufrag_.count(local_ufrag))
    return std::nullopt;
  auto id = next_id_++;
  by_ufrag_[local_ufrag] = id;
  sessions_[id] = session{std::move(local_ufrag), std::move(local_pwd), std::move(remote_ufrag),
                          {}, std::nullopt, 0};
  return id;
}

void ice_lite::remove_session(session_id id) {
  auto i = sessions_.find(id);
  if (i == sessions_.end())
    return;
  for (auto& t : i->second.tuples)
    by_tuple_.erase(t);
  by_ufrag_.erase(i->second.local_ufrag);
  sessions_.erase(i);
}

ice_lite::verdict ice_lite::on_stun(const uint8_t* data, std::size_t size,
                                    const sockaddr_storage& from, int64_t now_ms) {
  verdict v;
  auto msg = stun_message::parse(data, size);
  if (!msg || msg->cls() != stun_message::method_class::request
      || msg->method() != stun_message::binding) {
    // Indications (keepalives) and responses need no answer from a lite agent.
    ++stats_.malformed;
    v.drop_reason = "not a Binding request";
    return v;
  }
  if (msg->has(stun_message::fingerprint) && !msg->check_fingerprint()) {
    ++stats_.malformed;
    v.drop_reason = "bad fingerprint";
    return v;
  }
  auto user = msg->get_username();
  if (!user) {
    ++stats_.malformed;
    v.drop_reason = "no USERNAME";
    return v;
  }
  // USERNAME is "<our ufrag>:<their ufrag>" (RFC 8445 section 7.2.2).
  auto colon = user->find(':');
  auto ours = user->substr(0, colon);
  auto it = by_ufrag_.find(ours);
  if (it == by_ufrag_.end()) {
    ++stats_.unknown_ufrag;
    v.drop_reason = "unknown ufrag";
    return v;
  }
  auto& s = sessions_[it->second];
  if (!msg->check_integrity(s.local_pwd)) {
    // RFC 8489 section 9.1.3 allows a 401, but an attacker learns less from
    // silence, and a real peer retransmits.
    ++stats_.bad_integrity;
    v.drop_reason = "bad MESSAGE-INTEGRITY";
    return v;
  }
  if (colon != std::string::npos && !s.remote_ufrag.empty()
      && user->substr(colon + 1) != s.remote_ufrag) {
    ++stats_.unknown_ufrag;
    v.drop_reason = "remote ufrag does not match";
    return v;
  }
  v.session = it->second;
  if (msg->has(stun_message::ice_controlled)) {
    // A lite agent is always controlled: a controlled peer is a role
    // conflict (RFC 8445 section 7.3.1.1), answered with 487.
    ++stats_.role_conflict;
    stun_message err(stun_message::method_class::error, stun_message::binding,
                     msg->transaction_id());
    err.add_error_code(487, "Role Conflict");
    v.response = err.serialize(std::string_view(s.local_pwd), true);
    return v;
  }
  auto key = endpoint_key::of(from);
  if (std::find(s.tuples.begin(), s.tuples.end(), key) == s.tuples.end()) {
    // A tuple belongs to one session: a peer that moved takes it over.
    if (auto old = by_tuple_.find(key); old != by_tuple_.end() && old->second != it->second) {
      auto& prev = sessions_[old->second];
      prev.tuples.erase(std::remove(prev.tuples.begin(), prev.tuples.end(), key),
                        prev.tuples.end());
      if (prev.nominated == key)
        prev.nominated.reset();
    }
    s.tuples.push_back(key);
    by_tuple_[key] = it->second;
  }
  s.last_check_ms = now_ms;
  if (msg->has(stun_message::use_candidate)) {
    s.nominated = key;
    v.nominated = true;
  }
  stun_message ok(stun_message::method_class::success, stun_message::binding,
                  msg->transaction_id());
  ok.add_xor_mapped_address(from);
  if (!cfg_.software.empty())
    ok.add_software(cfg_.software);
  v.response = ok.serialize(std::string_view(s.local_pwd), true);
  ++stats_.answered;
  return v;
}

std::optional<ice_lite::session_id> ice_lite::route(const sockaddr_storage& from) const {
  auto i = by_tuple_.find(endpoint_key::of(from));
  if (i == by_tuple_.end())
    return std::nullopt;
  return i->second;
}

std::optional<sockaddr_storage> ice_lite::selected(session_id id) const {
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.tuples.empty())
    return std::nullopt;
  if (i->second.nominated)
    return i->second.nominated->addr;
  return i->second.tuples.back().addr;
}

std::vector<ice_lite::session_id> ice_lite::expire(int64_t now_ms) {
  std::vector<session_id> out;
  for (auto& [id, s] : sessions_) {
    if (s.tuples.empty() || now_ms - s.last_check_ms < cfg_.consent_timeout_ms)
      continue;
    for (auto& t : s.tuples)
      by_tuple_.erase(t);
    s.tuples.clear();
    s.nominated.reset();
    out.push_back(id);
    ++stats_.expired_sessions;
  }
  return out;
}

} // namespace lamplight::transport
