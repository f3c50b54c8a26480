// Classroom scenarios through gateway sessions, deterministic: calls, hands,
// device commands, capacity, roles, whiteboard.
#include "tests/actors/actor_fixture.hpp"

using namespace lamplight::test;

namespace {

struct classroom_fixture : actor_fixture {
  protocol::token_claims teacher_claims = [] {
    auto c = claims("t-ann", sig::ROLE_TEACHER);
    c.mode = sig::MODE_SMALL_GROUP;
    return c;
  }();

  client* teacher = nullptr;
  client* student = nullptr;

  classroom_fixture() {
    teacher = &join(teacher_claims);
    student = &join(claims("s-cy", sig::ROLE_STUDENT), wire_format::binary);
  }

  /// Teacher calls the student; returns the call id (ringing).
  std::string ring() {
    auto r = request(*teacher, invite("s-cy"));
    BOOST_REQUIRE_MESSAGE(r.has_call_invited(), r.DebugString());
    auto incoming = student->pushes(sig::ServerMessage::kIncomingCall);
    BOOST_REQUIRE(!incoming.empty());
    BOOST_TEST(incoming.back().incoming_call().caller() == "t-ann");
    return r.call_invited().call_id();
  }

  static sig::CallPhase last_phase(const client& c) {
    auto u = c.call_updates();
    return u.empty() ? sig::CALL_PHASE_UNSPECIFIED : u.back().phase();
  }
  /// The classroom's answer to a message of the tenant's backend (the
  /// server API's atoms::moderate).
  template <class R, class... Ts>
  caf::expected<R> backend_asks(Ts... xs) {
    auto room = classroom("room-1");
    caf::scoped_actor self{sys};
    auto req = self->request(room, caf::infinite, atoms::moderate::value, xs...);
    run();
    caf::expected<R> out{caf::error{}};
    req.receive([&](R& r) { out = std::move(r); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  template <class R>
  static errc code_of(const caf::expected<R>& r) {
    return r ? errc::none : actors::to_protocol_error(r.error()).code;
  }
  using actor_fixture::code_of;

  static sig::CallEndReason last_reason(const client& c) {
    auto u = c.call_updates();
    return u.empty() ? sig::CALL_END_UNSPECIFIED : u.back().reason();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(classroom_actor, classroom_fixture)

BOOST_AUTO_TEST_CASE(join_gives_snapshot_and_deltas_follow) {
  auto joined = teacher->reply(1);
  BOOST_REQUIRE(joined && joined->has_joined());
  BOOST_TEST(joined->joined().snapshot().mode() == sig::MODE_SMALL_GROUP);
  // The teacher saw the student join as a delta with the next seq.
  auto ev = teacher->events(sig::ClassroomEvent::kMemberJoined);
  BOOST_REQUIRE(ev.size() == 1u);
  BOOST_TEST(ev[0].member_joined().member().identity() == "s-cy");
  BOOST_TEST(ev[0].seq() == joined->joined().snapshot().seq() + 1);
  // The lamp speaks binary and is answered in binary.
  for (auto f : student->link->formats)
    BOOST_TEST((f == wire_format::binary));
  auto snap = snapshot("room-1");
  BOOST_TEST(snap.members_size() == 2);
}

BOOST_AUTO_TEST_CASE(call_accepted_connects_then_hangs_up) {
  auto id = ring();
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_RINGING);
  BOOST_TEST(last_phase(*student) == sig::CALL_PHASE_RINGING);
  BOOST_TEST(request(*student, accept_call(id)).has_ack());
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_CONNECTING);
  BOOST_TEST(last_phase(*student) == sig::CALL_PHASE_CONNECTING);
  request(*teacher, media_ready(id));
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_CONNECTING);
  request(*student, media_ready(id));
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_CONNECTED);
  BOOST_TEST(last_phase(*student) == sig::CALL_PHASE_CONNECTED);
  auto snap = snapshot("room-1");
  BOOST_REQUIRE(snap.calls_size() == 1);
  BOOST_TEST(snap.calls(0).phase() == sig::CALL_PHASE_CONNECTED);
  // The ring timer was stopped: nothing happens when it would have fired.
  advance(timeouts.ring + timeouts.media_setup);
  BOOST_TEST(last_phase(*student) == sig::CALL_PHASE_CONNECTED);
  BOOST_TEST(request(*student, hangup_call(id)).has_ack());
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_ENDED);
  BOOST_TEST(last_reason(*teacher) == sig::CALL_END_HANGUP);
  BOOST_TEST(snapshot("room-1").calls_size() == 0);
}

BOOST_AUTO_TEST_CASE(call_rejected) {
  auto id = ring();
  request(*student, reject_call(id));
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_ENDED);
  BOOST_TEST(last_reason(*teacher) == sig::CALL_END_REJECTED);
  BOOST_TEST(last_reason(*student) == sig::CALL_END_REJECTED);
  // A new call may start after the old one ended.
  ring();
}

