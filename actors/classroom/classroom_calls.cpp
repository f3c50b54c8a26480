// The classroom's side of calls: it checks who may call whom, rings the
// callee's participant, relays each party's moves to the other and records
// the call's phases (CallChanged events) and outcome.

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

caf::result<caf::ok_atom> on_invite(self_ptr self, const std::string& call_id,
                                    const std::string& caller, const std::string& callee) {
  auto& s = self->state;
  if (auto err = check_sender(self, caller, action::call))
    return err;
  auto* target = s.model.member(callee);
  if (!target)
    return make_error(errc::not_found, "no member " + callee);
  if (callee == caller)
    return make_error(errc::bad_request, "cannot call oneself");
  if (!protocol::allowed(target->role(), action::answer_call))
    return make_error(errc::permission_denied,
                      std::string("a ") + protocol::role_name(target->role())
                        + " cannot be called");
  if (call_id.empty() || s.calls.count(call_id))
    return make_error(errc::already_exists, "call id in use");
  for (auto& [id, c] : s.calls) {
    if (c.caller == caller || c.callee == caller)
      return make_error(errc::wrong_state, caller + " is already in a call");
    if (c.caller == callee || c.callee == callee) {
      // The caller's call ends busy: an outcome, not only an error.
      count_call(self, call_outcome::busy);
      return make_error(errc::busy, callee + " is busy");
    }
  }
  auto p = s.participants.find(callee);
  if (p == s.participants.end() || target->presence() != signal::PRESENCE_ONLINE) {
    count_call(self, call_outcome::failed);
    return make_error(errc::unavailable, callee + " is not connected");
  }
  s.calls[call_id] = call_record{caller, callee};
  auto caller_name = s.model.member(caller)->display_name();
  auto rp = self->make_response_promise<caf::ok_atom>();
  self->request(p->second, peer_timeout, atoms::ring::value, call_id, caller, caller_name)
    .then(
      [=](caf::ok_atom) mutable {
        record_call(self, call_id, signal::CALL_PHASE_RINGING);
        rp.deliver(caf::ok_atom::value);
      },
      [=](caf::error& err) mutable {
        // Never rang: busy if the callee said so, else it was unreachable
        // (the caller's call ends the same way).
        if (self->state.calls.erase(call_id) != 0)
          count_call(self, to_protocol_error(err).code == errc::busy ? call_outcome::busy
                                                                     : call_outcome::failed);
        rp.deliver(err);
      });
  return rp;
}

void on_call(self_ptr self, const std::string& call_id, const std::string& sender,
             call_signal sig) {
  auto& s = self->state;
  auto i = s.calls.find(call_id);
  if (i == s.calls.end() || !from_member(self, sender))
    return;
  auto& c = i->second;
  if (sender != c.caller && sender != c.callee)
    return;
  auto other = sender == c.caller ? c.callee : c.caller;
  if (auto p = s.participants.find(other); p != s.participants.end())
    self->send(p->second, atoms::call::value, call_id, sig);
  switch (sig) {
    case call_signal::accepted:
      record_call(self, call_id, signal::CALL_PHASE_CONNECTING);
      return;
    case call_signal::media_ready:
      (sender == c.caller ? c.caller_ready : c.callee_ready) = true;
      if (c.caller_ready && c.callee_ready)
        record_call(self, call_id, signal::CALL_PHASE_CONNECTED);
      return;
    case call_signal::unreachable:
    case call_signal::dropped:
      // The classroom's own signals (it decides those where it removes a
      // member or cannot ring); never a party's move.
      return;
    default:
      if (auto why = protocol::end_reason(sig); why != protocol::call_end_reason::none)
        record_call(self, call_id, signal::CALL_PHASE_ENDED,
                    static_cast<signal::CallEndReason>(why));
  }
}

} // namespace lamplight::actors::classroom_detail
