#include "actors/participant_actor.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/classroom_actor.hpp"
#include "actors/directory_actor.hpp"
#include "actors/dispatcher_actor.hpp"
#include "actors/clock.hpp"
#include "actors/errors.hpp"
#include "protocol/codec.hpp"
#include "protocol/device_command.hpp"

namespace lamplight::actors {

namespace {

using protocol::call_machine;
using protocol::call_side;
using protocol::call_signal;
using protocol::call_step;
using protocol::call_timer;
using protocol::errc;

/// Requests to the classroom or dispatcher: finite, so a dead node turns into
/// errc::timeout / unavailable for the client instead of a request that never
/// answers.
constexpr auto upstream_timeout = std::chrono::seconds(10);

/// After its classroom's node died: attempts to find it again, one every
/// relocate_interval (the cluster notices a death at once when the
/// connection drops, then the replica node rebuilds the classroom).
constexpr int relocate_attempts = 40;
constexpr auto relocate_interval = std::chrono::milliseconds(500);

struct participant_state {
  protocol::token_claims claims;
  classroom_actor classroom;
  directory_actor directory;  // to find the classroom again (may be invalid)
  dispatcher_actor dispatcher;
  participant_timeouts timeouts;
  session_actor session;
  bool joined = false;
  signal::Member view;  // own row of the classroom, kept from deltas
  call_machine call;
  uint64_t call_timer_gen = 0;
  uint64_t grace_gen = 0;
  std::map<std::string, protocol::device_command> commands;  // addressed to this lamp
  uint64_t next_call = 1;
  uint64_t call_salt = 0;
  static inline const char* name = "lamplight.participant";
};

using self_ptr = participant_actor::stateful_pointer<participant_state>;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
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
      self->delayed_send(self, st.timeouts.ring, atoms::timeout::value, timer_kind::ring,
                         st.call.call_id(), ++st.call_timer_gen);
      break;
    case call_timer::start_media:
      self->delayed_send(self, st.timeouts.media_setup, atoms::timeout::value,
                         timer_kind::media_setup, st.call.call_id(), ++st.call_timer_gen);
      break;
    case call_timer::stop:
      ++st.call_timer_gen;
      break;
  }
  if (step.tell_peer)
    self->send(st.classroom, atoms::call::value, st.call.call_id(), st.claims.identity,
               *step.tell_peer);
  if (step.changed)
    push_call_update(self);
}

std::string new_call_id(self_ptr self) {
  auto& st = self->state;
  if (st.call_salt == 0)
    st.call_salt = std::random_device{}() | 1u;
  char salt[17];
  std::snprintf(salt, sizeof(salt), "%08llx",
                static_cast<unsigned long long>(st.call_salt & 0xffffffffu));
  return "call-" + st.claims.identity + "-" + salt + "-" + std::to_string(st.next_call++);
}

/// The classroom recorded a connected call of ours that this participant
/// does not know (it replaced one that died with its gateway): take it up.
void resume_call(self_ptr self, const signal::ClassroomSnapshot& snap) {
  auto& st = self->state;
  if (st.call.active())
    return;
  const auto& me = st.claims.identity;
  for (const auto& c : snap.calls())
    if (c.phase() == signal::CALL_PHASE_CONNECTED && (c.caller() == me || c.callee() == me)) {
      bool caller = c.caller() == me;
      st.call = call_machine::resumed(c.call_id(), caller ? call_side::caller : call_side::callee,
                                      caller ? c.callee() : c.caller());
      push_call_update(self);
      return;
    }
}

/// Joined pushed without a request: the classroom came back on another
/// node (its old one died); the client republishes and resubscribes media
/// (what the snapshot lists is what the new node serves).
void push_rejoined(self_ptr self, const signal::ClassroomSnapshot& snap) {
  signal::ServerMessage msg;
  auto* j = msg.mutable_joined();
  j->set_identity(self->state.claims.identity);
  j->set_role(self->state.claims.role);
  *j->mutable_snapshot() = snap;
  push(self, std::move(msg));
}

/// The classroom is gone for good: so is the participant (and its client's
/// session is told why).
void end_with_classroom(self_ptr self) {
  signal::Error e;
  e.set_code(signal::ERROR_UNAVAILABLE);
  e.set_message("classroom is gone");
  if (self->state.session)
    self->send(self->state.session, atoms::kick::value, e);
  self->quit();
}