BOOST_AUTO_TEST_CASE(call_cancelled_by_caller) {
  auto id = ring();
  request(*teacher, cancel_call(id));
  BOOST_TEST(last_reason(*student) == sig::CALL_END_CANCELLED);
  BOOST_TEST(last_reason(*teacher) == sig::CALL_END_CANCELLED);
}

BOOST_AUTO_TEST_CASE(ring_timeout_ends_the_call_for_both) {
  ring();
  advance(timeouts.ring - std::chrono::seconds(1));
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_RINGING);
  advance(std::chrono::seconds(1));
  BOOST_TEST(last_reason(*teacher) == sig::CALL_END_RING_TIMEOUT);
  BOOST_TEST(last_reason(*student) == sig::CALL_END_RING_TIMEOUT);
  auto ended = teacher->events(sig::ClassroomEvent::kCall);
  BOOST_REQUIRE(!ended.empty());
  BOOST_TEST(ended.back().call().call().reason() == sig::CALL_END_RING_TIMEOUT);
}

BOOST_AUTO_TEST_CASE(media_setup_timeout) {
  auto id = ring();
  request(*student, accept_call(id));
  request(*student, media_ready(id));
  advance(timeouts.media_setup);
  BOOST_TEST(last_reason(*teacher) == sig::CALL_END_MEDIA_TIMEOUT);
  BOOST_TEST(last_reason(*student) == sig::CALL_END_MEDIA_TIMEOUT);
}

BOOST_AUTO_TEST_CASE(busy_callee) {
  auto id = ring();
  request(*student, accept_call(id));
  auto& assistant = join(claims("a-dan", sig::ROLE_ASSISTANT));
  auto r = request(assistant, invite("s-cy"));
  BOOST_TEST((code_of(r) == errc::busy), r.DebugString());
  BOOST_TEST(last_phase(*student) == sig::CALL_PHASE_CONNECTING);
}

BOOST_AUTO_TEST_CASE(callee_dropping_mid_call_ends_it_for_the_caller) {
  auto id = ring();
  request(*student, accept_call(id));
  disconnect(*student);
  // Within the grace the seat is kept and the call is not over yet.
  advance(timeouts.reconnect_grace - std::chrono::seconds(1));
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_CONNECTING);
  auto offline = teacher->events(sig::ClassroomEvent::kPresence);
  BOOST_REQUIRE(!offline.empty());
  BOOST_TEST(offline.back().presence().presence() == sig::PRESENCE_OFFLINE);
  advance(std::chrono::seconds(1));
  BOOST_TEST(last_reason(*teacher) == sig::CALL_END_PEER_DROPPED);
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kMemberLeft).size() == 1u);
  BOOST_TEST(snapshot("room-1").members_size() == 1);
}

