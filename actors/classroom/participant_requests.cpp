// A joined participant's client requests, by concern: its seat (leave,
// ping, snapshot), calls (participant_calls.cpp), what the classroom decides
// (hands, device commands, the whiteboard, streams: relayed in the member's
// name), its lamp's device acknowledgements and Q&A.

#include "actors/base/clock.hpp"
#include "actors/base/errors.hpp"
#include "actors/classroom/participant_state.hpp"
#include "protocol/codec.hpp"

namespace lamplight::actors::participant_detail {

namespace {

using M = signal::ClientMessage;

/// Asks `dest` and answers the client with `convert` of its result, or the
/// error it gave.
template <class Result, class Handle, class Convert, class... Ts>
reply relay(self_ptr self, uint64_t rid, const Handle& dest, Convert convert, Ts&&... xs) {
  auto rp = self->make_response_promise<signal::ServerMessage>();
  self->request(dest, upstream_timeout, std::forward<Ts>(xs)...)
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

void to_ack(caf::ok_atom, signal::ServerMessage& out) {
  out.mutable_ack();
}

/// A request the classroom decides, in the member's name: Ack or its error.
template <class Atom, class Body>
reply classroom_ok(self_ptr self, uint64_t rid, Atom atom, const Body& body) {
  return relay<caf::ok_atom>(self, rid, self->state.cfg.classroom, to_ack, atom,
                             identity_of(self), body);
}

reply seat_request(self_ptr self, const signal::ClientMessage& m) {
  auto& st = self->state;
  auto rid = m.request_id();
  switch (m.body_case()) {
    case M::kJoin:
      return protocol::make_error(rid, errc::already_joined, "already joined");
    case M::kLeave: {
      auto rp = self->make_response_promise<signal::ServerMessage>();
      self->request(st.cfg.classroom, upstream_timeout, atoms::leave::value, identity_of(self),
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
    default:  // kGetSnapshot
      return relay<signal::ClassroomSnapshot>(
        self, rid, st.cfg.classroom,
        [](const signal::ClassroomSnapshot& snap, signal::ServerMessage& out) {
          *out.mutable_snapshot() = snap;
        },
        caf::get_atom::value, identity_of(self));
  }
}

reply qna_request(self_ptr self, const signal::ClientMessage& m) {
  auto& st = self->state;
  auto rid = m.request_id();
  if (!st.cfg.dispatcher)
    return protocol::make_error(rid, errc::unavailable, "no Q&A dispatcher here");
  switch (m.body_case()) {
    case M::kQnaAsk:
      return relay<signal::QnaAsked>(
        self, rid, st.cfg.dispatcher,
        [](const signal::QnaAsked& r, signal::ServerMessage& out) { *out.mutable_qna_asked() = r; },
        atoms::ask::value, st.cfg.member, m.qna_ask(), member_actor{self});
    case M::kQnaWithdraw:
      return relay<caf::ok_atom>(self, rid, st.cfg.dispatcher, to_ack, atoms::withdraw::value,
                                 identity_of(self), m.qna_withdraw().question_id());
    default:  // kQnaAvailability
      return relay<caf::ok_atom>(self, rid, st.cfg.dispatcher, to_ack, atoms::avail::value,
                                 st.cfg.member, m.qna_availability().available(),
                                 member_actor{self});
  }
}

reply stream_request(self_ptr self, const signal::ClientMessage& m) {
  auto& classroom = self->state.cfg.classroom;
  auto rid = m.request_id();
  const auto& me = identity_of(self);
  switch (m.body_case()) {
    case M::kPublish:
      return relay<signal::Published>(
        self, rid, classroom,
        [](const signal::Published& r, signal::ServerMessage& out) { *out.mutable_published() = r; },
        atoms::publish::value, me, m.publish());
    case M::kSubscribe:
      client_watches(self, m.subscribe().track_id(), true);
      return classroom_ok(self, rid, atoms::subscribe::value, m.subscribe());
    case M::kUnpublish:
      return classroom_ok(self, rid, atoms::unpublish::value, m.unpublish());
    case M::kSubscribeAnswer: {
      // Answered: a session that attaches later need not see it again.
      auto& pending = self->state.session_offer;
      if (pending && pending->session() == m.subscribe_answer().session()
          && pending->version() == m.subscribe_answer().version())
        pending.reset();
      return classroom_ok(self, rid, atoms::answer::value, m.subscribe_answer());
    }
    case M::kUnsubscribe:
      client_watches(self, m.unsubscribe().track_id(), false);
      return classroom_ok(self, rid, atoms::unsub::value, m.unsubscribe());
    case M::kMute:
      return classroom_ok(self, rid, atoms::mute::value, m.mute());
    default:  // kPreferLayer
      return classroom_ok(self, rid, atoms::layer::value, m.prefer_layer());
  }
}

} // namespace

reply on_client(self_ptr self, const signal::ClientMessage& m) {
  auto rid = m.request_id();
  const auto& me = identity_of(self);
  switch (m.body_case()) {
    case M::kJoin:
    case M::kLeave:
    case M::kPing:
    case M::kGetSnapshot:
      return seat_request(self, m);
    case M::kCallInvite:
    case M::kCallAccept:
    case M::kCallReject:
    case M::kCallCancel:
    case M::kCallHangup:
    case M::kCallMediaReady:
      return on_call_request(self, m);
    case M::kRaiseHand:
      return classroom_ok(self, rid, atoms::hand::value, m.raise_hand());
    case M::kLowerHand:
      return classroom_ok(self, rid, atoms::hand::value, m.lower_hand());
    case M::kAcceptHand:
      return classroom_ok(self, rid, atoms::hand::value, m.accept_hand());
    case M::kDismissHand:
      return classroom_ok(self, rid, atoms::hand::value, m.dismiss_hand());
    case M::kQnaAsk:
    case M::kQnaWithdraw:
    case M::kQnaAvailability:
      return qna_request(self, m);
    case M::kDeviceCommand:
      return relay<std::string>(
        self, rid, self->state.cfg.classroom,
        [](const std::string& id, signal::ServerMessage& out) {
          out.mutable_device_command_sent()->set_command_id(id);
        },
        atoms::device::value, me, m.device_command());
    case M::kDeviceAck:
      return on_device_ack(self, rid, m.device_ack());
    case M::kWhiteboard:
      return relay<uint64_t>(
        self, rid, self->state.cfg.classroom,
        [](uint64_t, signal::ServerMessage& out) { out.mutable_ack(); }, atoms::board::value, me,
        m.whiteboard());
    case M::kPublish:
    case M::kUnpublish:
    case M::kSubscribe:
    case M::kSubscribeAnswer:
    case M::kUnsubscribe:
    case M::kMute:
    case M::kPreferLayer:
      return stream_request(self, m);
    case M::BODY_NOT_SET:
      break;
  }
  return protocol::make_error(rid, errc::bad_request, "message has no body");
}

} // namespace lamplight::actors::participant_detail
