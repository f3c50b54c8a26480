#pragma once

#include <cstdint>
#include <string>

#include "lamplight/signal/v1/device.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// Values equal signal::v1::DeviceCommandState.
///   sent -> acked -> done | failed | timed_out   (sent may skip to any end)
enum class device_state : uint8_t {
  sent = 1,
  acked = 2,
  done = 3,
  failed = 4,
  timed_out = 5,
};
const char* to_string(device_state x);

/// Largest photo a lamp's desk camera takes.
inline constexpr uint32_t max_photo_width = 4032;
inline constexpr uint32_t max_photo_height = 3024;

/// Checks a teacher's command before it is sent: a known action, a photo
/// size within 1..4032 x 1..3024, a camera/screen that is not UNSPECIFIED,
/// a non-empty target. errc::bad_request with a message otherwise.
error validate(const signal::v1::DeviceCommand& cmd);

/// One device command's life on the lamp's side. Time is injected: the owner
/// passes `now_ms` (any monotonic milliseconds) and runs the deadline timer.
class device_command {
public:
  device_command(std::string command_id, std::string target, std::string from,
                 signal::v1::DeviceRequest request, int64_t deadline_at_ms);

  errc ack();                         // sent -> acked
  errc done(std::string detail);      // sent|acked -> done
  errc fail(std::string detail);      // sent|acked -> failed
  errc expire(int64_t now_ms);        // sent|acked -> timed_out, if past deadline

  bool terminal() const;
  device_state state() const { return state_; }
  const std::string& id() const { return id_; }
  const std::string& target() const { return target_; }
  const std::string& from() const { return from_; }
  const std::string& detail() const { return detail_; }
  int64_t deadline_at_ms() const { return deadline_at_ms_; }
  const signal::v1::DeviceRequest& request() const { return request_; }

  /// The outcome message for the requester in the current state.
  signal::v1::DeviceOutcome outcome() const;

private:
  std::string id_;
  std::string target_;
  std::string from_;
  signal::v1::DeviceRequest request_;
  int64_t deadline_at_ms_;
  device_state state_ = device_state::sent;
  std::string detail_;
};

} // namespace lamplight::protocol