BOOST_AUTO_TEST_CASE(reconnect_within_grace_keeps_seat_and_call) {
  auto id = ring();
  request(*student, accept_call(id));
  disconnect(*student);
  auto& again = join(claims("s-cy", sig::ROLE_STUDENT), wire_format::binary);
  auto joined = again.reply(1);
  BOOST_REQUIRE(joined && joined->has_joined());
  BOOST_REQUIRE(joined->joined().snapshot().calls_size() == 1);
  advance(timeouts.reconnect_grace);
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kMemberLeft).empty());
  request(again, media_ready(id));
  request(*teacher, media_ready(id));
  BOOST_TEST(last_phase(*teacher) == sig::CALL_PHASE_CONNECTED);
}

BOOST_AUTO_TEST_CASE(a_second_connection_replaces_the_first) {
  auto& again = join(claims("s-cy", sig::ROLE_STUDENT));
  BOOST_TEST(student->link->closed);
  BOOST_TEST(again.reply(1)->has_joined());
  BOOST_TEST(snapshot("room-1").members_size() == 2);
}

BOOST_AUTO_TEST_CASE(hand_raised_and_accepted_in_order) {
  auto& s2 = join(claims("s-dee", sig::ROLE_STUDENT));
  BOOST_TEST(request(s2, raise_hand()).has_ack());
  BOOST_TEST(request(*student, raise_hand()).has_ack());
  BOOST_TEST((code_of(request(*student, raise_hand())) == errc::wrong_state));
  BOOST_TEST(snapshot("room-1").hand_queue_size() == 2);
  sig::ClientMessage take;
  take.mutable_accept_hand();  // empty: the oldest
  BOOST_TEST(request(*teacher, take).has_ack());
  auto lowered = student->events(sig::ClassroomEvent::kHandLowered);
  BOOST_REQUIRE(lowered.size() == 1u);
  BOOST_TEST(lowered[0].hand_lowered().identity() == "s-dee");
  BOOST_TEST(lowered[0].hand_lowered().outcome() == sig::HAND_OUTCOME_ACCEPTED);
  sig::ClientMessage dismiss;
  dismiss.mutable_dismiss_hand()->set_student("s-cy");
  request(*teacher, dismiss);
  BOOST_TEST(snapshot("room-1").hand_queue_size() == 0);
  // A student may not manage hands.
  BOOST_TEST((code_of(request(*student, take)) == errc::permission_denied));
}

BOOST_AUTO_TEST_CASE(device_command_acked_done_and_reflected_in_state) {
  auto r = request(*teacher, switch_camera("s-cy", sig::CAMERA_DESK));
  BOOST_REQUIRE_MESSAGE(r.has_device_command_sent(), r.DebugString());
  auto id = r.device_command_sent().command_id();
  auto reqs = student->pushes(sig::ServerMessage::kDeviceRequest);
  BOOST_REQUIRE(reqs.size() == 1u);
  BOOST_TEST(reqs[0].device_request().command_id() == id);
  BOOST_TEST(reqs[0].device_request().from() == "t-ann");
  request(*student, device_ack(id, sig::DEVICE_ACK_ACCEPTED));
  request(*student, device_ack(id, sig::DEVICE_ACK_DONE));
  auto outcomes = teacher->pushes(sig::ServerMessage::kDeviceOutcome);
  BOOST_REQUIRE(outcomes.size() == 2u);
  BOOST_TEST(outcomes[0].device_outcome().state() == sig::DEVICE_STATE_ACKED);
  BOOST_TEST(outcomes[1].device_outcome().state() == sig::DEVICE_STATE_DONE);
  auto changed = teacher->events(sig::ClassroomEvent::kDevice);
  BOOST_REQUIRE(changed.size() == 1u);
  BOOST_TEST(changed[0].device().camera() == sig::CAMERA_DESK);
  auto snap = snapshot("room-1");
  for (auto& m : snap.members())
    if (m.identity() == "s-cy")
      BOOST_TEST(m.camera() == sig::CAMERA_DESK);
  // Acking a finished command is an error and changes nothing.
  BOOST_TEST((code_of(request(*student, device_ack(id, sig::DEVICE_ACK_DONE))) == errc::not_found));
}

