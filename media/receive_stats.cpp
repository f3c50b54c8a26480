#include "media/receive_stats.hpp"

#include <algorithm>
#include <cmath>

#include "media/rtp_packet.hpp"

namespace lamplight::media {

void receive_stats::on_packet(uint16_t seq, uint32_t rtp_timestamp, int64_t arrival_ms) {
  if (received_ == 0) {
    base_seq_ = max_seq_ = seq;
  } else if (seq_diff(seq, max_seq_) > 0) {
    if (seq < max_seq_)
      cycles_ += 65536;
    max_seq_ = seq;
  }
  ++received_;
  // Appendix A.8: J += (|D| - J) / 16, D the change in transit time.
  auto arrival = arrival_ms * static_cast<int64_t>(clock_rate_) / 1000;
  int64_t transit = arrival - static_cast<int64_t>(rtp_timestamp);
  if (have_transit_) {
    // Timestamps wrap at 2^32: the difference is taken modulo it.
    auto d = static_cast<int32_t>(static_cast<uint32_t>(transit - transit_));
    jitter_ += (std::abs(static_cast<double>(d)) - jitter_) / 16.0;
  }
  transit_ = transit;
  have_transit_ = true;
}

void receive_stats::on_sender_report(uint64_t ntp, int64_t arrival_ms) {
  last_sr_ = static_cast<uint32_t>(ntp >> 16);
  last_sr_arrival_ms_ = arrival_ms;
}

report_block receive_stats::report(uint32_t ssrc, int64_t now_ms) {
  report_block b;
  b.ssrc = ssrc;
  uint64_t expected = received_ == 0 ? 0 : uint64_t{extended_highest()} - base_seq_ + 1;
  int64_t lost = static_cast<int64_t>(expected) - static_cast<int64_t>(received_);
  // 24-bit signed on the wire: clamp (duplicates can make it negative).
  b.cumulative_lost = static_cast<int32_t>(std::clamp<int64_t>(lost, -0x800000, 0x7FFFFF));
  auto expected_interval = static_cast<int64_t>(expected - expected_prior_);
  auto received_interval = static_cast<int64_t>(received_ - received_prior_);
  auto lost_interval = expected_interval - received_interval;
  b.fraction_lost = expected_interval <= 0 || lost_interval <= 0
                      ? 0
                      : static_cast<uint8_t>(std::min<int64_t>(255, (lost_interval << 8) / expected_interval));
  expected_prior_ = expected;
  received_prior_ = received_;
  b.highest_seq = extended_highest();
  b.jitter = static_cast<uint32_t>(jitter_);
  if (last_sr_arrival_ms_ >= 0) {
    b.last_sr = last_sr_;
    // In units of 1/65536 s.
    b.delay_since_last_sr = static_cast<uint32_t>((now_ms - last_sr_arrival_ms_) * 65536 / 1000);
  }
  return b;
}

} // namespace lamplight::media