/// Looks for the classroom again through the directory and rejoins it.
void relocate(self_ptr self, int32_t attempt) {
  auto& st = self->state;
  if (attempt >= relocate_attempts)
    return end_with_classroom(self);
  auto again = [=](caf::error&) {
    self->delayed_send(self, relocate_interval, atoms::retry::value, attempt + 1);
  };
  self->request(st.directory, upstream_timeout, atoms::open::value, st.claims)
    .then(
      [=](classroom_actor& c) {
        self->request(c, upstream_timeout, atoms::join::value, self->state.claims,
                      participant_actor{self})
          .then(
            [=](const signal::ClassroomSnapshot& snap, participant_actor holder) {
              auto& s = self->state;
              if (holder != participant_actor{self}) {
                // Someone took the seat meanwhile (the client came back
                // through another gateway): it is theirs now.
                signal::Error e;
                e.set_code(signal::ERROR_ALREADY_JOINED);
                e.set_message("the seat was taken by a newer connection");
                if (s.session)
                  self->send(s.session, atoms::kick::value, e);
                self->quit();
                return;
              }
              s.classroom = c;
              self->monitor(c);
              for (const auto& m : snap.members())
                if (m.identity() == s.claims.identity)
                  s.view = m;
              if (!s.session)  // between connections: the seat waits offline
                self->send(c, atoms::presence::value, s.claims.identity, false);
              push_rejoined(self, snap);
            },
            again);
      },
      again);
}

/// A request answered by the classroom (or dispatcher) with ok: Ack, or the
/// error it gave.
template <class Handle, class... Ts>
caf::result<signal::ServerMessage> relay_ok(self_ptr self, uint64_t rid, const Handle& dest,
                                            Ts&&... xs) {
  auto rp = self->make_response_promise<signal::ServerMessage>();
  self->request(dest, upstream_timeout, std::forward<Ts>(xs)...)
    .then([=](caf::ok_atom) mutable { rp.deliver(ack(rid)); },
          [=](caf::error& err) mutable { rp.deliver(reply_error(rid, err)); });
  return rp;
}