BOOST_AUTO_TEST_CASE(device_command_times_out) {
  auto r = request(*teacher, switch_camera("s-cy", sig::CAMERA_DESK, 3000));
  auto id = r.device_command_sent().command_id();
  request(*student, device_ack(id, sig::DEVICE_ACK_ACCEPTED));
  advance(std::chrono::milliseconds(2999));
  BOOST_TEST(teacher->pushes(sig::ServerMessage::kDeviceOutcome).size() == 1u);
  advance(std::chrono::milliseconds(1));
  auto outcomes = teacher->pushes(sig::ServerMessage::kDeviceOutcome);
  BOOST_REQUIRE(outcomes.size() == 2u);
  BOOST_TEST(outcomes[1].device_outcome().state() == sig::DEVICE_STATE_TIMED_OUT);
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kDeviceCommand).size() == 1u);
  // Too late: the lamp's done no longer counts.
  BOOST_TEST((code_of(request(*student, device_ack(id, sig::DEVICE_ACK_DONE))) == errc::not_found));
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kDevice).empty());
}

BOOST_AUTO_TEST_CASE(device_command_failed_and_bad_commands) {
  auto r = request(*teacher, switch_camera("s-cy", sig::CAMERA_FACE));
  request(*student, device_ack(r.device_command_sent().command_id(), sig::DEVICE_ACK_FAILED,
                               "camera unplugged"));
  auto outcomes = teacher->pushes(sig::ServerMessage::kDeviceOutcome);
  BOOST_REQUIRE(outcomes.size() == 1u);
  BOOST_TEST(outcomes[0].device_outcome().state() == sig::DEVICE_STATE_FAILED);
  BOOST_TEST(outcomes[0].device_outcome().detail() == "camera unplugged");
  // Journaled for the lesson's history, however it ended.
  auto ended = teacher->events(sig::ClassroomEvent::kDeviceCommand);
  BOOST_REQUIRE(ended.size() == 1u);
  BOOST_TEST(ended[0].device_command().state() == sig::DEVICE_STATE_FAILED);
  BOOST_TEST(ended[0].device_command().action() == "switch_camera");
  BOOST_TEST(ended[0].device_command().requested_by() == "t-ann");
  sig::ClientMessage photo;
  photo.mutable_device_command()->set_target("s-cy");
  photo.mutable_device_command()->mutable_capture_photo()->set_width(8000);
  photo.mutable_device_command()->mutable_capture_photo()->set_height(100);
  BOOST_TEST((code_of(request(*teacher, photo)) == errc::bad_request));
  BOOST_TEST((code_of(request(*teacher, switch_camera("nobody", sig::CAMERA_FACE)))
              == errc::not_found));
  BOOST_TEST((code_of(request(*student, switch_camera("s-cy", sig::CAMERA_FACE)))
              == errc::permission_denied));
}

BOOST_AUTO_TEST_CASE(small_group_refuses_the_seventh_student) {
  for (int i = 2; i <= 6; ++i)
    join(claims("s-" + std::to_string(i), sig::ROLE_STUDENT));
  auto& seventh = connect();
  sig::ClientMessage m;
  m.mutable_join()->set_token(token(claims("s-7", sig::ROLE_STUDENT)));
  auto r = request(seventh, m);
  BOOST_TEST((code_of(r) == errc::classroom_full), r.DebugString());
  BOOST_TEST(snapshot("room-1").members_size() == 7);
  // A parent still fits: the limit is on students.
  auto p = claims("p-cy", sig::ROLE_PARENT);
  p.child = "s-cy";
  join(p);
}

BOOST_AUTO_TEST_CASE(one_on_one_refuses_a_second_student) {
  auto t = claims("t-1", sig::ROLE_TEACHER, "duo");
  t.mode = sig::MODE_ONE_ON_ONE;
  join(t);
  join(claims("s-1", sig::ROLE_STUDENT, "duo"));
  auto& c = connect();
  sig::ClientMessage m;
  m.mutable_join()->set_token(token(claims("s-2", sig::ROLE_STUDENT, "duo")));
  BOOST_TEST((code_of(request(c, m)) == errc::classroom_full));
}

