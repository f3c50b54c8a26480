// The tenant's backend acting on a live classroom through the server API
// (classroom_actor.hpp, "the tenant's backend"). No participant sends these,
// so there is no sender to check; each does what the member's own leave or a
// teacher's own request does, and is journaled the same way.

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

caf::result<caf::ok_atom> on_remove(self_ptr self, const signal::MemberLeft& x) {
  auto& s = self->state;
  if (!s.model.member(x.identity()))
    return make_error(errc::not_found, "no member " + x.identity());
  auto reason = "removed by the institution" + (x.reason().empty() ? "" : ": " + x.reason());
  // Told before its seat goes, so the client knows why (and does not
  // reconnect as after a dropped link).
  if (auto p = s.participants.find(x.identity()); p != s.participants.end())
    self->send(p->second, atoms::kick::value, kick_reason(errc::permission_denied, reason));
  remove_member(self, x.identity(), reason);
  return caf::ok_atom::value;
}

caf::result<std::string> on_device_for(self_ptr self, const signal::DeviceCommand& cmd,
                                       const std::string& on_behalf_of) {
  auto* m = self->state.model.member(on_behalf_of);
  if (!m)
    return make_error(errc::not_found, "no member " + on_behalf_of);
  if (!protocol::allowed(m->role(), action::control_device))
    return make_error(errc::permission_denied,
                      on_behalf_of + " is a " + protocol::role_name(m->role())
                        + ": only a teacher or assistant controls lamps");
  return send_device_command(self, on_behalf_of, cmd);
}

} // namespace lamplight::actors::classroom_detail
