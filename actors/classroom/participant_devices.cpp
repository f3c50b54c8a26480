// Device commands addressed to a participant's lamp: each is a
// protocol::device_command with its deadline, acknowledged by the lamp and
// reported to the classroom (which tells the requester).

#include <chrono>

#include "actors/base/errors.hpp"
#include "actors/classroom/participant_state.hpp"
#include "protocol/codec.hpp"

namespace lamplight::actors::participant_detail {

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

caf::result<caf::ok_atom> on_device_request(self_ptr self, const signal::DeviceRequest& req) {
  auto& s = self->state;
  if (!s.session)
    return make_error(errc::unavailable, identity_of(self) + " is not connected");
  if (s.commands.count(req.command_id()))
    return make_error(errc::already_exists, "command " + req.command_id() + " exists");
  auto deadline = std::chrono::milliseconds(req.deadline_ms());
  s.commands.emplace(req.command_id(),
                     protocol::device_command(req.command_id(), identity_of(self), req.from(), req,
                                              steady_ms() + deadline.count()));
  self->delayed_send(self, deadline, atoms::timeout::value, timer_kind::device_deadline,
                     req.command_id(), uint64_t{0});
  signal::ServerMessage msg;
  *msg.mutable_device_request() = req;
  push(self, std::move(msg));
  return caf::ok_atom::value;
}

reply on_device_ack(self_ptr self, uint64_t rid, const signal::DeviceAck& x) {
  auto& st = self->state;
  auto i = st.commands.find(x.command_id());
  if (i == st.commands.end())
    return protocol::make_error(rid, errc::not_found, "no pending command " + x.command_id());
  auto& cmd = i->second;
  errc res = errc::bad_request;
  switch (x.kind()) {
    case signal::DEVICE_ACK_ACCEPTED: res = cmd.ack(); break;
    case signal::DEVICE_ACK_DONE: res = cmd.done(x.detail()); break;
    case signal::DEVICE_ACK_FAILED: res = cmd.fail(x.detail()); break;
    default: break;
  }
  if (res != errc::none)
    return protocol::make_error(rid, res,
                                std::string("command is ") + protocol::to_string(cmd.state()));
  self->send(st.cfg.classroom, atoms::outcome::value, cmd.outcome());
  if (cmd.terminal())
    st.commands.erase(i);
  return ack(rid);
}

void on_device_deadline(self_ptr self, const std::string& command_id) {
  auto& st = self->state;
  // Command ids are unique and a finished command leaves the map, so a
  // deadline timer finding its command still there is never stale.
  auto i = st.commands.find(command_id);
  if (i == st.commands.end())
    return;
  // The timer fires at the deadline; expire() checks against it.
  if (i->second.expire(i->second.deadline_at_ms()) == errc::none) {
    self->send(st.cfg.classroom, atoms::outcome::value, i->second.outcome());
    st.commands.erase(i);
  }
}

void push_pending_commands(self_ptr self) {
  for (auto& [id, cmd] : self->state.commands) {
    signal::ServerMessage msg;
    *msg.mutable_device_request() = cmd.request();
    push(self, std::move(msg));
  }
}

} // namespace lamplight::actors::participant_detail