BOOST_AUTO_TEST_CASE(large_class_takes_200_and_refuses_the_201st) {
  auto t = claims("t-big", sig::ROLE_TEACHER, "hall");
  t.mode = sig::MODE_LARGE_CLASS;
  join(t);
  for (int i = 1; i < 200; ++i)
    join(claims("s-" + std::to_string(i), sig::ROLE_STUDENT, "hall"), wire_format::binary);
  BOOST_TEST(snapshot("hall").members_size() == 200);
  auto& late = connect();
  sig::ClientMessage m;
  m.mutable_join()->set_token(token(claims("s-200", sig::ROLE_STUDENT, "hall")));
  BOOST_TEST((code_of(request(late, m)) == errc::classroom_full));
  // Everyone saw every later join, in order, without gaps.
  auto& first = *clients[2];  // t-big
  auto joined = first.events(sig::ClassroomEvent::kMemberJoined);
  BOOST_TEST(joined.size() == 199u);
  for (std::size_t i = 1; i < joined.size(); ++i)
    BOOST_REQUIRE(joined[i].seq() == joined[i - 1].seq() + 1);
}

BOOST_AUTO_TEST_CASE(parent_observes_its_child_and_controls_nothing) {
  join(claims("s-other", sig::ROLE_STUDENT));
  auto pc = claims("p-cy", sig::ROLE_PARENT);
  pc.child = "s-cy";
  auto& parent = join(pc);
  auto snap = parent.reply(1)->joined().snapshot();
  std::vector<std::string> seen;
  for (auto& m : snap.members())
    seen.push_back(m.identity());
  BOOST_TEST((seen == std::vector<std::string>{"t-ann", "s-cy", "p-cy"}));
  BOOST_TEST((code_of(request(parent, switch_camera("s-cy", sig::CAMERA_DESK)))
              == errc::permission_denied));
  BOOST_TEST((code_of(request(parent, invite("s-cy"))) == errc::permission_denied));
  BOOST_TEST((code_of(request(parent, raise_hand())) == errc::permission_denied));
  BOOST_TEST((code_of(request(parent, stroke("p1", {0.1f, 0.1f}))) == errc::permission_denied));
  // Nothing the parent tried reached the lamp.
  BOOST_TEST(student->pushes(sig::ServerMessage::kDeviceRequest).empty());
  // The other student's hand stays hidden; its own child's is shown.
  auto& other = *clients[2];
  request(other, raise_hand());
  request(*student, raise_hand());
  auto hands = parent.events(sig::ClassroomEvent::kHandRaised);
  BOOST_REQUIRE(hands.size() == 1u);
  BOOST_TEST(hands[0].hand_raised().identity() == "s-cy");
  // And the teacher may not be called by... the parent may not be called either.
  BOOST_TEST((code_of(request(*teacher, invite("p-cy"))) == errc::permission_denied));
}

BOOST_AUTO_TEST_CASE(whiteboard_ops_in_order_for_late_joiners) {
  BOOST_TEST(request(*teacher, stroke("s1", {0.1f, 0.2f, 0.3f, 0.4f})).has_ack());
  BOOST_TEST(request(*student, stroke("s2", {0.5f, 0.5f})).has_ack());
  BOOST_TEST((code_of(request(*teacher, stroke("s1", {0.1f, 0.1f}))) == errc::already_exists));
  BOOST_TEST((code_of(request(*teacher, stroke("s3", {1.5f, 0.1f}))) == errc::bad_request));
  BOOST_TEST((code_of(request(*teacher, stroke("s4", {0.1f}))) == errc::bad_request));
  sig::ClientMessage erase;
  erase.mutable_whiteboard()->mutable_erase()->set_stroke_id("s1");
  BOOST_TEST(request(*teacher, erase).has_ack());
  BOOST_TEST((code_of(request(*teacher, erase)) == errc::not_found));
  auto& late = join(claims("s-late", sig::ROLE_STUDENT));
  auto board = late.reply(1)->joined().snapshot().whiteboard();
  BOOST_REQUIRE(board.size() == 1);
  BOOST_TEST(board[0].stroke().stroke_id() == "s2");
  BOOST_TEST(board[0].author() == "s-cy");
}