caf::result<signal::ServerMessage> call_input(self_ptr self, uint64_t rid,
                                              const std::string& call_id,
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

caf::result<signal::ServerMessage> invite(self_ptr self, uint64_t rid,
                                          const signal::CallInvite& x) {
  auto& st = self->state;
  if (st.call.active())
    return protocol::make_error(rid, errc::wrong_state, "already in a call");
  if (x.callee().empty())
    return protocol::make_error(rid, errc::bad_request, "callee missing");
  auto call_id = new_call_id(self);
  st.call = call_machine(call_id, protocol::call_side::caller, x.callee());
  auto step = st.call.invite();
  follow(self, step);
  auto rp = self->make_response_promise<signal::ServerMessage>();
  self->request(st.classroom, upstream_timeout, atoms::invite::value, call_id,
                st.claims.identity, x.callee())
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

caf::result<signal::ServerMessage> device_ack(self_ptr self, uint64_t rid,
                                              const signal::DeviceAck& x) {
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
    return protocol::make_error(rid, res, std::string("command is ")
                                            + protocol::to_string(cmd.state()));
  self->send(st.classroom, atoms::outcome::value, cmd.outcome());
  if (cmd.terminal())
    st.commands.erase(i);
  return ack(rid);
}

/// The classroom's command handlers for one body type.
template <class Body, class Result, class Convert>
caf::result<signal::ServerMessage> classroom_command(self_ptr self, uint64_t rid,
                                                     const Body& body, Convert convert) {
  auto rp = self->make_response_promise<signal::ServerMessage>();
  self->request(self->state.classroom, upstream_timeout, atoms::command::value,
                self->state.claims.identity, body)
    .then(
      [=](const Result& r) mutable {
        signal::ServerMessage out;
        out.set_request_id(rid);
        convert(r, out);
        rp.deliver(out);
      },
      [=](caf::error& err) mutable { rp.deliver(reply_error(rid, err)); });
  return rp;
}

template <class Body>
caf::result<signal::ServerMessage> classroom_ok(self_ptr self, uint64_t rid, const Body& body) {
  return classroom_command<Body, caf::ok_atom>(
    self, rid, body, [](caf::ok_atom, signal::ServerMessage& out) { out.mutable_ack(); });
}

caf::result<signal::ServerMessage> handle_client(self_ptr self, const signal::ClientMessage& m) {
  using M = signal::ClientMessage;
  auto& st = self->state;
  auto rid = m.request_id();
  const auto& me = st.claims.identity;
  switch (m.body_case()) {
    case M::kJoin:
      return protocol::make_error(rid, errc::already_joined, "already joined");
    case M::kLeave: {
      auto rp = self->make_response_promise<signal::ServerMessage>();
      self->request(st.classroom, upstream_timeout, atoms::leave::value, me,
                    std::string("left"))
        .then(
          [=](caf::ok_atom) mutable {
            rp.deliver(ack(rid));
            self->quit();
          },
          [=](caf::error& err) mutable { rp.deliver(reply_error(rid, err)); });
      return rp;
    }
    case M::kPing:
      return protocol::make_pong(rid, m.ping().client_time_ms(), wall_ms());
    case M::kGetSnapshot: {
      auto rp = self->make_response_promise<signal::ServerMessage>();
      self->request(st.classroom, upstream_timeout, caf::get_atom::value, me)
        .then(
          [=](const signal::ClassroomSnapshot& snap) mutable {
            signal::ServerMessage out;
            out.set_request_id(rid);
            *out.mutable_snapshot() = snap;
            rp.deliver(out);
          },
          [=](caf::error& err) mutable { rp.deliver(reply_error(rid, err)); });
      return rp;
    }
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
    case M::kRaiseHand:
      return classroom_ok(self, rid, m.raise_hand());
    case M::kLowerHand:
      return classroom_ok(self, rid, m.lower_hand());
    case M::kAcceptHand:
      return classroom_ok(self, rid, m.accept_hand());
    case M::kDismissHand:
      return classroom_ok(self, rid, m.dismiss_hand());
    case M::kQnaAsk: {
      if (!st.dispatcher)
        return protocol::make_error(rid, errc::unavailable, "no Q&A dispatcher here");
      auto rp = self->make_response_promise<signal::ServerMessage>();
      self->request(st.dispatcher, upstream_timeout, atoms::ask::value, st.claims, m.qna_ask(),
                    participant_actor{self})
        .then(
          [=](const signal::QnaAsked& r) mutable {
            signal::ServerMessage out;
            out.set_request_id(rid);
            *out.mutable_qna_asked() = r;
            rp.deliver(out);
          },
          [=](caf::error& err) mutable { rp.deliver(reply_error(rid, err)); });
      return rp;
    }
    case M::kQnaWithdraw:
      if (!st.dispatcher)
        return protocol::make_error(rid, errc::unavailable, "no Q&A dispatcher here");
      return relay_ok(self, rid, st.dispatcher, atoms::withdraw::value, me,
                      m.qna_withdraw().question_id());
    case M::kQnaAvailability:
      if (!st.dispatcher)
        return protocol::make_error(rid, errc::unavailable, "no Q&A dispatcher here");
      return relay_ok(self, rid, st.dispatcher, atoms::avail::value, st.claims,
                      m.qna_availability().available(), participant_actor{self});
    case M::kDeviceCommand:
      return classroom_command<signal::DeviceCommand, std::string>(
        self, rid, m.device_command(), [](const std::string& id, signal::ServerMessage& out) {
          out.mutable_device_command_sent()->set_command_id(id);
        });
    case M::kDeviceAck:
      return device_ack(self, rid, m.device_ack());
    case M::kWhiteboard:
      return classroom_command<signal::WhiteboardOp, uint64_t>(
        self, rid, m.whiteboard(), [](uint64_t, signal::ServerMessage& out) { out.mutable_ack(); });
    case M::kPublish:
      return classroom_command<signal::Publish, signal::Published>(
        self, rid, m.publish(),
        [](const signal::Published& r, signal::ServerMessage& out) { *out.mutable_published() = r; });
    case M::kUnpublish:
      return classroom_ok(self, rid, m.unpublish());
    case M::kSubscribe:
      return classroom_command<signal::Subscribe, signal::Subscribed>(
        self, rid, m.subscribe(), [](const signal::Subscribed& r, signal::ServerMessage& out) {
          *out.mutable_subscribed() = r;
        });
    case M::kSubscribeAnswer:
      return classroom_ok(self, rid, m.subscribe_answer());
    case M::kUnsubscribe:
      return classroom_ok(self, rid, m.unsubscribe());
    case M::kMute:
      return classroom_ok(self, rid, m.mute());
    case M::kPreferLayer:
      return classroom_ok(self, rid, m.prefer_layer());
    case M::BODY_NOT_SET:
      break;
  }
  return protocol::make_error(rid, errc::bad_request, "message has no body");
}

void on_timeout(self_ptr self, timer_kind kind, const std::string& subject, uint64_t gen) {
  auto& st = self->state;
  switch (kind) {
    case timer_kind::ring:
      if (subject == st.call.call_id() && gen == st.call_timer_gen)
        follow(self, st.call.ring_timeout());
      break;
    case timer_kind::media_setup:
      if (subject == st.call.call_id() && gen == st.call_timer_gen)
        follow(self, st.call.media_timeout());
      break;
    case timer_kind::device_deadline: {
      // Command ids are unique and a finished command leaves the map, so a
      // deadline timer finding its command still there is never stale.
      auto i = st.commands.find(subject);
      if (i == st.commands.end())
        break;
      // The timer fires at the deadline; expire() checks against it.
      if (i->second.expire(i->second.deadline_at_ms()) == errc::none) {
        self->send(st.classroom, atoms::outcome::value, i->second.outcome());
        st.commands.erase(i);
      }
      break;
    }
    case timer_kind::reconnect_grace:
      if (gen == st.grace_gen && !st.session) {
        // Gone for good: leaving ends its calls for the other side
        // (peer_dropped) and frees the seat.
        self->request(st.classroom, upstream_timeout, atoms::leave::value, st.claims.identity,
                      std::string("connection lost"))
          .then([=](caf::ok_atom) { self->quit(); }, [=](caf::error&) { self->quit(); });
      }
      break;
    case timer_kind::absent_member:
    case timer_kind::journal_flush:
    case timer_kind::join_deadline:
      break;
  }
}

participant_actor::behavior_type participant_impl(self_ptr self, protocol::token_claims claims,
                                                  classroom_actor classroom,
                                                  dispatcher_actor dispatcher,
                                                  participant_timeouts timeouts,
                                                  directory_actor directory) {
  auto& st = self->state;
  st.claims = std::move(claims);
  st.classroom = std::move(classroom);
  st.dispatcher = std::move(dispatcher);
  st.timeouts = timeouts;
  st.view.set_identity(st.claims.identity);
  st.view.set_role(st.claims.role);
  st.directory = std::move(directory);
  self->monitor(st.classroom);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    if (dm.source == caf::actor_cast<caf::actor_addr>(s.classroom)) {
      // A classroom on another node that did not close (its node died or
      // stopped), or one handed over (drain), is rebuilt by the cluster
      // elsewhere: rejoin it there.
      bool remote = s.classroom->node() != self->node();
      bool elsewhere = remote ? dm.reason != caf::exit_reason::normal : is_classroom_moved(dm.reason);
      if (s.directory && s.joined && elsewhere)
        relocate(self, 0);
      else
        end_with_classroom(self);
    }
  });
  return {
    [=](atoms::attach, session_actor session) -> caf::result<signal::Joined> {
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
        j.set_identity(self->state.claims.identity);
        j.set_role(self->state.claims.role);
        *j.mutable_snapshot() = snap;
        rp.deliver(j);
        // Device requests still waiting for this lamp survive a reconnect.
        for (auto& [id, cmd] : self->state.commands) {
          signal::ServerMessage msg;
          *msg.mutable_device_request() = cmd.request();
          push(self, std::move(msg));
        }
      };
      if (s.joined) {
        self->send(s.classroom, atoms::presence::value, s.claims.identity, true);
        self->request(s.classroom, upstream_timeout, caf::get_atom::value, s.claims.identity)
          .then(joined_with, [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      }
      self->request(s.classroom, upstream_timeout, atoms::join::value, s.claims,
                    participant_actor{self})
        .then(
          [=](const signal::ClassroomSnapshot& snap, participant_actor holder) mutable {
            if (holder != participant_actor{self}) {
              // Someone holds this seat already (a reconnect from a new
              // connection): hand the session over to it and step aside.
              rp.delegate(holder, atoms::attach::value, self->state.session);
              self->state.session = nullptr;
              self->quit();
              return;
            }
            self->state.joined = true;
            for (const auto& m : snap.members())
              if (m.identity() == self->state.claims.identity)
                self->state.view = m;
            joined_with(snap);
            resume_call(self, snap);
          },
          [=](caf::error& err) mutable {
            rp.deliver(err);
            self->quit();
          });
      return rp;
    },
    [=](atoms::detach, session_actor session) {
      auto& s = self->state;
      if (s.session != session)
        return;
      s.session = nullptr;
      self->send(s.classroom, atoms::presence::value, s.claims.identity, false);
      self->delayed_send(self, s.timeouts.reconnect_grace, atoms::timeout::value,
                         timer_kind::reconnect_grace, std::string{}, ++s.grace_gen);
    },
    [=](atoms::client, const signal::ClientMessage& m) -> caf::result<signal::ServerMessage> {
      if (!self->state.joined)
        return protocol::make_error(m.request_id(), errc::not_joined, "not joined yet");
      return handle_client(self, m);
    },
    [=](atoms::delta, const signal::ClassroomEvent& ev) {
      auto& s = self->state;
      using E = signal::ClassroomEvent;
      if (ev.kind_case() == E::kDevice && ev.device().identity() == s.claims.identity) {
        if (ev.device().camera() != signal::CAMERA_UNSPECIFIED)
          s.view.set_camera(ev.device().camera());
        if (ev.device().screen() != signal::SCREEN_UNSPECIFIED)
          s.view.set_screen(ev.device().screen());
      } else if (ev.kind_case() == E::kHandRaised
                 && ev.hand_raised().identity() == s.claims.identity) {
        s.view.set_hand_raised(true);
      } else if (ev.kind_case() == E::kHandLowered
                 && ev.hand_lowered().identity() == s.claims.identity) {
        s.view.set_hand_raised(false);
      }
      signal::ServerMessage msg;
      *msg.mutable_event() = ev;
      push(self, std::move(msg));
    },
    [=](atoms::ring, const std::string& call_id, const std::string& caller,
        const std::string& caller_name) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (s.call.active())
        return make_error(errc::busy, s.claims.identity + " is in a call");
      if (!s.session)
        return make_error(errc::unavailable, s.claims.identity + " is not connected");
      s.call = call_machine(call_id, protocol::call_side::callee, caller);
      auto step = s.call.incoming();
      signal::ServerMessage msg;
      auto* in = msg.mutable_incoming_call();
      in->set_call_id(call_id);
      in->set_caller(caller);
      in->set_caller_name(caller_name);
      in->set_ring_timeout_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(s.timeouts.ring).count());
      push(self, std::move(msg));
      follow(self, step);
      return caf::ok_atom::value;
    },
    [=](atoms::call, const std::string& call_id, call_signal sig) {
      auto& s = self->state;
      if (call_id == s.call.call_id())
        follow(self, s.call.on_peer(sig));
    },
    [=](atoms::device, const signal::DeviceRequest& req) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (!s.session)
        return make_error(errc::unavailable, s.claims.identity + " is not connected");
      if (s.commands.count(req.command_id()))
        return make_error(errc::already_exists, "command " + req.command_id() + " exists");
      auto deadline = std::chrono::milliseconds(req.deadline_ms());
      s.commands.emplace(req.command_id(),
                         protocol::device_command(req.command_id(), s.claims.identity,
                                                  req.from(), req,
                                                  steady_ms() + deadline.count()));
      self->delayed_send(self, deadline, atoms::timeout::value, timer_kind::device_deadline,
                         req.command_id(), uint64_t{0});
      signal::ServerMessage msg;
      *msg.mutable_device_request() = req;
      push(self, std::move(msg));
      return caf::ok_atom::value;
    },
    [=](atoms::outcome, const signal::DeviceOutcome& o) {
      signal::ServerMessage msg;
      *msg.mutable_device_outcome() = o;
      push(self, std::move(msg));
    },
    [=](atoms::kick, const signal::Error& why) {
      if (self->state.session)
        self->send(self->state.session, atoms::kick::value, why);
      self->quit();
    },
    [=](atoms::resync, const signal::ClassroomSnapshot& snap) {
      if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self->state.classroom))
        push_rejoined(self, snap);
    },
    [=](atoms::qna, const signal::QnaUpdate& u) {
      signal::ServerMessage msg;
      *msg.mutable_qna_update() = u;
      push(self, std::move(msg));
    },
    [=](atoms::timeout, timer_kind kind, const std::string& subject, uint64_t gen) {
      if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self))
        on_timeout(self, kind, subject, gen);
    },
    [=](atoms::retry, int32_t attempt) {
      if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self))
        relocate(self, attempt);
    },
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

participant_actor spawn_participant(caf::actor_system& sys, protocol::token_claims member,
                                    classroom_actor classroom, dispatcher_actor dispatcher,
                                    participant_timeouts timeouts, directory_actor directory) {
  return sys.spawn(participant_impl, std::move(member), std::move(classroom),
                   std::move(dispatcher), timeouts, std::move(directory));
}

} // namespace lamplight::actors
