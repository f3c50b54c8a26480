#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/errc.hpp"

namespace lamplight::media::lamp {

enum class clip_kind : uint8_t { audio, video };
const char* to_string(clip_kind x);

/// Sources a simulated lamp sends: which camera a video clip shows, drawn
/// into its frame stamps so a receiver can tell them apart.
enum class camera : uint8_t { face = 1, desk = 2 };
const char* to_string(camera x);

struct clip_frame {
  std::vector<uint8_t> data;
  /// Video: the same picture encoded as a key frame, sent in its place
  /// when a receiver asks for one (PLI/FIR). The next delta frame was
  /// predicted from the delta picture, so it decodes with slight drift
  /// until the clip's next key frame, as after any encoder-side refresh;
  /// the stamps are coarse enough to read through it.
  std::vector<uint8_t> key;
};

/// Media encoded once by real encoders (libvpx VP8, libopus) and replayed
/// by any number of simulated lamps, each with its own SSRC, sequence
/// numbers and timestamps: encoding per lamp would make a load test measure
/// encoders, not the SFU.
struct media_clip {
  clip_kind kind = clip_kind::video;
  uint32_t clock_rate = 90000;
  uint32_t frame_ticks = 3000;  // RTP timestamp step per frame
  int frame_interval_ms = 33;
  int width = 0;
  int height = 0;
  std::vector<clip_frame> frames;
};

struct video_clip_params {
  int width = 320;
  int height = 240;
  int fps = 30;
  int frames = 150;  // at most 255: the stamp's clip length is one byte
  int kbps = 400;
  camera source = camera::face;
};

/// Synthetic pictures (a moving gradient, tinted per camera, and the frame
/// stamp), VP8-encoded: one key frame, then delta frames, plus a key-frame
/// version of every picture.
protocol::result<std::shared_ptr<const media_clip>> make_video_clip(const video_clip_params& p);

/// A 440 Hz tone as 20 ms Opus frames (48 kHz, mono).
protocol::result<std::shared_ptr<const media_clip>> make_audio_clip(int frames = 50);

/// The process's steady clock in microseconds: the time of senders' and
/// receivers' latency samples (track_sender, track_receiver), which only
/// compare within one process.
int64_t steady_us();

} // namespace lamplight::media::lamp