BOOST_AUTO_TEST_CASE(a_publish_session_adds_keeps_replaces_and_drops_tracks_by_section) {
  auto published = [&](const sig::ClientMessage& m) {
    auto r = request(*student, m);
    BOOST_REQUIRE_MESSAGE(r.has_published(), r.DebugString());
    return r;
  };
  auto count = [&](sig::ClassroomEvent::KindCase e) { return teacher->events(e).size(); };
  auto desk = track_of(published(publish({{"0", sig::TRACK_SOURCE_DESK_CAMERA}})), "0");
  BOOST_TEST(!desk.empty());
  // The same offer again (a renegotiation that changed nothing): the same track.
  BOOST_TEST(track_of(published(publish({{"0", sig::TRACK_SOURCE_DESK_CAMERA}})), "0") == desk);
  BOOST_TEST(count(sig::ClassroomEvent::kTrackPublished) == 1u);
  // A section added: a new track beside the old one.
  auto r = published(publish({{"0", sig::TRACK_SOURCE_DESK_CAMERA}, {"1", sig::TRACK_SOURCE_MICROPHONE}}));
  auto mic = track_of(r, "1");
  BOOST_TEST(track_of(r, "0") == desk);
  BOOST_TEST((!mic.empty() && mic != desk));
  // The desk camera replaced by the face camera on its section: a new track.
  r = published(publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}, {"1", sig::TRACK_SOURCE_MICROPHONE}}));
  auto face = track_of(r, "0");
  BOOST_TEST((face != desk && track_of(r, "1") == mic));
  BOOST_TEST(count(sig::ClassroomEvent::kTrackUnpublished) == 1u);
  BOOST_TEST(count(sig::ClassroomEvent::kTrackPublished) == 3u);
  auto snap = snapshot("room-1");
  BOOST_REQUIRE(snap.tracks_size() == 2);
  // Refused, and nothing changes: a mid twice, a source twice, no kind.
  auto twice_mid = publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}, {"0", sig::TRACK_SOURCE_MICROPHONE}});
  auto twice_source = publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}, {"2", sig::TRACK_SOURCE_FACE_CAMERA}});
  auto no_kind = publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}});
  no_kind.mutable_publish()->mutable_tracks(0)->set_kind(sig::TRACK_KIND_UNSPECIFIED);
  for (const auto* bad : {&twice_mid, &twice_source, &no_kind})
    BOOST_TEST((code_of(request(*student, *bad)) == errc::bad_request));
  BOOST_TEST(snapshot("room-1").tracks_size() == 2);
  // A parent may not publish.
  auto pc = claims("p-cy", sig::ROLE_PARENT);
  pc.child = "s-cy";
  auto& parent = join(pc);
  BOOST_TEST((code_of(request(parent, publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}})))
              == errc::permission_denied));
  // No section any more: everything the session published goes.
  published(publish({}));
  BOOST_TEST(snapshot("room-1").tracks_size() == 0);
  BOOST_TEST(count(sig::ClassroomEvent::kTrackUnpublished) == 3u);
}

