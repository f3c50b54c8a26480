#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "media/lamp/media_clip.hpp"
#include "media/rtcp_packet.hpp"

namespace lamplight::media::lamp {

/// When video frame `n` of the clip (its stamp number) was last sent, in
/// steady-clock microseconds (0: not yet): with a receiver's arrivals in
/// the same process (tests, the bench), the latency of the path between.
using frame_send_times = std::array<int64_t, 256>;

struct sender_stats {
  frame_send_times frame_sent_us{};
  uint64_t frames = 0;
  uint64_t packets = 0;
  uint64_t keyframes_requested = 0;  // PLI/FIR received
  uint64_t retransmitted = 0;        // answered NACK entries
  uint64_t not_retransmitted = 0;    // NACKed, but gone from the history
};

/// Replays a clip as one RTP stream of its own (SSRC, random first sequence
/// number and timestamp, VP8 picture ids), paced at the clip's frame rate.
/// It answers NACKs (RFC 4585) from a history of what it sent, and key
/// frame requests (PLI, FIR) with the key-frame version of the next
/// picture. Plain RTP out; the caller protects and sends. Time is the
/// caller's.
class track_sender {
public:
  track_sender(std::shared_ptr<const media_clip> clip, uint32_t ssrc, uint8_t payload_type);

  /// Appends the packets of every frame due by `now_ms`.
  void due(int64_t now_ms, std::vector<std::vector<uint8_t>>& out);
  /// When the next frame is due (the caller's clock); before the first
  /// call to due(), 0.
  int64_t next_due_ms() const { return next_ms_; }

  /// Feedback from the far end; retransmissions are appended to `out`.
  void on_rtcp(const std::vector<rtcp_message>& msgs, std::vector<std::vector<uint8_t>>& out);

  /// An RTCP SR (RFC 3550 section 6.4.1) for now: this stream's RTP time
  /// against the wall clock (receivers sync audio and video with it) and
  /// what was sent; empty before the first frame.
  std::vector<uint8_t> sender_report(int64_t now_ms) const;

  /// Audio: writes the client-to-mixer audio level (RFC 6464) on every
  /// packet, as extension element `ext_id` of the answer, with `level`'s
  /// value at the time (0-127 dB below overload). The clip is pre-encoded,
  /// so its level is what the lamp's firmware says it measured.
  void write_audio_level(uint8_t ext_id, std::shared_ptr<const std::atomic<uint8_t>> level) {
    level_ext_ = ext_id;
    level_ = std::move(level);
  }

  uint32_t ssrc() const { return ssrc_; }
  clip_kind kind() const { return clip_->kind; }
  const sender_stats& stats() const { return stats_; }

private:
  void send_frame(std::vector<std::vector<uint8_t>>& out);

  static constexpr std::size_t history_size = 1024;
  static constexpr std::size_t max_payload = 1200;
  std::shared_ptr<const media_clip> clip_;
  uint32_t ssrc_;
  uint8_t payload_type_;
  uint16_t seq_;
  uint32_t timestamp_;
  uint16_t picture_id_;
  uint64_t frame_no_ = 0;
  uint32_t last_frame_ts_ = 0;     // RTP time of the last frame sent
  int64_t last_frame_ms_ = 0;      // and when (the caller's clock)
  uint64_t octets_ = 0;
  int64_t next_ms_ = 0;
  bool started_ = false;
  uint8_t level_ext_ = 0;
  std::shared_ptr<const std::atomic<uint8_t>> level_;
  bool key_wanted_ = false;
  std::vector<std::vector<uint8_t>> history_ = std::vector<std::vector<uint8_t>>(history_size);
  sender_stats stats_;
};

} // namespace lamplight::media::lamp
