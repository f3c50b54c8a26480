// The participant actor: its seat and its session (attach, reconnect grace,
// relocating after its classroom's node died) and its behavior, which
// dispatches to the handlers of participant_state.hpp.

#include "actors/classroom/participant_actor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "actors/classroom/participant_state.hpp"
#include "protocol/codec.hpp"

namespace lamplight::actors {

namespace participant_detail {

const std::string& identity_of(self_ptr self) {
  return self->state.cfg.member.identity;
}

void push(self_ptr self, signal::ServerMessage msg) {
  if (self->state.session)
    self->send(self->state.session, atoms::push::value, std::move(msg));
}

signal::ServerMessage reply_error(uint64_t request_id, const caf::error& err) {
  return protocol::make_error(request_id, to_protocol_error(err));
}

signal::ServerMessage ack(uint64_t request_id) {
  signal::ServerMessage out;
  out.set_request_id(request_id);
  out.mutable_ack();
  return out;
}

} // namespace participant_detail

namespace {

using namespace participant_detail;

/// After its classroom's node died: attempts to find it again, one every
/// relocate_interval (the cluster notices a death at once when the
/// connection drops, then the replica node rebuilds the classroom).
constexpr int relocate_attempts = 40;
constexpr auto relocate_interval = std::chrono::milliseconds(500);

/// Joined pushed without a request: the classroom came back on another
/// node (its old one died); the client republishes and resubscribes media
/// (what the snapshot lists is what the new node serves).
void push_rejoined(self_ptr self, const signal::ClassroomSnapshot& snap) {
  signal::ServerMessage msg;
  auto* j = msg.mutable_joined();
  j->set_identity(identity_of(self));
  j->set_role(self->state.cfg.member.role);
  *j->mutable_snapshot() = snap;
  push(self, std::move(msg));
}

/// Kicks the attached session, if any, and ends the participant.
void end_with(self_ptr self, signal::ErrorCode code, const std::string& why) {
  signal::Error e;
  e.set_code(code);
  e.set_message(why);
  if (self->state.session)
    self->send(self->state.session, atoms::kick::value, e);
  self->quit();
}

/// Keeps its own row of the classroom from a snapshot.
void take_view(self_ptr self, const signal::ClassroomSnapshot& snap) {
  for (const auto& m : snap.members())
    if (m.identity() == identity_of(self))
      self->state.view = m;
}

/// Looks for the classroom again through the locator and rejoins it.
void relocate(self_ptr self, int32_t attempt) {
  auto& st = self->state;
  if (attempt >= relocate_attempts)
    return end_with(self, signal::ERROR_UNAVAILABLE, "classroom is gone");
  auto again = [=](caf::error&) {
    self->delayed_send(self, relocate_interval, atoms::retry::value, attempt + 1);
  };
  self->request(st.cfg.locator, upstream_timeout, atoms::open::value, st.cfg.member)
    .then(
      [=](classroom_actor& c) {
        self->request(c, upstream_timeout, atoms::join::value, self->state.cfg.member,
                      member_actor{self})
          .then(
            [=](const signal::ClassroomSnapshot& snap, const member_actor& holder) {
              auto& s = self->state;
              if (holder != member_actor{self})
                // Someone took the seat meanwhile (the client came back
                // through another gateway): it is theirs now.
                return end_with(self, signal::ERROR_ALREADY_JOINED,
                                "the seat was taken by a newer connection");
              s.cfg.classroom = c;
              self->monitor(c);
              take_view(self, snap);
              if (!s.session)  // between connections: the seat waits offline
                self->send(c, atoms::presence::value, identity_of(self), false);
              push_rejoined(self, snap);
              learn_tracks(self, snap);
            },
            again);
      },
      again);
}

caf::result<signal::Joined> attach(self_ptr self, session_actor session) {
  auto& s = self->state;
  if (s.session && s.session != session) {
    signal::Error e;
    e.set_code(signal::ERROR_ALREADY_JOINED);
    e.set_message("replaced by a newer connection");
    self->send(s.session, atoms::kick::value, e);
  }
  s.session = session;
  ++s.grace_gen;
  auto rp = self->make_response_promise<signal::Joined>();
  auto joined_with = [=](const signal::ClassroomSnapshot& snap) mutable {
    signal::Joined j;
    j.set_identity(identity_of(self));
    j.set_role(self->state.cfg.member.role);
    *j.mutable_snapshot() = snap;
    rp.deliver(j);
    // Device requests still waiting for this lamp survive a reconnect, and
    // so does an offer of its subscribe session it did not answer.
    push_pending_commands(self);
    repeat_session_offer(self);
  };
  if (s.joined) {
    self->send(s.cfg.classroom, atoms::presence::value, identity_of(self), true);
    self->request(s.cfg.classroom, upstream_timeout, caf::get_atom::value, identity_of(self))
      .then(joined_with, [=](caf::error& err) mutable { rp.deliver(err); });
    return rp;
  }
  self->request(s.cfg.classroom, upstream_timeout, atoms::join::value, s.cfg.member,
                member_actor{self})
    .then(
      [=](const signal::ClassroomSnapshot& snap, const member_actor& holder) mutable {
        if (holder != member_actor{self}) {
          // Someone holds this seat already (a reconnect from a new
          // connection): hand the session over to it and step aside.
          rp.delegate(holder, atoms::attach::value, self->state.session);
          self->state.session = nullptr;
          self->quit();
          return;
        }
        self->state.joined = true;
        take_view(self, snap);
        joined_with(snap);
        learn_tracks(self, snap);
        resume_call(self, snap);
      },
      [=](caf::error& err) mutable {
        rp.deliver(err);
        self->quit();
      });
  return rp;
}

void detach(self_ptr self, const session_actor& session) {
  auto& s = self->state;
  if (s.session != session)
    return;
  s.session = nullptr;
  self->send(s.cfg.classroom, atoms::presence::value, identity_of(self), false);
  self->delayed_send(self, s.cfg.timeouts.reconnect_grace, atoms::timeout::value,
                     timer_kind::reconnect_grace, std::string{}, ++s.grace_gen);
}

/// A classroom event: kept in its own view where it concerns it, pushed.
void on_delta(self_ptr self, const signal::ClassroomEvent& ev) {
  auto& v = self->state.view;
  const auto& me = identity_of(self);
  using E = signal::ClassroomEvent;
  if (ev.kind_case() == E::kDevice && ev.device().identity() == me) {
    if (ev.device().camera() != signal::CAMERA_UNSPECIFIED)
      v.set_camera(ev.device().camera());
    if (ev.device().screen() != signal::SCREEN_UNSPECIFIED)
      v.set_screen(ev.device().screen());
  } else if (ev.kind_case() == E::kHandRaised && ev.hand_raised().identity() == me) {
    v.set_hand_raised(true);
  } else if (ev.kind_case() == E::kHandLowered && ev.hand_lowered().identity() == me) {
    v.set_hand_raised(false);
  }
  signal::ServerMessage msg;
  *msg.mutable_event() = ev;
  push(self, std::move(msg));
  learn_event(self, ev);
}

void on_timeout(self_ptr self, timer_kind kind, const std::string& subject, uint64_t gen) {
  auto& st = self->state;
  switch (kind) {
    case timer_kind::ring:
    case timer_kind::media_setup:
      return on_call_timer(self, kind, subject, gen);
    case timer_kind::device_deadline:
      return on_device_deadline(self, subject);
    case timer_kind::reconnect_grace:
      if (gen == st.grace_gen && !st.session) {
        // Gone for good: leaving ends its calls for the other side
        // (peer_dropped) and frees the seat.
        self->request(st.cfg.classroom, upstream_timeout, atoms::leave::value, identity_of(self),
                      std::string("connection lost"))
          .then([=](caf::ok_atom) { self->quit(); }, [=](caf::error&) { self->quit(); });
      }
      return;
    case timer_kind::absent_member:
    case timer_kind::journal_flush:
    case timer_kind::speakers:
    case timer_kind::join_deadline:
      return;
  }
}

bool from_self(self_ptr self) {
  return self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self);
}

participant_actor::behavior_type participant_impl(self_ptr self, participant_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.view.set_identity(st.cfg.member.identity);
  st.view.set_role(st.cfg.member.role);
  self->monitor(st.cfg.classroom);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    if (dm.source != s.cfg.classroom.address())
      return;
    // A classroom on another node that did not close (its node died or
    // stopped), or one handed over (drain), is rebuilt by the cluster
    // elsewhere: rejoin it there.
    bool remote = s.cfg.classroom->node() != self->node();
    bool elsewhere = remote ? dm.reason != caf::exit_reason::normal : is_classroom_moved(dm.reason);
    if (s.cfg.locator && s.joined && elsewhere)
      relocate(self, 0);
    else
      end_with(self, signal::ERROR_UNAVAILABLE, "classroom is gone");
  });
  return {
    // -- its seat, from the classroom and dispatcher (member_actor) ---------------
    [=](atoms::attach, session_actor session) { return attach(self, std::move(session)); },
    [=](atoms::delta, const signal::ClassroomEvent& ev) { on_delta(self, ev); },
    [=](atoms::offer, const signal::SubscribeOffer& offer) { on_session_offer(self, offer); },
    [=](atoms::ring, const std::string& call_id, const std::string& caller,
        const std::string& caller_name) { return on_ring(self, call_id, caller, caller_name); },
    [=](atoms::call, const std::string& call_id, protocol::call_signal sig) {
      on_peer_move(self, call_id, sig);
    },
    [=](atoms::device, const signal::DeviceRequest& req) { return on_device_request(self, req); },
    [=](atoms::outcome, const signal::DeviceOutcome& o) {
      signal::ServerMessage msg;
      *msg.mutable_device_outcome() = o;
      push(self, std::move(msg));
    },
    [=](atoms::speakers, const signal::Speakers& x) {
      signal::ServerMessage msg;
      *msg.mutable_speakers() = x;
      push(self, std::move(msg));
    },
    [=](atoms::kick, const signal::Error& why) {
      if (self->state.session)
        self->send(self->state.session, atoms::kick::value, why);
      self->quit();
    },
    [=](atoms::resync, const signal::ClassroomSnapshot& snap) {
      if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self->state.cfg.classroom)) {
        push_rejoined(self, snap);
        learn_tracks(self, snap);
      }
    },
    [=](atoms::qna, const signal::QnaUpdate& u) {
      signal::ServerMessage msg;
      *msg.mutable_qna_update() = u;
      push(self, std::move(msg));
    },
    // -- from its session ---------------------------------------------------------
    [=](atoms::detach, session_actor session) { detach(self, session); },
    [=](atoms::client, const signal::ClientMessage& m) -> reply {
      if (!self->state.joined)
        return protocol::make_error(m.request_id(), errc::not_joined, "not joined yet");
      return on_client(self, m);
    },
    // -- own timers -----------------------------------------------------------------
    [=](atoms::timeout, timer_kind kind, const std::string& subject, uint64_t gen) {
      if (from_self(self))
        on_timeout(self, kind, subject, gen);
    },
    [=](atoms::retry, int32_t attempt) {
      if (from_self(self))
        relocate(self, attempt);
    },
    // -- inspection -------------------------------------------------------------------
    [=](caf::get_atom) {
      auto& s = self->state;
      auto v = s.view;
      v.set_presence(s.session ? signal::PRESENCE_ONLINE : signal::PRESENCE_OFFLINE);
      v.set_call_id(s.call.active() ? s.call.call_id() : std::string{});
      return v;
    },
  };
}

} // namespace

participant_actor spawn_participant(caf::actor_system& sys, participant_config cfg) {
  return sys.spawn(participant_impl, std::move(cfg));
}

} // namespace lamplight::actors