BOOST_AUTO_TEST_CASE(stream_control_keeps_tracks_in_state) {
  auto r = request(*student, publish({{"0", sig::TRACK_SOURCE_DESK_CAMERA}}));
  BOOST_REQUIRE_MESSAGE(r.has_published(), r.DebugString());
  auto track = track_of(r, "0");
  sig::ClientMessage sub;
  sub.mutable_subscribe()->set_track_id(track);
  sub.mutable_subscribe()->set_layer(sig::LAYER_HIGH);
  BOOST_TEST(request(*teacher, sub).has_ack());
  // Again: only its layer changes.
  sub.mutable_subscribe()->set_layer(sig::LAYER_LOW);
  BOOST_TEST(request(*teacher, sub).has_ack());
  sig::ClientMessage mute;
  mute.mutable_mute()->set_track_id(track);
  mute.mutable_mute()->set_muted(true);
  BOOST_TEST(request(*teacher, mute).has_ack());
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kTrackMuted).size() == 1u);
  sig::ClientMessage unpub;
  unpub.mutable_unpublish()->set_track_id(track);
  auto& other = join(claims("s-x", sig::ROLE_STUDENT));
  BOOST_TEST((code_of(request(other, unpub)) == errc::permission_denied));
  BOOST_TEST(request(*student, unpub).has_ack());
  BOOST_TEST(snapshot("room-1").tracks_size() == 0);
}

BOOST_AUTO_TEST_CASE(leave_frees_the_seat) {
  sig::ClientMessage leave;
  leave.mutable_leave();
  BOOST_TEST(request(*student, leave).has_ack());
  BOOST_TEST(student->link->closed);
  BOOST_TEST(snapshot("room-1").members_size() == 1);
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kMemberLeft).size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_tenants_backend_removes_a_member) {
  sig::MemberLeft remove;
  remove.set_identity("s-cy");
  remove.set_reason("disruptive");
  BOOST_TEST((code_of(backend_asks<caf::ok_atom>(remove)) == errc::none));
  // Told why, then disconnected; the others see it leave with the reason.
  auto told = student->pushes(sig::ServerMessage::kError);
  BOOST_REQUIRE(told.size() == 1u);
  BOOST_TEST(told[0].error().code() == sig::ERROR_PERMISSION_DENIED);
  BOOST_TEST(told[0].error().message() == "removed by the institution: disruptive");
  BOOST_TEST(student->link->closed);
  auto left = teacher->events(sig::ClassroomEvent::kMemberLeft);
  BOOST_REQUIRE(left.size() == 1u);
  BOOST_TEST(left[0].member_left().reason() == "removed by the institution: disruptive");
  BOOST_TEST(snapshot("room-1").members_size() == 1);
  BOOST_TEST((code_of(backend_asks<caf::ok_atom>(remove)) == errc::not_found));
  // It may come back with a valid token.
  join(claims("s-cy", sig::ROLE_STUDENT));
  BOOST_TEST(snapshot("room-1").members_size() == 2);
}

BOOST_AUTO_TEST_CASE(the_tenants_backend_mutes_any_track) {
  auto r = request(*student, publish({{"0", sig::TRACK_SOURCE_MICROPHONE}}));
  BOOST_REQUIRE_MESSAGE(r.has_published(), r.DebugString());
  sig::Mute mute;
  mute.set_track_id(track_of(r, "0"));
  mute.set_muted(true);
  BOOST_TEST((code_of(backend_asks<caf::ok_atom>(mute)) == errc::none));
  BOOST_TEST(snapshot("room-1").tracks(0).muted());
  BOOST_TEST(teacher->events(sig::ClassroomEvent::kTrackMuted).size() == 1u);
  BOOST_TEST(student->events(sig::ClassroomEvent::kTrackMuted).size() == 1u);
  mute.set_track_id("no-such-track");
  BOOST_TEST((code_of(backend_asks<caf::ok_atom>(mute)) == errc::not_found));
}

