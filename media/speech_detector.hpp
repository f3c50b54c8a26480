#pragma once

#include <cstdint>
#include <optional>

namespace lamplight::media {

/// Whether a publisher is speaking, from the audio levels it writes on its
/// own packets (RFC 6464: 0-127 dB below the overload point, lower is
/// louder), so that the SFU knows without decoding a single frame.
///
/// Levels are judged per interval: an interval is voiced when enough of its
/// packets are louder than the threshold (one loud click is not speech; a
/// breath between words is not silence). Speaking starts with the first
/// voiced interval and ends after `hold` unvoiced ones, so a speaker's state
/// changes at most once per interval and does not flicker between words.
/// Pure: the caller feeds packets and ticks with its own clock.
class speech_detector {
public:
  struct config {
    int64_t interval_ms = 250;
    /// Louder than -50 dBov is voice on a lamp's or laptop's microphone;
    /// a quiet room is -70 or below.
    uint8_t threshold = 50;
    /// Share of an interval's packets that must be louder than the
    /// threshold, in percent.
    int voiced_percent = 40;
    /// Unvoiced intervals before speaking ends.
    int hold = 4;
  };

  speech_detector() = default;
  explicit speech_detector(config cfg) : cfg_(cfg) {}

  /// One packet's level (the extension's low 7 bits).
  void on_level(uint8_t level, int64_t now_ms);

  /// Closes the interval if it is over: the new state if it changed.
  std::optional<bool> tick(int64_t now_ms);

  bool speaking() const { return speaking_; }
  /// Mean level of the voiced packets of the last voiced interval
  /// (127: none yet).
  uint8_t level() const { return level_; }

private:
  config cfg_;
  int64_t interval_end_ = 0;  // 0: no interval open
  uint32_t packets_ = 0;
  uint32_t loud_ = 0;
  uint32_t loud_sum_ = 0;
  int quiet_intervals_ = 0;
  bool speaking_ = false;
  uint8_t level_ = 127;
};

} // namespace lamplight::media
