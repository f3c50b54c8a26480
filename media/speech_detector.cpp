#include "media/speech_detector.hpp"

namespace lamplight::media {

void speech_detector::on_level(uint8_t level, int64_t now_ms) {
  if (interval_end_ == 0)
    interval_end_ = now_ms + cfg_.interval_ms;
  level &= 0x7F;
  ++packets_;
  if (level <= cfg_.threshold) {
    ++loud_;
    loud_sum_ += level;
  }
}

std::optional<bool> speech_detector::tick(int64_t now_ms) {
  if (interval_end_ == 0 || now_ms < interval_end_)
    return std::nullopt;
  bool voiced = packets_ > 0 && loud_ * 100 >= packets_ * static_cast<uint32_t>(cfg_.voiced_percent);
  if (voiced)
    level_ = static_cast<uint8_t>(loud_sum_ / loud_);
  packets_ = loud_ = loud_sum_ = 0;
  // A publisher that stopped sending (muted, gone quiet with DTX) closes
  // intervals on ticks alone, so that its speaking ends on time.
  interval_end_ += cfg_.interval_ms;
  if (interval_end_ <= now_ms)
    interval_end_ = now_ms + cfg_.interval_ms;
  bool was = speaking_;
  if (voiced) {
    quiet_intervals_ = 0;
    speaking_ = true;
  } else if (speaking_ && ++quiet_intervals_ >= cfg_.hold) {
    speaking_ = false;
    quiet_intervals_ = 0;
  }
  if (!speaking_)
    interval_end_ = 0;  // the next packet opens an interval: nothing to close till then
  if (speaking_ == was)
    return std::nullopt;
  return speaking_;
}

} // namespace lamplight::media
