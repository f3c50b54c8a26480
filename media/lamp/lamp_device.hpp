#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "media/lamp/lamp_client.hpp"

namespace lamplight::media::lamp {

/// How a simulated lamp behaves, like a lamp's firmware: it answers calls,
/// carries out device commands (photo from the desk camera, camera and
/// screen switches) with their acknowledgements, and uploads photos over
/// its data channel (protocol/photo_transfer.hpp).
struct device_policy {
  enum class calls : uint8_t { accept, reject, ignore };
  calls answer = calls::accept;
  /// In a call: publish the microphone and both cameras (if not yet) and
  /// watch the caller's tracks (if `watch_caller`), then report media ready.
  bool call_media = true;
  bool watch_caller = true;
  /// Photo uploads that fail are tried again this many times before the
  /// command is reported failed.
  int photo_retries = 1;
};

class lamp_device {
public:
  lamp_device(lamp_client& lamp, std::string identity, device_policy policy = {});

  /// Waits up to `timeout` for the next thing the node asks of the lamp and
  /// handles it; a line saying what was done, or nullopt if nothing came.
  std::optional<std::string> step(std::chrono::milliseconds timeout);

  /// Renders the page, uploads it and waits for the node's answer: the
  /// photo id, or why it failed.
  protocol::result<std::string> upload_photo(const std::string& command_id, uint32_t width,
                                             uint32_t height);

  /// The lamp published its tracks itself: calls will not publish again.
  void mark_published() { published_ = true; }

  signal::v1::Camera camera() const { return camera_; }
  signal::v1::ScreenMode screen() const { return screen_; }
  uint64_t photos_stored() const { return photos_; }

private:
  std::string on_request(const signal::v1::DeviceRequest& req);
  std::string on_call(const signal::v1::IncomingCall& call);
  protocol::result<bool> ack(const std::string& command_id, signal::v1::DeviceAckKind kind,
                             const std::string& detail = "");
  void publish_all();

  lamp_client& lamp_;
  std::string identity_;
  device_policy policy_;
  signal::v1::Camera camera_ = signal::v1::CAMERA_FACE;
  signal::v1::ScreenMode screen_ = signal::v1::SCREEN_VIDEO;
  bool published_ = false;
  uint64_t photos_ = 0;
};

} // namespace lamplight::media::lamp
