#include "actors/classroom/classroom_state.hpp"

#include <algorithm>
#include <optional>

#include <caf/send.hpp>

#include "actors/base/errors.hpp"

namespace lamplight::actors::classroom_detail {

std::string next_id(self_ptr self, const char* prefix) {
  return std::string(prefix) + "-" + std::to_string(self->state.model.seq()) + "-" +
         std::to_string(self->state.next_id++);
}

/// Journals the event, applies it, and sends it as a delta to every
/// participant allowed to see it and to every watcher. The journal write comes
/// first: a change that is not on disk never reaches anyone.
void replicate(self_ptr self, bool last) {
  auto& st = self->state;
  if (st.cfg.replicator)
    self->send(st.cfg.replicator, atoms::replicate::value,
               storage::classroom_key(st.cfg.spec.tenant, st.cfg.spec.classroom_id), st.journal.size(), last);
}

protocol::error commit(self_ptr self, signal::ClassroomEvent ev) {
  auto& st = self->state;
  ev.set_seq(st.model.seq() + 1);
  ev.set_at_ms(wall_ms());
  // Visibility is judged on the state before the event (see visible_to).
  std::vector<member_actor> to;
  for (auto& [identity, p] : st.participants)
    if (st.model.visible_to(ev, identity))
      to.push_back(p);
  if (auto err = st.journal.append(ev); err.code != errc::none)
    return err;
  replicate(self, false);
  if (st.cfg.history)
    st.cfg.history->post(st.cfg.spec.tenant, st.cfg.spec.classroom_id, ev);
  if (auto code = st.model.apply(ev); code != errc::none) {
    // Cannot happen for events built here; the journal now holds one the
    // model refused, which a rebuild skips the same way.
    return {errc::internal, "classroom refused its own event"};
  }
  for (auto& p : to)
    self->send(p, atoms::delta::value, ev);
  // A speaker whose microphone went (or was muted, or who left) stops
  // speaking now, not when its media stops arriving.
  if (!st.speaking.empty() && (ev.has_track_unpublished() || ev.has_track_muted() || ev.has_member_left()))
    arm_speakers_timer(self);
  if (!st.watchers.empty()) {
    signal::ServerMessage push;
    *push.mutable_event() = ev;
    for (auto& w : st.watchers)
      self->send(w, atoms::push::value, push);
  }
  return {};
}

caf::error to_caf(const protocol::error& e) {
  return make_error(e.code, e.message);
}

/// The sender of the current message is the registered participant of
/// `identity`: requests cannot be made in someone else's name.
bool from_member(self_ptr self, const std::string& identity) {
  auto i = self->state.participants.find(identity);
  return i != self->state.participants.end() &&
         self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(i->second);
}

/// Checks that the sender speaks for `identity`, who is a member allowed `a`.
caf::error check_sender(self_ptr self, const std::string& identity, action a) {
  if (!from_member(self, identity))
    return make_error(errc::permission_denied,
                      "request not sent by the participant of " + identity);
  auto* m = self->state.model.member(identity);
  if (!m)
    return make_error(errc::not_joined, identity + " is not a member");
  if (!protocol::allowed(m->role(), a))
    return make_error(errc::permission_denied, std::string("a ") + protocol::role_name(m->role()) +
                                                   " may not " + protocol::to_string(a));
  return {};
}

signal::Error kick_reason(errc code, std::string message) {
  signal::Error e;
  e.set_code(protocol::to_proto(code));
  e.set_message(std::move(message));
  return e;
}

void count_call(self_ptr self, call_outcome x) {
  if (self->state.cfg.tally)
    self->send(self->state.cfg.tally, atoms::tally::value, x);
}

void record_call(self_ptr self, const std::string& call_id, signal::CallPhase phase,
                 signal::CallEndReason reason) {
  auto i = self->state.calls.find(call_id);
  if (i == self->state.calls.end())
    return;
  // Each call counts once per outcome: ENDED erases it below, and connected
  // is remembered.
  if (phase == signal::CALL_PHASE_CONNECTED && !i->second.connected) {
    i->second.connected = true;
    count_call(self, call_outcome::connected);
  } else if (phase == signal::CALL_PHASE_ENDED && reason != signal::CALL_END_UNSPECIFIED) {
    count_call(self, outcome_of(static_cast<protocol::call_end_reason>(reason)));
  }
  signal::ClassroomEvent ev;
  auto* c = ev.mutable_call()->mutable_call();
  c->set_call_id(call_id);
  c->set_caller(i->second.caller);
  c->set_callee(i->second.callee);
  c->set_phase(phase);
  c->set_reason(reason);
  if (phase == signal::CALL_PHASE_ENDED) {
    bool recorded = i->second.recorded;
    self->state.calls.erase(i);
    if (!recorded)
      return;
  } else {
    i->second.recorded = true;
  }
  commit(self, std::move(ev));
}

/// Removes a member: the other party of each of its calls hears `dropped`,
/// its tracks close, then MemberLeft (which also drops its hand and calls).
void remove_member(self_ptr self, const std::string& identity, const std::string& reason) {
  auto& st = self->state;
  for (auto i = st.calls.begin(); i != st.calls.end();) {
    auto& c = i->second;
    if (c.caller == identity || c.callee == identity) {
      auto& other = c.caller == identity ? c.callee : c.caller;
      if (auto p = st.participants.find(other); p != st.participants.end())
        self->send(p->second, atoms::call::value, i->first, call_signal::dropped);
      count_call(self, call_outcome::peer_dropped);
      i = st.calls.erase(i);
    } else {
      ++i;
    }
  }
  // Its tracks close (taking their media along); the others forget it.
  for (auto i = st.tracks.begin(); i != st.tracks.end();) {
    auto* t = st.model.track(i->first);
    if (t && t->owner() == identity) {
      caf::anon_send(i->second, atoms::close::value);
      i = st.tracks.erase(i);
    } else {
      caf::anon_send(i->second, atoms::drop::value, identity);
      ++i;
    }
  }
  for (auto i = st.commands.begin(); i != st.commands.end();)
    i = i->second.target == identity || i->second.requester == identity ? st.commands.erase(i)
                                                                        : std::next(i);
  st.sections.erase(identity);
  if (st.rtc)
    caf::anon_send(st.rtc, atoms::drop::value, identity);
  st.participants.erase(identity);
  st.absent_timers.erase(identity);
  if (st.model.member(identity)) {
    signal::ClassroomEvent ev;
    ev.mutable_member_left()->set_identity(identity);
    ev.mutable_member_left()->set_reason(reason);
    commit(self, std::move(ev));
  }
}

void set_presence(self_ptr self, const std::string& identity, bool online) {
  auto* m = self->state.model.member(identity);
  auto want = online ? signal::PRESENCE_ONLINE : signal::PRESENCE_OFFLINE;
  if (!m || m->presence() == want)
    return;
  signal::ClassroomEvent ev;
  ev.mutable_presence()->set_identity(identity);
  ev.mutable_presence()->set_presence(want);
  commit(self, std::move(ev));
}

void arm_flush_timer(self_ptr self) {
  self->delayed_send(self, self->state.cfg.flush_interval, atoms::timeout::value,
                     timer_kind::journal_flush, std::string{}, uint64_t{0});
}

/// After a rebuild nobody is connected: members wait offline for their
/// grace. Tracks are unpublished: their media died with the old process.
/// Calls that were running end, unless the classroom was adopted from a
/// node that died: their participants live on gateways and come back.
void settle_after_rebuild(self_ptr self) {
  auto& st = self->state;
  std::vector<signal::CallInfo> running(st.model.snapshot().calls().begin(),
                                        st.model.snapshot().calls().end());
  for (auto& c : running) {
    bool up = c.phase() == signal::CALL_PHASE_CONNECTED;
    st.calls[c.call_id()] = call_record{c.caller(), c.callee(), up, up, true, up};
    if (!st.cfg.adopted)
      record_call(self, c.call_id(), signal::CALL_PHASE_ENDED, signal::CALL_END_PEER_DROPPED);
  }
  std::vector<std::string> tracks;
  for (const auto& t : st.model.snapshot().tracks())
    tracks.push_back(t.track_id());
  for (auto& id : tracks) {
    signal::ClassroomEvent ev;
    ev.mutable_track_unpublished()->set_track_id(id);
    commit(self, std::move(ev));
  }
  std::vector<std::string> members;
  for (const auto& m : st.model.snapshot().members())
    members.push_back(m.identity());
  for (auto& id : members)
    mark_absent(self, id);
}

void mark_absent(self_ptr self, const std::string& identity) {
  auto& st = self->state;
  set_presence(self, identity, false);
  auto gen = ++st.timer_generation;
  st.absent_timers[identity] = gen;
  self->delayed_send(self, st.cfg.absent_grace, atoms::timeout::value, timer_kind::absent_member,
                     identity, gen);
}

signal::DeviceOutcome photo_outcome(self_ptr self, const pending_command& cmd,
                                    const signal::DeviceOutcome& done) {
  auto& s = self->state;
  auto out = done;
  const auto& id = done.detail();
  uint64_t bytes = 0;
  if (s.cfg.photos)
    for (const auto& r : s.cfg.photos->records(s.cfg.spec.tenant, id))
      if (r.classroom() == s.cfg.spec.classroom_id && r.owner() == cmd.target)
        bytes = r.size();
  if (bytes == 0) {
    out.set_state(signal::DEVICE_STATE_FAILED);
    out.set_detail("photo '" + id + "' was not stored by " + cmd.target);
    return out;
  }
  signal::ClassroomEvent ev;
  auto* p = ev.mutable_photo_taken();
  p->set_photo_id(id);
  p->set_owner(cmd.target);
  p->set_taken_by(cmd.requester);
  p->set_command_id(cmd.request.command_id());
  p->set_width(cmd.request.capture_photo().width());
  p->set_height(cmd.request.capture_photo().height());
  p->set_bytes(bytes);
  if (auto err = commit(self, std::move(ev)); err.code != protocol::errc::none) {
    out.set_state(signal::DEVICE_STATE_FAILED);
    out.set_detail("the photo is stored but could not be journaled: " + err.message);
  }
  return out;
}

} // namespace lamplight::actors::classroom_detail
