#include "protocol/call_machine.hpp"

namespace lamplight::protocol {

const char* to_string(call_phase x) {
  switch (x) {
    case call_phase::idle: return "idle";
    case call_phase::inviting: return "inviting";
    case call_phase::ringing: return "ringing";
    case call_phase::connecting: return "connecting";
    case call_phase::connected: return "connected";
    case call_phase::ended: return "ended";
  }
  return "unknown";
}

const char* to_string(call_end_reason x) {
  switch (x) {
    case call_end_reason::none: return "none";
    case call_end_reason::rejected: return "rejected";
    case call_end_reason::cancelled: return "cancelled";
    case call_end_reason::busy: return "busy";
    case call_end_reason::ring_timeout: return "ring_timeout";
    case call_end_reason::media_timeout: return "media_timeout";
    case call_end_reason::hangup: return "hangup";
    case call_end_reason::peer_dropped: return "peer_dropped";
    case call_end_reason::failed: return "failed";
  }
  return "unknown";
}

const char* to_string(call_side x) {
  return x == call_side::caller ? "caller" : "callee";
}

const char* to_string(call_signal x) {
  switch (x) {
    case call_signal::alerted: return "alerted";
    case call_signal::busy: return "busy";
    case call_signal::unreachable: return "unreachable";
    case call_signal::accepted: return "accepted";
    case call_signal::rejected: return "rejected";
    case call_signal::cancelled: return "cancelled";
    case call_signal::media_ready: return "media_ready";
    case call_signal::hangup: return "hangup";
    case call_signal::ring_timeout: return "ring_timeout";
    case call_signal::media_timeout: return "media_timeout";
    case call_signal::dropped: return "dropped";
  }
  return "unknown";
}

call_end_reason end_reason(call_signal s) {
  switch (s) {
    case call_signal::busy: return call_end_reason::busy;
    case call_signal::rejected: return call_end_reason::rejected;
    case call_signal::cancelled: return call_end_reason::cancelled;
    case call_signal::hangup: return call_end_reason::hangup;
    case call_signal::ring_timeout: return call_end_reason::ring_timeout;
    case call_signal::media_timeout: return call_end_reason::media_timeout;
    case call_signal::unreachable: return call_end_reason::failed;
    case call_signal::dropped: return call_end_reason::peer_dropped;
    case call_signal::alerted:
    case call_signal::accepted:
    case call_signal::media_ready:
      return call_end_reason::none;
  }
  return call_end_reason::none;
}

const char* to_string(call_timer x) {
  switch (x) {
    case call_timer::keep: return "keep";
    case call_timer::start_ring: return "start_ring";
    case call_timer::start_media: return "start_media";
    case call_timer::stop: return "stop";
  }
  return "unknown";
}

call_machine::call_machine(std::string call_id, call_side side, std::string peer)
  : call_id_(std::move(call_id)), peer_(std::move(peer)), side_(side) {
}

call_machine call_machine::resumed(std::string call_id, call_side side, std::string peer) {
  call_machine m(std::move(call_id), side, std::move(peer));
  m.phase_ = call_phase::connected;
  m.local_ready_ = true;
  m.peer_ready_ = true;
  return m;
}

namespace {

call_step moved(call_phase to, std::optional<call_signal> tell, call_timer timer) {
  call_step s;
  s.phase = to;
  s.tell_peer = tell;
  s.timer = timer;
  s.changed = true;
  return s;
}

bool ringing_phase(call_phase p) {
  return p == call_phase::inviting || p == call_phase::ringing;
}

bool media_phase(call_phase p) {
  return p == call_phase::connecting || p == call_phase::connected;
}

} // namespace

call_step call_machine::end(call_end_reason why, std::optional<call_signal> tell) {
  phase_ = call_phase::ended;
  reason_ = why;
  return moved(phase_, tell, call_timer::stop);
}

call_step call_machine::fail(errc code) const {
  call_step s;
  s.error = code;
  s.phase = phase_;
  return s;
}

call_step call_machine::invite() {
  if (side_ != call_side::caller)
    return fail(errc::permission_denied);
  if (phase_ != call_phase::idle)
    return fail(errc::wrong_state);
  phase_ = call_phase::inviting;
  return moved(phase_, std::nullopt, call_timer::start_ring);
}

call_step call_machine::accept() {
  if (side_ != call_side::callee)
    return fail(errc::permission_denied);
  if (phase_ != call_phase::ringing)
    return fail(errc::wrong_state);
  phase_ = call_phase::connecting;
  return moved(phase_, call_signal::accepted, call_timer::start_media);
}

call_step call_machine::reject() {
  if (side_ != call_side::callee)
    return fail(errc::permission_denied);
  if (phase_ != call_phase::ringing)
    return fail(errc::wrong_state);
  return end(call_end_reason::rejected, call_signal::rejected);
}

call_step call_machine::cancel() {
  if (side_ != call_side::caller)
    return fail(errc::permission_denied);
  if (!ringing_phase(phase_))
    return fail(errc::wrong_state);
  return end(call_end_reason::cancelled, call_signal::cancelled);
}

call_step call_machine::hangup() {
  if (!media_phase(phase_))
    return fail(errc::wrong_state);
  return end(call_end_reason::hangup, call_signal::hangup);
}

call_step call_machine::media_ready() {
  if (phase_ != call_phase::connecting || local_ready_)
    return fail(errc::wrong_state);
  local_ready_ = true;
  if (peer_ready_) {
    phase_ = call_phase::connected;
    return moved(phase_, call_signal::media_ready, call_timer::stop);
  }
  // Readiness changed although the phase did not: the owner may report it.
  return moved(phase_, call_signal::media_ready, call_timer::keep);
}

call_step call_machine::incoming() {
  if (side_ != call_side::callee)
    return fail(errc::permission_denied);
  if (phase_ != call_phase::idle)
    return fail(errc::wrong_state);
  phase_ = call_phase::ringing;
  return moved(phase_, call_signal::alerted, call_timer::start_ring);
}

call_step call_machine::ring_timeout() {
  if (!ringing_phase(phase_))
    return fail(errc::wrong_state);
  return end(call_end_reason::ring_timeout, call_signal::ring_timeout);
}

call_step call_machine::media_timeout() {
  if (phase_ != call_phase::connecting)
    return fail(errc::wrong_state);
  return end(call_end_reason::media_timeout, call_signal::media_timeout);
}

call_step call_machine::on_peer(call_signal s) {
  const bool caller = side_ == call_side::caller;
  switch (s) {
    // Signals only a callee (or the classroom on its behalf) sends.
    case call_signal::alerted:
      if (!caller)
        return fail(errc::permission_denied);
      if (phase_ != call_phase::inviting)
        return fail(errc::wrong_state);
      phase_ = call_phase::ringing;
      return moved(phase_, std::nullopt, call_timer::keep);
    case call_signal::busy:
      if (!caller)
        return fail(errc::permission_denied);
      if (phase_ != call_phase::inviting)
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    case call_signal::unreachable:
      if (!caller)
        return fail(errc::permission_denied);
      if (!ringing_phase(phase_))
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    case call_signal::accepted:
      if (!caller)
        return fail(errc::permission_denied);
      // The alert may be lost in a race with the accept: take it in inviting too.
      if (!ringing_phase(phase_))
        return fail(errc::wrong_state);
      phase_ = call_phase::connecting;
      return moved(phase_, std::nullopt, call_timer::start_media);
    case call_signal::rejected:
      if (!caller)
        return fail(errc::permission_denied);
      if (!ringing_phase(phase_))
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    // Only a caller sends this.
    case call_signal::cancelled:
      if (caller)
        return fail(errc::permission_denied);
      if (phase_ != call_phase::ringing)
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    // Either side.
    case call_signal::media_ready:
      if (phase_ != call_phase::connecting || peer_ready_)
        return fail(errc::wrong_state);
      peer_ready_ = true;
      if (local_ready_) {
        phase_ = call_phase::connected;
        return moved(phase_, std::nullopt, call_timer::stop);
      }
      return moved(phase_, std::nullopt, call_timer::keep);
    case call_signal::hangup:
      if (!media_phase(phase_))
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    case call_signal::ring_timeout:
      if (!ringing_phase(phase_))
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    case call_signal::media_timeout:
      if (phase_ != call_phase::connecting)
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
    case call_signal::dropped:
      if (!active())
        return fail(errc::wrong_state);
      return end(end_reason(s), std::nullopt);
  }
  return fail(errc::bad_request);
}

} // namespace lamplight::protocol
