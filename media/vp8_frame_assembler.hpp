#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "media/rtp_packet.hpp"

namespace lamplight::media {

/// One encoded VP8 frame, reassembled from its RTP packets.
struct vp8_frame {
  std::vector<uint8_t> data;
  uint32_t timestamp = 0;
  bool keyframe = false;
  bool has_picture_id = false;
  uint16_t picture_id = 0;
  uint16_t first_seq = 0;
  uint16_t last_seq = 0;
};

struct vp8_assembler_stats {
  uint64_t packets = 0;
  uint64_t duplicates = 0;   // already held, or for a frame already given out
  uint64_t malformed = 0;    // no valid VP8 payload descriptor
  uint64_t frames = 0;
  uint64_t frames_abandoned = 0;  // waited past the patience for a missing packet
  uint64_t nacked = 0;       // sequence numbers put in NACK lists
};

/// Reassembles the VP8 frames of one RTP stream (RFC 7741 section 4.5) in
/// sequence order. Packets may come out of order, duplicated or missing:
/// a frame is given out only when every packet from its first (S=1,
/// PID=0) to its last (marker) is there. What is missing is offered for a
/// NACK (RFC 4585), a few times, until `patience` has passed since the
/// missing packet should have come; then the frames up to the next key
/// frame are abandoned and a key frame is due (the decoder could not use
/// them). Time is the caller's (milliseconds), so tests decide it.
class vp8_frame_assembler {
public:
  struct options {
    int64_t patience_ms = 1000;
    int64_t keyframe_wait_ms = 250;  // without a key frame to start from, ask this often
    int64_t nack_interval_ms = 40;  // between NACKs for the same packet
    int max_nacks = 10;             // per packet
    std::size_t max_packets = 4096; // held at once; past it, give up and wait for a key frame
  };

  vp8_frame_assembler();
  explicit vp8_frame_assembler(options opts);

  /// Takes one decrypted RTP packet of the stream.
  void push(const rtp_packet& p, int64_t now_ms);
  /// The next frame in order, if it is complete (call until nullopt).
  std::optional<vp8_frame> pop(int64_t now_ms);
  /// Sequence numbers to NACK now.
  std::vector<uint16_t> nack_list(int64_t now_ms);
  /// True once after frames were abandoned, and every keyframe_wait while
  /// there is no key frame to start from: time for a PLI.
  bool take_keyframe_request();

  const vp8_assembler_stats& stats() const { return stats_; }

private:
  struct held {
    uint32_t timestamp = 0;
    bool marker = false;
    bool start = false;  // S=1 and PID=0: a frame begins here
    bool keyframe = false;
    bool has_picture_id = false;
    uint16_t picture_id = 0;
    std::vector<uint8_t> payload;  // VP8 data after the descriptor
  };
  struct asked {
    int64_t first_missed_ms = 0;
    int64_t last_nack_ms = 0;
    int nacks = 0;
  };

  int64_t extend(uint16_t seq);

  options opts_;
  std::map<int64_t, held> packets_;  // by extended sequence number
  std::map<int64_t, asked> missing_;
  std::optional<int64_t> highest_;
  std::optional<int64_t> next_;  // where the next frame must begin (or, while
                                 // need_key_, the first seq worth keeping)
  bool need_key_ = true;         // only a key frame can start the next frame
  int64_t waiting_since_ms_ = -1;
  bool keyframe_due_ = false;
  vp8_assembler_stats stats_;
};

} // namespace lamplight::media
