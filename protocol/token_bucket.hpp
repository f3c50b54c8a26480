#pragma once

#include <cstdint>

namespace lamplight::protocol {

/// A token bucket: `rate` tokens a second up to `burst`, one per request.
/// Pure: the caller passes the time (milliseconds of any monotonic clock),
/// so a limit is tested without waiting. A bucket starts full.
class token_bucket {
public:
  token_bucket(double rate_per_second, double burst);

  /// Takes a token if there is one at `now_ms`.
  bool take(int64_t now_ms);
  /// Milliseconds from `now_ms` until a token is there (0: one is).
  int64_t wait_ms(int64_t now_ms);

private:
  void refill(int64_t now_ms);

  double rate_per_ms_;
  double burst_;
  double tokens_;
  int64_t last_ms_ = 0;
  bool started_ = false;
};

} // namespace lamplight::protocol