BOOST_AUTO_TEST_CASE(who_is_speaking_is_told_at_a_bounded_rate_and_ends_with_the_track) {
  auto mic = [&](client& who) {
    auto r = request(who, publish({{"0", sig::TRACK_SOURCE_MICROPHONE}}));
    BOOST_REQUIRE_MESSAGE(r.has_published(), r.DebugString());
    return track_of(r, "0");
  };
  auto student_mic = mic(*student);
  auto teacher_mic = mic(*teacher);
  auto room = classroom("room-1");
  auto speaking = [&](const std::string& track, bool on, uint8_t level) {
    caf::anon_send(room, atoms::speaking::value, track, on, level);
    run();
  };
  auto told = [&](client& c) {
    std::vector<std::string> out;  // each push as "a,b", loudest first
    for (auto& m : c.pushes(sig::ServerMessage::kSpeakers)) {
      out.emplace_back();
      for (auto& s : m.speakers().speakers())
        out.back() += (out.back().empty() ? "" : ",") + s.identity();
    }
    return out;
  };
  using lists = std::vector<std::string>;
  // Both start within one interval: one push, loudest first.
  speaking(student_mic, true, 40);
  speaking(teacher_mic, true, 25);
  BOOST_TEST(told(*teacher).empty());
  advance(std::chrono::milliseconds(300));
  BOOST_TEST(told(*teacher) == (lists{"t-ann,s-cy"}), boost::test_tools::per_element());
  BOOST_TEST(told(*student) == (lists{"t-ann,s-cy"}), boost::test_tools::per_element());
  // Flapping within an interval that ends as it began is not told.
  speaking(teacher_mic, false, 25);
  speaking(teacher_mic, true, 25);
  advance(std::chrono::milliseconds(300));
  BOOST_TEST(told(*teacher).size() == 1u);
  // A late joiner finds the speakers in its snapshot.
  auto& parent = join([] {
    auto c = claims("p-cy", sig::ROLE_PARENT);
    c.child = "s-cy";
    return c;
  }());
  auto joined = parent.reply(1);
  BOOST_REQUIRE(joined && joined->has_joined());
  BOOST_TEST(joined->joined().snapshot().speakers().speakers_size() == 2);
  // Unknown tracks and video tracks are not speakers.
  speaking("no-such-track", true, 10);
  advance(std::chrono::milliseconds(300));
  BOOST_TEST(told(*teacher).size() == 1u);
  // The student's microphone goes: it stops speaking at once, not when its
  // media would have stopped arriving.
  sig::ClientMessage unpub;
  unpub.mutable_unpublish()->set_track_id(student_mic);
  BOOST_TEST(request(*student, unpub).has_ack());
  advance(std::chrono::milliseconds(300));
  BOOST_TEST(told(*teacher) == (lists{"t-ann,s-cy", "t-ann"}),
             boost::test_tools::per_element());
  // Nobody speaks: an empty list.
  speaking(teacher_mic, false, 25);
  advance(std::chrono::milliseconds(300));
  BOOST_TEST(told(*teacher).back().empty());
  BOOST_TEST(told(parent).size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_tenants_backend_sends_a_device_command_as_a_teacher) {
  sig::DeviceCommand cmd;
  cmd.set_target("s-cy");
  cmd.mutable_switch_camera()->set_camera(sig::CAMERA_DESK);
  auto id = backend_asks<std::string>(cmd, std::string("t-ann"));
  BOOST_REQUIRE(bool(id));
  auto reqs = student->pushes(sig::ServerMessage::kDeviceRequest);
  BOOST_REQUIRE(reqs.size() == 1u);
  BOOST_TEST(reqs[0].device_request().command_id() == *id);
  BOOST_TEST(reqs[0].device_request().from() == "t-ann");
  // The outcome goes to the teacher it was sent for.
  request(*student, device_ack(*id, sig::DEVICE_ACK_DONE));
  BOOST_TEST(teacher->pushes(sig::ServerMessage::kDeviceOutcome).size() == 1u);
  BOOST_TEST(snapshot("room-1").members(1).camera() == sig::CAMERA_DESK);
  // Only as a teacher or assistant of this classroom, to a lamp.
  BOOST_TEST((code_of(backend_asks<std::string>(cmd, std::string("s-cy")))
              == errc::permission_denied));
  BOOST_TEST((code_of(backend_asks<std::string>(cmd, std::string("t-other"))) == errc::not_found));
  cmd.set_target("t-ann");
  BOOST_TEST((code_of(backend_asks<std::string>(cmd, std::string("t-ann"))) == errc::bad_request));
}

BOOST_AUTO_TEST_SUITE_END()
