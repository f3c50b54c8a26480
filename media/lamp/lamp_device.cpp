#include "media/lamp/lamp_device.hpp"

#include "media/lamp/homework_page.hpp"
#include "protocol/photo_transfer.hpp"

namespace lamplight::media::lamp {

namespace sig = signal::v1;
using namespace std::chrono_literals;
using protocol::errc;

namespace {

/// How long the node may take to store a photo once it has all of it.
constexpr auto store_timeout = 15s;

} // namespace

lamp_device::lamp_device(lamp_client& lamp, std::string identity, device_policy policy)
  : lamp_(lamp), identity_(std::move(identity)), policy_(policy) {}

std::optional<std::string> lamp_device::step(std::chrono::milliseconds timeout) {
  // Every push is taken (and what the lamp has no use for dropped), so a
  // lamp that runs for hours keeps nothing.
  auto m = lamp_.wait_for([](const sig::ServerMessage& x) { return x.request_id() == 0; },
                          timeout);
  if (!m)
    return std::nullopt;
  if (m->has_device_request())
    return on_request(m->device_request());
  if (m->has_incoming_call())
    return on_call(m->incoming_call());
  if (m->has_event() && m->event().has_device()) {
    // The node's record of our state (e.g. restored after a restart).
    const auto& d = m->event().device();
    if (d.identity() == identity_ && d.camera() != sig::CAMERA_UNSPECIFIED)
      camera_ = d.camera();
    if (d.identity() == identity_ && d.screen() != sig::SCREEN_UNSPECIFIED)
      screen_ = d.screen();
  }
  return std::string{};
}

protocol::result<bool> lamp_device::ack(const std::string& command_id, sig::DeviceAckKind kind,
                                        const std::string& detail) {
  sig::ClientMessage m;
  auto* a = m.mutable_device_ack();
  a->set_command_id(command_id);
  a->set_kind(kind);
  a->set_detail(detail);
  auto r = lamp_.request(std::move(m));
  if (!r)
    return r.err();
  return true;
}

std::string lamp_device::on_request(const sig::DeviceRequest& req) {
  const auto& id = req.command_id();
  if (auto r = ack(id, sig::DEVICE_ACK_ACCEPTED); !r)
    return "device " + id + ": cannot acknowledge: " + r.err().message;
  if (req.has_switch_camera()) {
    camera_ = req.switch_camera().camera();
    auto r = ack(id, sig::DEVICE_ACK_DONE);
    return "camera -> " + sig::Camera_Name(camera_) + (r ? "" : " (ack lost)");
  }
  if (req.has_switch_screen()) {
    screen_ = req.switch_screen().screen();
    auto r = ack(id, sig::DEVICE_ACK_DONE);
    return "screen -> " + sig::ScreenMode_Name(screen_) + (r ? "" : " (ack lost)");
  }
  if (req.has_capture_photo()) {
    const auto& p = req.capture_photo();
    protocol::result<std::string> stored = protocol::error{errc::internal, "not tried"};
    for (int attempt = 0; attempt <= policy_.photo_retries; ++attempt) {
      stored = upload_photo(id, p.width(), p.height());
      if (stored)
        break;
    }
    if (!stored) {
      (void) ack(id, sig::DEVICE_ACK_FAILED, stored.err().message);
      return "photo " + id + " failed: " + stored.err().message;
    }
    ++photos_;
    auto r = ack(id, sig::DEVICE_ACK_DONE, *stored);
    return "photo " + id + " stored as " + *stored + (r ? "" : " (ack refused: " + r.err().message + ")");
  }
  (void) ack(id, sig::DEVICE_ACK_FAILED, "this lamp does not know that command");
  return "device " + id + ": unknown command";
}

protocol::result<std::string> lamp_device::upload_photo(const std::string& command_id,
                                                        uint32_t width, uint32_t height) {
  auto jpeg = render_homework_jpeg({width, height, identity_, command_id, 85});
  if (!jpeg)
    return jpeg.err();
  if (!lamp_.has_channel(protocol::photo_channel))
    if (auto c = lamp_.open_channel(protocol::photo_channel); !c)
      return c.err();
  sig::PhotoControl begin;
  begin.set_type("photo-begin");
  begin.set_command_id(command_id);
  begin.set_size(jpeg->size());
  begin.set_sha256(protocol::sha256_hex(jpeg->data(), jpeg->size()));
  begin.set_width(width);
  begin.set_height(height);
  begin.set_content_type("image/jpeg");
  if (auto r = lamp_.send_text(protocol::photo_channel, protocol::write_photo_control(begin)); !r)
    return r.err();
  for (std::size_t at = 0; at < jpeg->size(); at += protocol::photo_lamp_chunk)
    if (auto r = lamp_.send_binary(protocol::photo_channel,
                                   jpeg->substr(at, protocol::photo_lamp_chunk));
        !r)
      return r.err();
  sig::PhotoControl end;
  end.set_type("photo-end");
  end.set_command_id(command_id);
  if (auto r = lamp_.send_text(protocol::photo_channel, protocol::write_photo_control(end)); !r)
    return r.err();
  auto deadline = std::chrono::steady_clock::now() + store_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    auto msg = lamp_.next_message_on(protocol::photo_channel, left);
    if (!msg)
      break;
    auto reply = protocol::parse_photo_control(std::string(msg->data.begin(), msg->data.end()));
    if (!reply || reply->command_id() != command_id)
      continue;  // an answer to an earlier try
    if (reply->type() == "photo-stored")
      return reply->photo_id();
    if (reply->type() == "photo-failed")
      return protocol::error{errc::internal, "the node refused the photo: " + reply->reason()};
  }
  return protocol::error{errc::timeout, "the node did not confirm the photo"};
}

void lamp_device::publish_all() {
  if (published_)
    return;
  for (auto s : {sig::TRACK_SOURCE_MICROPHONE, sig::TRACK_SOURCE_FACE_CAMERA,
                 sig::TRACK_SOURCE_DESK_CAMERA})
    (void) lamp_.publish(s);
  published_ = true;
}

std::string lamp_device::on_call(const sig::IncomingCall& call) {
  sig::ClientMessage m;
  switch (policy_.answer) {
    case device_policy::calls::ignore:
      return "call " + call.call_id() + " from " + call.caller() + ": ignored";
    case device_policy::calls::reject:
      m.mutable_call_reject()->set_call_id(call.call_id());
      (void) lamp_.request(std::move(m));
      return "call " + call.call_id() + " from " + call.caller() + ": rejected";
    case device_policy::calls::accept:
      break;
  }
  m.mutable_call_accept()->set_call_id(call.call_id());
  if (auto r = lamp_.request(std::move(m)); !r)
    return "call " + call.call_id() + ": accept failed: " + r.err().message;
  std::string line = "call " + call.call_id() + " from " + call.caller() + ": accepted";
  if (!policy_.call_media)
    return line;
  publish_all();
  sig::ClientMessage snap;
  snap.mutable_get_snapshot();
  int watched = 0;
  if (auto s = policy_.watch_caller ? lamp_.request(std::move(snap))
                                    : protocol::result<sig::ServerMessage>(sig::ServerMessage{});
      s && s->has_snapshot())
    for (const auto& t : s->snapshot().tracks())
      if (t.owner() == call.caller() && lamp_.subscribe(t))
        ++watched;
  sig::ClientMessage ready;
  ready.mutable_call_media_ready()->set_call_id(call.call_id());
  (void) lamp_.request(std::move(ready));
  return line + ", watching " + std::to_string(watched) + " of the caller's tracks";
}

} // namespace lamplight::media::lamp
