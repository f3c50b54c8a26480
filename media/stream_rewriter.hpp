#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "media/rtp_packet.hpp"
#include "media/vp8_descriptor.hpp"

namespace lamplight::media {

/// One stream as a subscriber receives it, while the SFU forwards one
/// source at a time into it (one simulcast layer of a track, or a track's
/// only stream) and switches sources at key frames. The subscriber must see
/// one continuous stream whatever the SFU switched:
/// - sequence numbers without jumps (RFC 3550: a jump counts as loss, and
///   its NACKs would ask for packets that never existed);
/// - timestamps that go on advancing by the wall-clock time between the
///   last packet of the old source and the first of the new (the rule
///   Janus applies), since the layers' clocks have unrelated offsets;
/// - VP8 picture ids and TL0PICIDX that continue (RFC 7741 section 4.2: a
///   decoder uses them to detect lost frames), rewritten in place in the
///   width the sender chose.
/// It also remembers, for the last packets, which source and sequence
/// number each outgoing sequence number came from, so that a subscriber's
/// NACK can be answered from the source's history with the same rewrite.
/// Pure: the caller gives the time.
class stream_rewriter {
public:
  /// `start_seq`: the first outgoing sequence number (random, RFC 3550).
  stream_rewriter(uint32_t clock_rate, uint16_t start_seq);

  /// The source being forwarded; -1 before the first switch.
  int source() const { return source_; }

  /// Starts forwarding `source` at packet `p` (for video, the first packet
  /// of a key frame: nothing before it can be decoded). `p` itself is then
  /// rewritten by `rewrite`. `vp8`: its payload descriptor, parsed once per
  /// ingress packet by the caller; null for other codecs.
  void switch_to(int source, const rtp_packet& p, const vp8_descriptor* vp8, int64_t now_ms);

  /// Rewrites a packet of `source` in place (sequence number, timestamp and,
  /// for VP8, picture id and TL0PICIDX); false if it is not to be sent:
  /// another source than the current one, or older than the switch.
  bool rewrite(int source, rtp_packet& p, const vp8_descriptor* vp8, int64_t now_ms);

  struct original {
    int source;
    uint16_t seq;
  };
  /// Where outgoing `out_seq` came from, if it is among the last
  /// `history` packets sent.
  std::optional<original> origin(uint16_t out_seq) const;
  /// Rewrites a copy of that original packet as it was first sent.
  bool rewrite_again(rtp_packet& p, uint16_t out_seq, const vp8_descriptor* vp8) const;

  /// Added to the current source's RTP timestamps (for our sender reports'
  /// RTP time, which must be in the subscriber's timeline).
  uint32_t timestamp_offset() const { return offsets_.ts; }

  static constexpr std::size_t history = 512;

private:
  struct offsets {
    uint16_t seq = 0;
    uint32_t ts = 0;
    uint16_t picture_id = 0;  // modulo 2^15
    uint8_t tl0picidx = 0;
  };
  struct sent {
    bool valid = false;
    uint16_t out_seq = 0;
    uint16_t in_seq = 0;
    int16_t source = -1;
    offsets at;
  };
  static void apply(rtp_packet& p, const offsets& o, const vp8_descriptor* vp8);
  /// The source, sequence number and rewrite of an outgoing sequence
  /// number: as recorded, or, for one that was never sent (lost on the way
  /// in), as the current source would have sent it.
  std::optional<sent> lookup(uint16_t out_seq) const;

  uint32_t clock_rate_;
  uint16_t start_seq_;
  int source_ = -1;
  uint16_t switch_seq_ = 0;  // the first sequence number of the current source
  offsets offsets_;
  // The highest values sent so far, where the next source continues.
  bool sent_any_ = false;
  uint16_t last_seq_ = 0;
  uint32_t last_ts_ = 0;
  int64_t last_ts_ms_ = 0;  // when a packet with last_ts_ went out
  bool have_picture_id_ = false;
  uint16_t last_picture_id_ = 0;
  bool have_tl0_ = false;
  uint8_t last_tl0_ = 0;
  std::array<sent, history> sent_{};
};

} // namespace lamplight::media
