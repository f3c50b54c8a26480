// Device control: a teacher's command reaches the lamp's participant, which
// owns its deadline; the lamp's outcome comes back here and goes to the
// requester. Done camera and screen switches become DeviceChanged events, a
// done photo is checked against the photo store first.

#include <algorithm>
#include <chrono>

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"
#include "protocol/device_command.hpp"

namespace lamplight::actors::classroom_detail {

caf::result<std::string> on_device(self_ptr self, const std::string& who,
                                   const signal::DeviceCommand& cmd) {
  if (auto err = check_sender(self, who, action::control_device))
    return err;
  return send_device_command(self, who, cmd);
}

caf::result<std::string> send_device_command(self_ptr self, const std::string& who,
                                             const signal::DeviceCommand& cmd) {
  auto& s = self->state;
  if (auto err = protocol::validate(cmd); err.code != errc::none)
    return to_caf(err);
  auto* target = s.model.member(cmd.target());
  if (!target)
    return make_error(errc::not_found, "no member " + cmd.target());
  if (!protocol::allowed(target->role(), action::ack_device))
    return make_error(errc::bad_request, cmd.target() + " has no lamp to control");
  auto p = s.participants.find(cmd.target());
  if (p == s.participants.end() || target->presence() != signal::PRESENCE_ONLINE)
    return make_error(errc::unavailable, cmd.target() + " is not connected");
  auto deadline = cmd.deadline_ms() != 0
                    ? std::chrono::milliseconds(std::min<uint32_t>(cmd.deadline_ms(), 120000))
                    : std::chrono::duration_cast<std::chrono::milliseconds>(
                      s.cfg.device_deadline);
  signal::DeviceRequest req;
  req.set_command_id(next_id(self, "cmd"));
  req.set_from(who);
  req.set_deadline_ms(deadline.count());
  switch (cmd.action_case()) {
    case signal::DeviceCommand::kCapturePhoto:
      *req.mutable_capture_photo() = cmd.capture_photo();
      break;
    case signal::DeviceCommand::kSwitchCamera:
      *req.mutable_switch_camera() = cmd.switch_camera();
      break;
    case signal::DeviceCommand::kSwitchScreen:
      *req.mutable_switch_screen() = cmd.switch_screen();
      break;
    case signal::DeviceCommand::ACTION_NOT_SET:
      break;
  }
  auto id = req.command_id();
  s.commands[id] = pending_command{who, cmd.target(), req};
  auto rp = self->make_response_promise<std::string>();
  self->request(p->second, peer_timeout, atoms::device::value, req)
    .then([=](caf::ok_atom) mutable { rp.deliver(id); },
          [=](caf::error& err) mutable {
            self->state.commands.erase(id);
            rp.deliver(err);
          });
  return rp;
}

void on_outcome(self_ptr self, const signal::DeviceOutcome& o) {
  auto& s = self->state;
  auto i = s.commands.find(o.command_id());
  if (i == s.commands.end() || !from_member(self, i->second.target))
    return;
  auto cmd = i->second;
  auto out = o;
  if (o.state() == signal::DEVICE_STATE_DONE && cmd.request.has_capture_photo())
    out = photo_outcome(self, cmd, o);
  if (auto p = s.participants.find(cmd.requester); p != s.participants.end())
    self->send(p->second, atoms::outcome::value, out);
  if (out.state() == signal::DEVICE_STATE_DONE) {
    signal::ClassroomEvent ev;
    auto* d = ev.mutable_device();
    d->set_identity(cmd.target);
    if (cmd.request.has_switch_camera())
      d->set_camera(cmd.request.switch_camera().camera());
    if (cmd.request.has_switch_screen())
      d->set_screen(cmd.request.switch_screen().screen());
    if (d->camera() != signal::CAMERA_UNSPECIFIED || d->screen() != signal::SCREEN_UNSPECIFIED)
      commit(self, std::move(ev));
  }
  if (out.state() != signal::DEVICE_STATE_SENT && out.state() != signal::DEVICE_STATE_ACKED) {
    // Finished, however it went: the lesson's history keeps it.
    signal::ClassroomEvent ev;
    auto* e = ev.mutable_device_command();
    e->set_command_id(o.command_id());
    e->set_target(cmd.target);
    e->set_requested_by(cmd.requester);
    e->set_action(cmd.request.has_capture_photo()   ? "capture_photo"
                  : cmd.request.has_switch_camera() ? "switch_camera"
                                                    : "switch_screen");
    e->set_state(out.state());
    e->set_detail(out.detail().substr(0, 200));
    commit(self, std::move(ev));
    s.commands.erase(o.command_id());
  }
}

} // namespace lamplight::actors::classroom_detail
