#pragma once

#include <cstddef>
#include <cstdint>

#include "media/rtcp_packet.hpp"

namespace lamplight::media {

/// What a receiver knows about one RTP stream, for its reception report
/// block (RFC 3550 section 6.4.1): the extended highest sequence number
/// (appendix A.1), packets expected and lost, in total and since the last
/// report, the interarrival jitter (appendix A.8), and the last sender
/// report with when it arrived (for LSR/DLSR, so the sender can measure the
/// round trip). Pure: time is the caller's.
class receive_stats {
public:
  explicit receive_stats(uint32_t clock_rate = 90000) : clock_rate_(clock_rate) {}

  void set_clock_rate(uint32_t hz) { clock_rate_ = hz; }
  uint32_t clock_rate() const { return clock_rate_; }
  /// One packet as it arrived (a retransmission counts, as RFC 3550 does).
  void on_packet(uint16_t seq, uint32_t rtp_timestamp, int64_t arrival_ms);
  /// An SR for this stream arrived: its NTP time (64-bit) at `arrival_ms`.
  void on_sender_report(uint64_t ntp, int64_t arrival_ms);

  /// The block for the next RR, and the start of the next interval.
  report_block report(uint32_t ssrc, int64_t now_ms);

  bool seen() const { return received_ > 0; }
  uint64_t received() const { return received_; }
  uint32_t extended_highest() const { return cycles_ + max_seq_; }

private:
  uint32_t clock_rate_;
  uint64_t received_ = 0;
  uint16_t base_seq_ = 0;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;  // wraps of the sequence number, times 65536
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  double jitter_ = 0;  // in timestamp units
  bool have_transit_ = false;
  int64_t transit_ = 0;
  uint32_t last_sr_ = 0;  // middle 32 bits of the last SR's NTP time
  int64_t last_sr_arrival_ms_ = -1;
};

} // namespace lamplight::media
