#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "media/lamp/media_clip.hpp"
#include "media/rtp_packet.hpp"
#include "media/vp8_frame_assembler.hpp"

namespace lamplight::media::lamp {

/// What a receiving lamp proved about one stream.
struct receiver_stats {
  uint64_t packets = 0;
  uint64_t frames_decoded = 0;  // video pictures, or audio frames, the decoder produced
  uint64_t decode_errors = 0;
  // Video: frame stamps read from decoded pictures.
  uint64_t unreadable = 0;  // decoded, but the stamp did not check out
  uint64_t stamp_gaps = 0;  // a stamp that did not follow the previous one
  std::optional<uint16_t> first_stamp;
  std::optional<uint16_t> last_stamp;
  uint8_t source = 0;       // camera id in the stamps (media_clip's camera)
  uint64_t frames_abandoned = 0;
  uint64_t nacks_sent = 0;  // sequence numbers asked for again
  uint64_t plis_sent = 0;
  // Audio: sequence numbers never received between the first and highest.
  uint64_t audio_lost = 0;
  /// The last decoded video frames: stamp number, and when the frame's
  /// first packet arrived (steady_us()), for latency against the sender's
  /// frame_sent_us. A ring: `arrivals_next` is where the next one goes.
  static constexpr std::size_t arrival_samples = 64;
  std::array<std::pair<uint16_t, int64_t>, arrival_samples> arrivals{};
  std::size_t arrivals_next = 0;
  uint64_t arrivals_total = 0;
};

/// The receiving end of one stream in a lamp: VP8 frames reassembled (with
/// NACK for what is missing, PLI when a loss could not be repaired),
/// decoded with libvpx and their stamps checked in order; Opus frames
/// decoded with libopus and their sequence numbers accounted for.
class track_receiver {
public:
  explicit track_receiver(clip_kind kind);
  ~track_receiver();
  track_receiver(const track_receiver&) = delete;
  track_receiver& operator=(const track_receiver&) = delete;

  /// One decrypted RTP packet.
  void on_rtp(const rtp_packet& p, int64_t now_ms);
  /// RTCP to send now (a compound of NACK and PLI), empty if none is due.
  std::vector<uint8_t> feedback(int64_t now_ms);

  receiver_stats stats() const;
  clip_kind kind() const { return kind_; }

private:
  void on_video(const rtp_packet& p, int64_t now_ms);
  void on_audio(const rtp_packet& p);
  void decode_video(const vp8_frame& f);

  struct codecs;
  clip_kind kind_;
  std::unique_ptr<codecs> codecs_;
  vp8_frame_assembler assembler_;
  uint32_t own_ssrc_;
  uint32_t media_ssrc_ = 0;
  // Audio sequence accounting (SRTP's replay check has removed duplicates).
  std::optional<int64_t> first_seq_, highest_seq_;
  uint64_t audio_received_ = 0;
  receiver_stats stats_;
  /// First arrival of each frame being assembled, by RTP timestamp.
  std::map<uint32_t, int64_t> first_arrival_us_;
};

} // namespace lamplight::media::lamp
