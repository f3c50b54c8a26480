#include "transport/stun_message.hpp"

#include "transport/byte_order.hpp"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace lamplight::transport {

namespace {

constexpr std::size_t header_size = 20;
constexpr uint32_t fingerprint_xor = 0x5354554e;

// RFC 8489 section 5: the class bits C0/C1 sit between the method bits.
uint16_t encode_type(stun_message::method_class cls, uint16_t method) {
  auto c = static_cast<uint16_t>(cls);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
}

std::array<uint8_t, 20> hmac_sha1(std::string_view key, const uint8_t* data, std::size_t n) {
  std::array<uint8_t, 20> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data, n, mac.data(), &len);
  return mac;
}

} // namespace

uint32_t crc32(const uint8_t* data, std::size_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i)
    crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

const char* to_string(stun_message::method_class x) {
  switch (x) {
  case stun_message::method_class::request:
    return "request";
  case stun_message::method_class::indication:
    return "indication";
  case stun_message::method_class::success:
    return "success";
  case stun_message::method_class::error:
    return "error";
  }
  return "unknown";
}

stun_message::stun_message(method_class cls, uint16_t method,
                           std::array<uint8_t, 12> transaction_id)
    : cls_(cls), method_(method), transaction_id_(transaction_id) {}

bool stun_message::is_stun(const uint8_t* data, std::size_t size) {
  if (size < header_size || data[0] > 3)
    return false;
  auto len = get16(data + 2);
  return len % 4 == 0 && header_size + len == size && get32(data + 4) == magic_cookie;
}

std::optional<stun_message> stun_message::parse(const uint8_t* data, std::size_t size) {
  if (!is_stun(data, size))
    return std::nullopt;
  auto type = get16(data);
  stun_message m;
  m.method_ =
      static_cast<uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  m.cls_ = static_cast<method_class>(((type >> 4) & 1) | ((type >> 7) & 2));
  std::memcpy(m.transaction_id_.data(), data + 8, 12);
  m.raw_.assign(data, data + size);
  std::size_t pos = header_size;
  while (pos < size) {
    if (size - pos < 4)
      return std::nullopt;
    auto at = get16(data + pos);
    auto len = get16(data + pos + 2);
    auto padded = (static_cast<std::size_t>(len) + 3) & ~std::size_t{3};
    if (size - pos - 4 < padded)
      return std::nullopt;
    if (m.fingerprint_offset_ != 0)
      return std::nullopt; // nothing may follow FINGERPRINT
    if (at == fingerprint) {
      if (len != 4)
        return std::nullopt;
      m.fingerprint_offset_ = pos;
    } else if (m.integrity_offset_ != 0) {
      // Attributes after MESSAGE-INTEGRITY are ignored (RFC 8489 14.5).
    } else if (at == message_integrity) {
      if (len != 20)
        return std::nullopt;
      m.integrity_offset_ = pos;
    } else {
      m.attrs_.push_back({at, std::vector<uint8_t>(data + pos + 4, data + pos + 4 + len)});
    }
    pos += 4 + padded;
  }
  return m;
}

const stun_message::attribute* stun_message::find(uint16_t type) const {
  for (const auto& a : attrs_)
    if (a.type == type)
      return &a;
  return nullptr;
}

bool stun_message::has(uint16_t type) const {
  if (type == message_integrity)
    return integrity_offset_ != 0;
  if (type == fingerprint)
    return fingerprint_offset_ != 0;
  return find(type) != nullptr;
}

std::optional<std::string> stun_message::get_username() const {
  auto* a = find(username);
  if (!a || a->value.size() > 513)
    return std::nullopt;
  return std::string(a->value.begin(), a->value.end());
}

std::optional<uint32_t> stun_message::get_priority() const {
  auto* a = find(priority);
  if (!a || a->value.size() != 4)
    return std::nullopt;
  return get32(a->value.data());
}

std::optional<uint64_t> stun_message::get_tie_breaker(uint16_t type) const {
  auto* a = find(type);
  if (!a || a->value.size() != 8)
    return std::nullopt;
  return uint64_t(get32(a->value.data())) << 32 | get32(a->value.data() + 4);
}

std::optional<uint16_t> stun_message::get_error_code() const {
  auto* a = find(error_code);
  if (!a || a->value.size() < 4)
    return std::nullopt;
  return static_cast<uint16_t>((a->value[2] & 0x7) * 100 + a->value[3]);
}

std::optional<sockaddr_storage> stun_message::get_xor_mapped_address() const {
  auto* a = find(xor_mapped_address);
  if (!a || a->value.size() < 8)
    return std::nullopt;
  const auto& v = a->value;
  sockaddr_storage out{};
  uint16_t port = get16(v.data() + 2) ^ static_cast<uint16_t>(magic_cookie >> 16);
  if (v[1] == 0x01 && v.size() == 8) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    uint32_t addr = get32(v.data() + 4) ^ magic_cookie;
    sin->sin_addr.s_addr = htonl(addr);
    return out;
  }
  if (v[1] == 0x02 && v.size() == 20) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    uint8_t mask[16];
    for (int i = 0; i < 4; ++i)
      mask[i] = static_cast<uint8_t>(magic_cookie >> (24 - 8 * i));
    std::memcpy(mask + 4, transaction_id_.data(), 12);
    for (int i = 0; i < 16; ++i)
      sin6->sin6_addr.s6_addr[i] = v[4 + static_cast<std::size_t>(i)] ^ mask[i];
    return out;
  }
  return std::nullopt;
}

