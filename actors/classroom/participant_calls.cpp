// A participant's side of its calls: the call machine (protocol::call_machine)
// fed by its client's requests, its peer's moves relayed by the classroom,
// and its own ring and media-setup timers.

#include <cstdio>
#include <random>

#include "actors/base/errors.hpp"
#include "actors/classroom/participant_state.hpp"
#include "protocol/codec.hpp"

namespace lamplight::actors::participant_detail {

namespace {

using protocol::call_machine;
using protocol::call_side;
using protocol::call_signal;
using protocol::call_step;
using protocol::call_timer;

void push_call_update(self_ptr self) {
  const auto& c = self->state.call;
  signal::ServerMessage msg;
  auto* u = msg.mutable_call_update();
  u->set_call_id(c.call_id());
  u->set_phase(static_cast<signal::CallPhase>(c.phase()));
  u->set_reason(static_cast<signal::CallEndReason>(c.reason()));
  u->set_peer(c.peer());
  push(self, std::move(msg));
}

/// Carries out what a call step asks: timers, the signal for the peer, and
/// the update for the own client.
void follow(self_ptr self, const call_step& step) {
  auto& st = self->state;
  if (step.error != errc::none)
    return;
  switch (step.timer) {
    case call_timer::keep:
      break;
    case call_timer::start_ring:
      self->delayed_send(self, st.cfg.timeouts.ring, atoms::timeout::value, timer_kind::ring,
                         st.call.call_id(), ++st.call_timer_gen);
      break;
    case call_timer::start_media:
      self->delayed_send(self, st.cfg.timeouts.media_setup, atoms::timeout::value,
                         timer_kind::media_setup, st.call.call_id(), ++st.call_timer_gen);
      break;
    case call_timer::stop:
      ++st.call_timer_gen;
      break;
  }
  if (step.tell_peer)
    self->send(st.cfg.classroom, atoms::call::value, st.call.call_id(), identity_of(self),
               *step.tell_peer);
  if (step.changed) {
    push_call_update(self);
    update_watching(self);  // the other party's tracks come or go
  }
}

std::string new_call_id(self_ptr self) {
  auto& st = self->state;
  if (st.call_salt == 0)
    st.call_salt = std::random_device{}() | 1u;
  char salt[17];
  std::snprintf(salt, sizeof(salt), "%08llx",
                static_cast<unsigned long long>(st.call_salt & 0xffffffffu));
  return "call-" + identity_of(self) + "-" + salt + "-" + std::to_string(st.next_call++);
}

reply call_input(self_ptr self, uint64_t rid, const std::string& call_id,
                 call_step (call_machine::*input)()) {
  auto& st = self->state;
  if (call_id != st.call.call_id() || call_id.empty())
    return protocol::make_error(rid, errc::not_found, "no call " + call_id);
  auto step = (st.call.*input)();
  if (step.error != errc::none)
    return protocol::make_error(rid, step.error,
                                std::string("call is ") + protocol::to_string(st.call.phase()));
  follow(self, step);
  return ack(rid);
}

reply invite(self_ptr self, uint64_t rid, const signal::CallInvite& x) {
  auto& st = self->state;
  if (st.call.active())
    return protocol::make_error(rid, errc::wrong_state, "already in a call");
  if (x.callee().empty())
    return protocol::make_error(rid, errc::bad_request, "callee missing");
  auto call_id = new_call_id(self);
  st.call = call_machine(call_id, call_side::caller, x.callee());
  follow(self, st.call.invite());
  auto rp = self->make_response_promise<signal::ServerMessage>();
  self->request(st.cfg.classroom, upstream_timeout, atoms::invite::value, call_id,
                identity_of(self), x.callee())
    .then(
      [=](caf::ok_atom) mutable {
        signal::ServerMessage out;
        out.set_request_id(rid);
        out.mutable_call_invited()->set_call_id(call_id);
        rp.deliver(out);
        if (self->state.call.call_id() == call_id)
          follow(self, self->state.call.on_peer(call_signal::alerted));
      },
      [=](caf::error& err) mutable {
        rp.deliver(reply_error(rid, err));
        auto& s = self->state;
        if (s.call.call_id() != call_id)
          return;
        // Busy is an outcome the caller sees as such; anything else means the
        // call never reached anyone.
        auto e = to_protocol_error(err);
        follow(self, s.call.on_peer(e.code == errc::busy ? call_signal::busy
                                                         : call_signal::unreachable));
      });
  return rp;
}

} // namespace

reply on_call_request(self_ptr self, const signal::ClientMessage& m) {
  using M = signal::ClientMessage;
  auto rid = m.request_id();
  switch (m.body_case()) {
    case M::kCallInvite:
      return invite(self, rid, m.call_invite());
    case M::kCallAccept:
      return call_input(self, rid, m.call_accept().call_id(), &call_machine::accept);
    case M::kCallReject:
      return call_input(self, rid, m.call_reject().call_id(), &call_machine::reject);
    case M::kCallCancel:
      return call_input(self, rid, m.call_cancel().call_id(), &call_machine::cancel);
    case M::kCallHangup:
      return call_input(self, rid, m.call_hangup().call_id(), &call_machine::hangup);
    case M::kCallMediaReady:
      return call_input(self, rid, m.call_media_ready().call_id(), &call_machine::media_ready);
    default:
      return protocol::make_error(rid, errc::internal, "not a call request");
  }
}

caf::result<caf::ok_atom> on_ring(self_ptr self, const std::string& call_id,
                                  const std::string& caller, const std::string& caller_name) {
  auto& s = self->state;
  if (s.call.active())
    return make_error(errc::busy, identity_of(self) + " is in a call");
  if (!s.session)
    return make_error(errc::unavailable, identity_of(self) + " is not connected");
  s.call = call_machine(call_id, call_side::callee, caller);
  auto step = s.call.incoming();
  signal::ServerMessage msg;
  auto* in = msg.mutable_incoming_call();
  in->set_call_id(call_id);
  in->set_caller(caller);
  in->set_caller_name(caller_name);
  in->set_ring_timeout_ms(
    std::chrono::duration_cast<std::chrono::milliseconds>(s.cfg.timeouts.ring).count());
  push(self, std::move(msg));
  follow(self, step);
  return caf::ok_atom::value;
}

void on_peer_move(self_ptr self, const std::string& call_id, call_signal sig) {
  if (call_id == self->state.call.call_id())
    follow(self, self->state.call.on_peer(sig));
}

void on_call_timer(self_ptr self, timer_kind kind, const std::string& call_id, uint64_t gen) {
  auto& st = self->state;
  if (call_id != st.call.call_id() || gen != st.call_timer_gen)
    return;  // superseded
  follow(self, kind == timer_kind::ring ? st.call.ring_timeout() : st.call.media_timeout());
}

void resume_call(self_ptr self, const signal::ClassroomSnapshot& snap) {
  auto& st = self->state;
  if (st.call.active())
    return;
  const auto& me = identity_of(self);
  for (const auto& c : snap.calls())
    if (c.phase() == signal::CALL_PHASE_CONNECTED && (c.caller() == me || c.callee() == me)) {
      bool caller = c.caller() == me;
      st.call = call_machine::resumed(c.call_id(), caller ? call_side::caller : call_side::callee,
                                      caller ? c.callee() : c.caller());
      push_call_update(self);
      update_watching(self);
      return;
    }
}

} // namespace lamplight::actors::participant_detail
