#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>

namespace lamplight::transport {

/// A STUN message (RFC 8489; ICE attributes from RFC 8445), as much of it as
/// an ICE-lite responder and a connectivity checker need. Parsing never reads
/// past the datagram and refuses anything malformed; the integrity checks
/// (MESSAGE-INTEGRITY, FINGERPRINT) are verified against the original bytes.
class stun_message {
public:
  enum class method_class : uint8_t { request, indication, success, error };
  static constexpr uint16_t binding = 0x001;
  static constexpr uint32_t magic_cookie = 0x2112A442;

  /// Attribute types (RFC 8489 section 18.3, RFC 8445 section 16.1).
  enum attr : uint16_t {
    mapped_address = 0x0001,
    username = 0x0006,
    message_integrity = 0x0008,
    error_code = 0x0009,
    unknown_attributes = 0x000A,
    xor_mapped_address = 0x0020,
    priority = 0x0024,
    use_candidate = 0x0025,
    software = 0x8022,
    fingerprint = 0x8028,
    ice_controlled = 0x8029,
    ice_controlling = 0x802A,
  };

  /// Whether `data` looks like STUN at all (RFC 7983 demux: first byte 0..3,
  /// magic cookie in place, length a multiple of 4 that fits).
  static bool is_stun(const uint8_t* data, std::size_t size);

  /// Parses a datagram; nullopt if malformed.
  static std::optional<stun_message> parse(const uint8_t* data, std::size_t size);

  stun_message() = default;
  stun_message(method_class cls, uint16_t method, std::array<uint8_t, 12> transaction_id);

  method_class cls() const { return cls_; }
  uint16_t method() const { return method_; }
  const std::array<uint8_t, 12>& transaction_id() const { return transaction_id_; }

  // -- reading ------------------------------------------------------------------
  bool has(uint16_t type) const;
  std::optional<std::string> get_username() const;
  std::optional<uint32_t> get_priority() const;
  std::optional<uint64_t> get_tie_breaker(uint16_t type) const;  // ICE-CONTROLL(ED|ING)
  std::optional<sockaddr_storage> get_xor_mapped_address() const;
  std::optional<uint16_t> get_error_code() const;

  /// MESSAGE-INTEGRITY matches HMAC-SHA1 keyed with `key` (the ICE password).
  bool check_integrity(std::string_view key) const;
  /// FINGERPRINT is present and matches.
  bool check_fingerprint() const;

  // -- writing ------------------------------------------------------------------
  void add_username(std::string_view u);
  void add_priority(uint32_t p);
  void add_flag(uint16_t type);  // USE-CANDIDATE
  void add_tie_breaker(uint16_t type, uint64_t value);
  void add_xor_mapped_address(const sockaddr_storage& addr);
  void add_error_code(uint16_t code, std::string_view reason);
  void add_software(std::string_view s);

  /// Serializes, appending MESSAGE-INTEGRITY (if `integrity_key` is given)
  /// and FINGERPRINT (if `fingerprint`) last, in that order.
  std::vector<uint8_t> serialize(std::optional<std::string_view> integrity_key,
                                 bool fingerprint) const;

private:
  struct attribute {
    uint16_t type;
    std::vector<uint8_t> value;
  };
  const attribute* find(uint16_t type) const;
  void add(uint16_t type, std::vector<uint8_t> value);

  method_class cls_ = method_class::request;
  uint16_t method_ = binding;
  std::array<uint8_t, 12> transaction_id_{};
  std::vector<attribute> attrs_;
  // For verification: the raw message and where integrity/fingerprint sit.
  std::vector<uint8_t> raw_;
  std::size_t integrity_offset_ = 0;    // 0: none
  std::size_t fingerprint_offset_ = 0;  // 0: none
};

const char* to_string(stun_message::method_class x);

/// CRC-32 (ISO-HDLC), as FINGERPRINT needs.
uint32_t crc32(const uint8_t* data, std::size_t size);

} // namespace lamplight::transport
