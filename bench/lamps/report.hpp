#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lamplight::bench {

/// Samples of one quantity (milliseconds), summarised by percentiles.
struct distribution {
  std::vector<double> values;
  void add(double v) { values.push_back(v); }
  double percentile(double p) const;  // nearest rank; 0 if empty
  double max() const;
};

/// What the node did in one second of the run.
struct timeline_point {
  double t_s = 0;
  double cpu_percent = 0;    // of one core
  double forwarded_pps = 0;  // RTP packets to subscribers
  double rss_mb = 0;
  int decoding = 0;          // lamps with every watched stream decoding
};

/// One node of a cluster run, over the media phase.
struct node_share {
  std::string name;
  double rtp_in_pps = 0;         // RTP its workers took in (lamps' and pipes')
  double rtp_forwarded_pps = 0;  // RTP they sent (to lamps and into pipes)
  double pipe_in_pps = 0;        // of those in: through pipes from other media nodes
  double pipe_out_pps = 0;       // of those out: into pipes, once per receiving node
  double cpu_percent = 0;        // of one core
};

struct run_result {
  std::string scenario;
  std::string provider;  // sfu | janus
  std::string node;  // host:port
  int lamps = 0;
  int legs_watched = 0;
  double media_seconds = 0;
  distribution join_ms, first_frame_ms, rtt_ms;
  distribution call_setup_ms;  // invite to connected, calls placed during the run
  /// Publisher send to subscriber arrival of video frames' first packets
  /// (same process, same clock): the latency the provider adds, with the
  /// lamps' own thread wake-ups.
  distribution packet_latency_ms;
  uint64_t video_frames_sent = 0;    // by the publishers the lamps watched, per watcher
  uint64_t video_frames_decoded = 0;
  uint64_t video_gaps = 0;           // frames missing or out of order
  uint64_t audio_frames_decoded = 0;
  uint64_t audio_lost = 0;
  /// RTP packets the watching lamps received per second of the media phase
  /// (what the provider forwarded, counted alike for every provider).
  double forwarded_pps = 0;
  /// CPU of the media provider (the node; with Janus, Janus and the node
  /// together) per 1000 of those packets.
  double cpu_s_per_1000_forwarded = 0;
  double rss_bytes_per_participant = 0;
  std::vector<timeline_point> timeline;
  std::vector<std::string> failures;  // lamps that never got media, and why
  std::vector<node_share> nodes;  // a cluster run: each node started here
};

/// The summary a person reads at the end of a run.
void print_summary(const run_result& r);
void write_json(const run_result& r, const std::filesystem::path& file);
/// A self-contained HTML page: the figures, the latency distributions as
/// cumulative plots, CPU and packets per second over time (inline SVG).
void write_html(const run_result& r, const std::filesystem::path& file);

/// The same scenario on two providers: `base` (lamplight's SFU) and `other`
/// (Janus), with other/base ratios of CPU per forwarded packet, join
/// latency, first-frame time and memory per participant.
void print_comparison(const run_result& base, const run_result& other);
void write_comparison_json(const run_result& base, const run_result& other,
                           const std::filesystem::path& file);
void write_comparison_html(const run_result& base, const run_result& other,
                           const std::filesystem::path& file);

} // namespace lamplight::bench
