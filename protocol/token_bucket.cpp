#include "protocol/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace lamplight::protocol {

token_bucket::token_bucket(double rate_per_second, double burst)
  : rate_per_ms_(std::max(0.0, rate_per_second) / 1000.0), burst_(std::max(1.0, burst)),
    tokens_(burst_) {}

void token_bucket::refill(int64_t now_ms) {
  if (!started_) {
    started_ = true;
    last_ms_ = now_ms;
    return;
  }
  // A clock that went back (another thread's earlier reading) adds nothing.
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
    last_ms_ = now_ms;
  }
}

bool token_bucket::take(int64_t now_ms) {
  refill(now_ms);
  if (tokens_ < 1.0)
    return false;
  tokens_ -= 1.0;
  return true;
}

int64_t token_bucket::wait_ms(int64_t now_ms) {
  refill(now_ms);
  if (tokens_ >= 1.0)
    return 0;
  if (rate_per_ms_ <= 0.0)
    return INT64_MAX;
  return static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_per_ms_));
}

} // namespace lamplight::protocol
