#include "protocol/device_command.hpp"

namespace lamplight::protocol {

const char* to_string(device_state x) {
  switch (x) {
    case device_state::sent: return "sent";
    case device_state::acked: return "acked";
    case device_state::done: return "done";
    case device_state::failed: return "failed";
    case device_state::timed_out: return "timed_out";
  }
  return "unknown";
}

error validate(const signal::v1::DeviceCommand& cmd) {
  using signal::v1::DeviceCommand;
  if (cmd.target().empty())
    return {errc::bad_request, "device command has no target"};
  switch (cmd.action_case()) {
    case DeviceCommand::kCapturePhoto: {
      const auto& p = cmd.capture_photo();
      if (p.width() < 1 || p.width() > max_photo_width)
        return {errc::bad_request, "capture_photo width must be 1..4032, got "
                                     + std::to_string(p.width())};
      if (p.height() < 1 || p.height() > max_photo_height)
        return {errc::bad_request, "capture_photo height must be 1..3024, got "
                                     + std::to_string(p.height())};
      return {};
    }
    case DeviceCommand::kSwitchCamera:
      if (cmd.switch_camera().camera() == signal::v1::CAMERA_UNSPECIFIED)
        return {errc::bad_request, "switch_camera camera is unspecified"};
      return {};
    case DeviceCommand::kSwitchScreen:
      if (cmd.switch_screen().screen() == signal::v1::SCREEN_UNSPECIFIED)
        return {errc::bad_request, "switch_screen screen is unspecified"};
      return {};
    case DeviceCommand::ACTION_NOT_SET:
      break;
  }
  return {errc::bad_request, "device command has no action"};
}

device_command::device_command(std::string command_id, std::string target,
                               std::string from, signal::v1::DeviceRequest request,
                               int64_t deadline_at_ms)
  : id_(std::move(command_id)),
    target_(std::move(target)),
    from_(std::move(from)),
    request_(std::move(request)),
    deadline_at_ms_(deadline_at_ms) {
}

errc device_command::ack() {
  if (state_ != device_state::sent)
    return errc::wrong_state;
  state_ = device_state::acked;
  return errc::none;
}

errc device_command::done(std::string detail) {
  if (terminal())
    return errc::wrong_state;
  state_ = device_state::done;
  detail_ = std::move(detail);
  return errc::none;
}

errc device_command::fail(std::string detail) {
  if (terminal())
    return errc::wrong_state;
  state_ = device_state::failed;
  detail_ = std::move(detail);
  return errc::none;
}

errc device_command::expire(int64_t now_ms) {
  // A late timer may race with the lamp's answer: only a live command past
  // its deadline times out.
  if (terminal() || now_ms < deadline_at_ms_)
    return errc::wrong_state;
  state_ = device_state::timed_out;
  detail_ = "deadline passed";
  return errc::none;
}

bool device_command::terminal() const {
  return state_ == device_state::done || state_ == device_state::failed
         || state_ == device_state::timed_out;
}

signal::v1::DeviceOutcome device_command::outcome() const {
  signal::v1::DeviceOutcome out;
  out.set_command_id(id_);
  out.set_target(target_);
  out.set_state(static_cast<signal::v1::DeviceCommandState>(state_));
  out.set_detail(detail_);
  return out;
}

} // namespace lamplight::protocol