bool stun_message::check_integrity(std::string_view key) const {
  if (integrity_offset_ == 0)
    return false;
  // HMAC over everything before the attribute, with the header length
  // covering up to the end of MESSAGE-INTEGRITY.
  std::vector<uint8_t> copy(raw_.begin(), raw_.begin() + static_cast<long>(integrity_offset_));
  set16(copy.data() + 2, static_cast<uint16_t>(integrity_offset_ + 24 - header_size));
  auto mac = hmac_sha1(key, copy.data(), copy.size());
  return CRYPTO_memcmp(mac.data(), raw_.data() + integrity_offset_ + 4, mac.size()) == 0;
}

bool stun_message::check_fingerprint() const {
  if (fingerprint_offset_ == 0)
    return false;
  auto crc = crc32(raw_.data(), fingerprint_offset_) ^ fingerprint_xor;
  return crc == get32(raw_.data() + fingerprint_offset_ + 4);
}

void stun_message::add(uint16_t type, std::vector<uint8_t> value) {
  attrs_.push_back({type, std::move(value)});
}

void stun_message::add_username(std::string_view u) {
  add(username, std::vector<uint8_t>(u.begin(), u.end()));
}

void stun_message::add_priority(uint32_t p) {
  std::vector<uint8_t> v;
  put32(v, p);
  add(priority, std::move(v));
}

void stun_message::add_flag(uint16_t type) {
  add(type, {});
}

void stun_message::add_tie_breaker(uint16_t type, uint64_t value) {
  std::vector<uint8_t> v;
  put32(v, static_cast<uint32_t>(value >> 32));
  put32(v, static_cast<uint32_t>(value));
  add(type, std::move(v));
}

void stun_message::add_xor_mapped_address(const sockaddr_storage& addr) {
  std::vector<uint8_t> v{0};
  if (addr.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    v.push_back(0x01);
    put16(v, ntohs(sin->sin_port) ^ static_cast<uint16_t>(magic_cookie >> 16));
    put32(v, ntohl(sin->sin_addr.s_addr) ^ magic_cookie);
  } else {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    v.push_back(0x02);
    put16(v, ntohs(sin6->sin6_port) ^ static_cast<uint16_t>(magic_cookie >> 16));
    uint8_t mask[16];
    for (int i = 0; i < 4; ++i)
      mask[i] = static_cast<uint8_t>(magic_cookie >> (24 - 8 * i));
    std::memcpy(mask + 4, transaction_id_.data(), 12);
    for (int i = 0; i < 16; ++i)
      v.push_back(sin6->sin6_addr.s6_addr[i] ^ mask[i]);
  }
  add(xor_mapped_address, std::move(v));
}

void stun_message::add_error_code(uint16_t code, std::string_view reason) {
  std::vector<uint8_t> v{0, 0, static_cast<uint8_t>(code / 100), static_cast<uint8_t>(code % 100)};
  v.insert(v.end(), reason.begin(), reason.end());
  add(error_code, std::move(v));
}

void stun_message::add_software(std::string_view s) {
  add(software, std::vector<uint8_t>(s.begin(), s.end()));
}

std::vector<uint8_t> stun_message::serialize(std::optional<std::string_view> integrity_key,
                                             bool with_fingerprint) const {
  std::vector<uint8_t> out;
  put16(out, encode_type(cls_, method_));
  put16(out, 0);
  put32(out, magic_cookie);
  out.insert(out.end(), transaction_id_.begin(), transaction_id_.end());
  for (const auto& a : attrs_) {
    put16(out, a.type);
    put16(out, static_cast<uint16_t>(a.value.size()));
    out.insert(out.end(), a.value.begin(), a.value.end());
    while (out.size() % 4 != 0)
      out.push_back(0);
  }
  if (integrity_key) {
    set16(out.data() + 2, static_cast<uint16_t>(out.size() + 24 - header_size));
    auto mac = hmac_sha1(*integrity_key, out.data(), out.size());
    put16(out, message_integrity);
    put16(out, 20);
    out.insert(out.end(), mac.begin(), mac.end());
  }
  if (with_fingerprint) {
    set16(out.data() + 2, static_cast<uint16_t>(out.size() + 8 - header_size));
    auto crc = crc32(out.data(), out.size()) ^ fingerprint_xor;
    put16(out, fingerprint);
    put16(out, 4);
    put32(out, crc);
  }
  set16(out.data() + 2, static_cast<uint16_t>(out.size() - header_size));
  return out;
}

} // namespace lamplight::transport
