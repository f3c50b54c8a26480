#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

namespace lamplight::media {

/// RFC 3550 section 6.4.1: one reception report block.
struct report_block {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit signed on the wire
  uint32_t highest_seq = 0;
  uint32_t jitter = 0;
  uint32_t last_sr = 0;
  uint32_t delay_since_last_sr = 0;
  friend bool operator==(const report_block& a, const report_block& b);
};

/// SR, RFC 3550 section 6.4.1 (PT 200).
struct sender_report {
  uint32_t ssrc = 0;
  uint64_t ntp_time = 0;
  uint32_t rtp_time = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
  std::vector<report_block> reports;
};

/// RR, RFC 3550 section 6.4.2 (PT 201).
struct receiver_report {
  uint32_t ssrc = 0;
  std::vector<report_block> reports;
};

/// Generic NACK, RFC 4585 section 6.2.1 (RTPFB, FMT 1): the lost sequence
/// numbers, expanded from PID + BLP pairs.
struct nack {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  std::vector<uint16_t> lost;
};

/// PLI, RFC 4585 section 6.3.1 (PSFB, FMT 1).
struct pli {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
};

/// FIR, RFC 5104 section 4.3.1 (PSFB, FMT 4).
struct fir {
  struct entry {
    uint32_t ssrc = 0;
    uint8_t seq = 0;
  };
  uint32_t sender_ssrc = 0;
  std::vector<entry> entries;
};

/// REMB, draft-alvestrand-rmcat-remb-03 (PSFB, FMT 15, "REMB").
struct remb {
  uint32_t sender_ssrc = 0;
  uint64_t bitrate_bps = 0;
  std::vector<uint32_t> ssrcs;
};

/// Any other packet of a compound (SDES, BYE, XR, TWCC...): kept as its
/// type, so a caller can count what it ignores.
struct other_rtcp {
  uint8_t packet_type = 0;
  uint8_t count_or_fmt = 0;
};

using rtcp_message =
  std::variant<sender_report, receiver_report, nack, pli, fir, remb, other_rtcp>;

/// A wall clock time as the 64-bit NTP timestamp of sender reports
/// (RFC 3550 section 4): seconds since 1900 above, the fraction below.
uint64_t ntp_time(std::chrono::system_clock::time_point t);

/// Parses a compound RTCP packet (RFC 3550 section 6.1). nullopt if any
/// packet's length does not fit, or a known packet is malformed: the whole
/// datagram is then dropped, as RFC 3550 section A.2 suggests.
std::optional<std::vector<rtcp_message>> parse_rtcp(const uint8_t* data, std::size_t size);

/// Appends the wire form of one packet to `out`.
void write_rtcp(std::vector<uint8_t>& out, const sender_report& x);
void write_rtcp(std::vector<uint8_t>& out, const receiver_report& x);
void write_rtcp(std::vector<uint8_t>& out, const nack& x);
void write_rtcp(std::vector<uint8_t>& out, const pli& x);
void write_rtcp(std::vector<uint8_t>& out, const fir& x);
void write_rtcp(std::vector<uint8_t>& out, const remb& x);

} // namespace lamplight::media
