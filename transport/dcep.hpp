#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lamplight::transport {

/// The Data Channel Establishment Protocol (RFC 8832), carried on SCTP
/// with PPID 50 on the stream of the channel it opens.

/// RFC 8832 section 8.2.2: channel types (0x80 set: unordered).
enum class dcep_channel_type : uint8_t {
  reliable = 0x00,
  reliable_unordered = 0x80,
  partial_reliable_rexmit = 0x01,
  partial_reliable_rexmit_unordered = 0x81,
  partial_reliable_timed = 0x02,
  partial_reliable_timed_unordered = 0x82,
};
const char* to_string(dcep_channel_type x);

/// DATA_CHANNEL_OPEN (section 5.1).
struct dcep_open {
  dcep_channel_type channel_type = dcep_channel_type::reliable;
  uint16_t priority = 256;
  uint32_t reliability = 0;  // retransmissions or lifetime in ms, per the type
  std::string label;
  std::string protocol;

  bool ordered() const { return (static_cast<uint8_t>(channel_type) & 0x80) == 0; }
};

/// DATA_CHANNEL_ACK (section 5.2).
struct dcep_ack {};

using dcep_message = std::variant<dcep_open, dcep_ack>;

/// nullopt for an unknown message type, an unknown channel type, or
/// lengths that do not match the bytes.
std::optional<dcep_message> parse_dcep(const uint8_t* data, std::size_t size);

std::vector<uint8_t> write_dcep(const dcep_open& m);
std::vector<uint8_t> write_dcep(const dcep_ack& m);

/// RFC 8831 section 8: SCTP payload protocol identifiers of WebRTC.
namespace ppid {
inline constexpr uint32_t dcep = 50;
inline constexpr uint32_t string = 51;
inline constexpr uint32_t binary = 53;
inline constexpr uint32_t string_empty = 56;
inline constexpr uint32_t binary_empty = 57;
} // namespace ppid

} // namespace lamplight::transport
