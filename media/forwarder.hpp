#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "media/receive_stats.hpp"
#include "media/speech_detector.hpp"
#include "media/stream_rewriter.hpp"

namespace lamplight::media {

/// The SFU's forwarding table and the RTCP it terminates, apart from
/// sockets and crypto (the media worker owns those and runs this on its
/// thread; tests drive it with their own clock).
///
/// A track is what one publisher sends as one m= section: one stream, or
/// several simulcast layers (RFC 8853), each an RTP stream with its SSRC.
/// Layers are known by the SSRC the SDP gave, or by rid: their SSRC is then
/// learnt from the RTP stream id header extension (RFC 8852) that Chrome
/// puts on a stream's first packets. Each subscription (route) of a track
/// forwards one layer at a time into one outgoing stream, chosen from the
/// layer it asked for and the layers that are actually arriving, and
/// switches only at a key frame, which it asks for (PLI, throttled).
///
/// Per ingress packet: one lookup, one receive-statistics update, one copy
/// per route. RTCP: NACKs for gaps go to publishers, subscribers' NACKs are
/// answered from a per-layer history (or passed upstream), PLI/FIR are
/// relayed, and once a second each publisher gets a receiver report with a
/// REMB and each subscriber a sender report in its own timeline.
class forwarder {
public:
  using peer_id = uint64_t;
  using track_id = uint64_t;

  /// Where packets go: the worker protects them for `to` and queues them.
  class sink {
  public:
    virtual ~sink() = default;
    /// Whether `to` has keys and a path: routes wait for it before they
    /// start (a stream must start at a key frame the subscriber receives).
    virtual bool can_send(peer_id to) = 0;
    virtual bool send_rtp(peer_id to, std::vector<uint8_t> pkt) = 0;
    virtual bool send_rtcp(peer_id to, std::vector<uint8_t> pkt) = 0;
  };

  struct layer {
    uint32_t ssrc = 0;  // 0: learn it from `rid`
    std::string rid;
  };
  struct track_params {
    peer_id publisher = 0;
    uint32_t clock_rate = 90000;
    bool vp8 = false;  // key frames and picture ids are VP8's (RFC 7741)
    /// Lowest quality first. One layer without SSRC or rid takes the first
    /// SSRC the publisher sends.
    std::vector<layer> layers;
    uint8_t rid_extension = 0;  // the publisher's extmap id for rtp-stream-id
    /// The publisher's extmap id for its audio level (RFC 6464); with
    /// `on_speech`, the track's speaking is judged from it (speech_detector)
    /// and each change told, with the level, from tick(). 0: not judged.
    uint8_t audio_level_extension = 0;
    std::function<void(bool speaking, uint8_t level)> on_speech;
  };

  struct counters {
    uint64_t plis_sent = 0;      // key frame requests to publishers
    uint64_t nacks_sent = 0;     // to publishers, for gaps in what they sent
    uint64_t retransmitted = 0;  // packets resent to subscribers on their NACKs
    uint64_t rembs_sent = 0;
    uint64_t rrs_sent = 0;       // receiver reports to publishers
    uint64_t srs_sent = 0;       // sender reports to subscribers
    uint64_t unknown_ssrc = 0;   // RTP of no track of its publisher: dropped
    uint64_t layer_switches = 0;
  };

  forwarder(sink& out, uint64_t remb_bps) : out_(out), remb_bps_(remb_bps) {}

  void add_track(track_id id, track_params params);
  void remove_track(track_id id);
  /// Forwards `track` to `subscriber` as `out_ssrc`, preferring `layer`
  /// (an index into the track's layers; clamped).
  void add_route(track_id track, peer_id subscriber, uint32_t out_ssrc, int layer = 0);
  void set_layer(track_id track, peer_id subscriber, int layer);
  void remove_route(track_id track, peer_id subscriber);
  /// Everything `peer` published or subscribed to.
  void remove_peer(peer_id peer);

  /// A decrypted RTP packet from `from`.
  void on_rtp(peer_id from, const std::vector<uint8_t>& pkt, int64_t now_ms);
  /// A decrypted RTCP compound from `from`.
  void on_rtcp(peer_id from, const uint8_t* data, std::size_t size, int64_t now_ms);
  /// Reports, at most once a second; `ntp_now` is the wall clock as an NTP
  /// timestamp (RFC 3550 section 4).
  void tick(int64_t now_ms, uint64_t ntp_now);

  const counters& stats() const { return st_; }
  /// The layer `subscriber` receives of `track`; -1 if none yet.
  int current_layer(track_id track, peer_id subscriber) const;

  static constexpr std::size_t history_size = 512;

private:
  struct route {
    peer_id subscriber;
    uint32_t out_ssrc;
    int target;
    stream_rewriter rw;
    uint32_t packets = 0;  // for our sender reports
    uint32_t octets = 0;
  };
  struct track {
    track_params p;
    std::vector<int64_t> last_packet_ms;  // per layer; 0: never
    std::vector<route> routes;
    std::optional<speech_detector> speech;
  };
  /// One ingress stream (publisher, SSRC): a layer of a track.
  struct source {
    track_id track = 0;
    int layer = 0;
    bool seen = false;
    uint16_t highest = 0;  // to find gaps and NACK them
    int64_t last_pli_ms = 0;
    // A key frame was asked for within the PLI interval: it is sent when
    // the interval is over, not dropped (a subscriber that joins right
    // after another would otherwise wait for some later reason to ask).
    bool pli_pending = false;
    // The last packets by sequence number, decrypted, shared by every
    // route (each rewrites its copy).
    std::vector<std::vector<uint8_t>> history = std::vector<std::vector<uint8_t>>(history_size);
    // When each missing sequence number was last asked for upstream: a
    // hundred subscribers NACKing the same loss ask the publisher (or the
    // pipe from another media node) once, not a hundred times.
    std::vector<std::pair<uint16_t, int64_t>> asked =
      std::vector<std::pair<uint16_t, int64_t>>(history_size);
    receive_stats rx;
    // The publisher's last SR, passed on to subscribers (lip sync).
    bool has_sr = false;
    uint32_t sr_rtp = 0;
    int64_t sr_arrival_ms = 0;
  };
  using source_key = std::pair<peer_id, uint32_t>;

  source* find_or_learn(peer_id from, uint32_t ssrc, const rtp_packet& p);
  source* layer_source(const track& t, int layer);
  /// The layer a route should receive: the one it asked for if it
  /// arrives, else the best arriving below it, else the lowest above.
  int wanted_layer(const track& t, int target, int64_t now_ms) const;
  route* find_route(peer_id subscriber, uint32_t out_ssrc, track** t);
  void request_keyframe(peer_id publisher, uint32_t ssrc, source& src, int64_t now_ms);
  void send_nack(peer_id publisher, uint32_t ssrc, std::vector<uint16_t> lost);
  /// Whether `seq` of `src` is worth asking for now (not asked lately);
  /// notes that it is being asked.
  static bool ask_once(source& src, uint16_t seq, int64_t now_ms);
  void retransmit(peer_id subscriber, uint32_t out_ssrc, const std::vector<uint16_t>& lost,
                  int64_t now_ms);
  void forward(track& t, int layer, const std::vector<uint8_t>& pkt, const rtp_packet& parsed,
               int64_t now_ms);

  sink& out_;
  uint64_t remb_bps_;
  std::map<track_id, track> tracks_;
  /// Each publisher's tracks: an unknown SSRC is looked up among these
  /// only, so a peer sending random SSRCs costs little.
  std::multimap<peer_id, track_id> tracks_of_;
  /// Tracks whose speaking is judged: tick() visits these only.
  std::vector<track_id> speech_tracks_;
  int64_t next_speech_ms_ = 0;
  std::map<source_key, source> sources_;  // ordered by publisher: one RR each
  std::map<source_key, track_id> routes_by_out_;  // (subscriber, out SSRC)
  counters st_;
  int64_t last_report_ms_ = 0;
  bool plis_pending_ = false;  // some source has pli_pending
};

} // namespace lamplight::media
