// What a node's metrics count, at the actors, deterministic: each call
// counted once per outcome by its classroom, the counts kept by the
// directory across classrooms and after they close, every Error a gateway
// session returns counted by code, and the classroom rows of the status.
#include "tests/actors/actor_fixture.hpp"

using namespace lamplight::test;
using actors::call_outcome;

namespace {

struct metrics_fixture : actor_fixture {
  actors::node_status status() {
    std::optional<actors::node_status> out;
    caf::scoped_actor self{sys};
    auto req = self->request(directory, caf::infinite, atoms::status::value);
    run();
    req.receive([&](actors::node_status& st) { out = std::move(st); },
                [&](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    BOOST_REQUIRE(out.has_value());
    return *out;
  }

  uint64_t outcome(call_outcome x) {
    return status().call_outcomes.at(static_cast<std::size_t>(x));
  }

  /// Every outcome at once, for checks that nothing else moved.
  std::vector<uint64_t> outcomes() { return status().call_outcomes; }

  uint64_t failed(errc code) {
    auto st = status();
    auto i = static_cast<std::size_t>(code);
    return i < st.requests_failed.size() ? st.requests_failed[i] : 0;
  }

  client& teacher_in(const std::string& classroom, sig::ClassroomMode mode) {
    auto c = claims("t-ann", sig::ROLE_TEACHER, classroom);
    c.mode = mode;
    return join(c);
  }

  /// `caller` rings `callee`; returns the call id.
  std::string ring(client& caller, client& callee, const std::string& callee_id) {
    auto r = request(caller, invite(callee_id));
    BOOST_REQUIRE_MESSAGE(r.has_call_invited(), r.DebugString());
    BOOST_REQUIRE(!callee.pushes(sig::ServerMessage::kIncomingCall).empty());
    return r.call_invited().call_id();
  }

  static std::vector<uint64_t> only(call_outcome x, uint64_t n) {
    std::vector<uint64_t> v(actors::call_outcome_count);
    v[static_cast<std::size_t>(x)] = n;
    return v;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(node_metrics, metrics_fixture)

BOOST_AUTO_TEST_CASE(each_call_counts_once_per_outcome) {
  auto& t = teacher_in("room-1", sig::MODE_SMALL_GROUP);
  auto& s = join(claims("s-cy", sig::ROLE_STUDENT));
  BOOST_TEST(outcomes() == only(call_outcome::rejected, 0), boost::test_tools::per_element());

  auto id = ring(t, s, "s-cy");
  request(s, reject_call(id));
  request(s, reject_call(id));  // a second reject of the same call: wrong_state, not counted
  BOOST_TEST(outcomes() == only(call_outcome::rejected, 1), boost::test_tools::per_element());

  id = ring(t, s, "s-cy");
  request(t, cancel_call(id));
  BOOST_TEST(outcome(call_outcome::cancelled) == 1u);

  id = ring(t, s, "s-cy");
  advance(timeouts.ring);  // both sides' ring timers fire: one outcome
  BOOST_TEST(outcome(call_outcome::ring_timeout) == 1u);

  id = ring(t, s, "s-cy");
  request(s, accept_call(id));
  request(s, media_ready(id));
  advance(timeouts.media_setup);
  BOOST_TEST(outcome(call_outcome::media_timeout) == 1u);
  BOOST_TEST(outcome(call_outcome::connected) == 0u);

  id = ring(t, s, "s-cy");
  request(s, accept_call(id));
  request(s, media_ready(id));
  request(t, media_ready(id));
  BOOST_TEST(outcome(call_outcome::connected) == 1u);
  request(t, media_ready(id));  // nothing new: still one connected call
  request(t, hangup_call(id));
  request(s, hangup_call(id));  // already over
  auto v = outcomes();
  BOOST_TEST(v[static_cast<std::size_t>(call_outcome::connected)] == 1u);
  BOOST_TEST(v[static_cast<std::size_t>(call_outcome::hangup)] == 1u);
  BOOST_TEST(v[static_cast<std::size_t>(call_outcome::rejected)] == 1u);
  BOOST_TEST(v[static_cast<std::size_t>(call_outcome::peer_dropped)] == 0u);
}

BOOST_AUTO_TEST_CASE(busy_unreachable_and_dropped_calls_are_outcomes_too) {
  auto& t = teacher_in("room-1", sig::MODE_SMALL_GROUP);
  auto& s = join(claims("s-cy", sig::ROLE_STUDENT));
  auto& s2 = join(claims("s-dee", sig::ROLE_STUDENT));
  auto& a = join(claims("a-dan", sig::ROLE_ASSISTANT));
  auto id = ring(t, s, "s-cy");
  request(s, accept_call(id));
  // The callee is in a call: the assistant's call ends busy.
  BOOST_TEST((code_of(request(a, invite("s-cy"))) == errc::busy));
  BOOST_TEST(outcome(call_outcome::busy) == 1u);
  // A member without a connection cannot be rung: failed.
  disconnect(s2);
  BOOST_TEST((code_of(request(a, invite("s-dee"))) == errc::unavailable));
  BOOST_TEST(outcome(call_outcome::failed) == 1u);
  // The callee of the running call vanishes for good: peer_dropped.
  disconnect(s);
  advance(timeouts.reconnect_grace);
  BOOST_TEST(outcome(call_outcome::peer_dropped) == 1u);
  BOOST_TEST(outcome(call_outcome::connected) == 0u);
  // A bad invite is an error, not a call.
  BOOST_TEST((code_of(request(t, invite("nobody"))) == errc::not_found));
  BOOST_TEST(outcome(call_outcome::failed) == 1u);
}

BOOST_AUTO_TEST_CASE(counts_add_up_across_classrooms_and_survive_them_closing) {
  auto& t1 = teacher_in("room-1", sig::MODE_ONE_ON_ONE);
  auto& s1 = join(claims("s-cy", sig::ROLE_STUDENT, "room-1"));
  auto t2c = claims("t-bo", sig::ROLE_TEACHER, "room-2");
  t2c.mode = sig::MODE_ONE_ON_ONE;
  auto& t2 = join(t2c);
  auto& s2 = join(claims("s-eve", sig::ROLE_STUDENT, "room-2"));
  request(s1, reject_call(ring(t1, s1, "s-cy")));
  request(s2, reject_call(ring(t2, s2, "s-eve")));
  BOOST_TEST(outcome(call_outcome::rejected) == 2u);
  // A call still running when its classroom closes loses both parties.
  auto id = ring(t2, s2, "s-eve");
  request(s2, accept_call(id));
  caf::anon_send(classroom("room-2"), atoms::close::value, std::string("lesson over"));
  run();
  auto st = status();
  BOOST_TEST(st.classrooms == 1u);
  BOOST_TEST(st.call_outcomes[static_cast<std::size_t>(call_outcome::rejected)] == 2u);
  BOOST_TEST(st.call_outcomes[static_cast<std::size_t>(call_outcome::peer_dropped)] == 1u);
}

BOOST_AUTO_TEST_CASE(errors_returned_to_clients_are_counted_by_code) {
  auto& c = connect();
  BOOST_TEST((code_of(request(c, raise_hand())) == errc::not_joined));
  sig::ClientMessage m;
  m.mutable_join()->set_token("garbage");
  BOOST_TEST((code_of(request(c, m)) == errc::unauthenticated));
  send_frame(c, R"({"requestId":"9","raiseHand":)", wire_format::json);
  BOOST_TEST((code_of(*c.reply(9)) == errc::bad_request));
  send_frame(c, R"({"requestId":"10","teleport":{}})", wire_format::json);
  BOOST_TEST((code_of(*c.reply(10)) == errc::unknown_message));
  // A student cannot open a classroom that does not exist.
  m.mutable_join()->set_token(token(claims("s-cy", sig::ROLE_STUDENT)));
  BOOST_TEST((code_of(request(c, m)) == errc::classroom_not_found));
  // Errors from the participant and the classroom pass the same way.
  auto& t = teacher_in("room-1", sig::MODE_SMALL_GROUP);
  sig::ClientMessage lower;
  lower.mutable_lower_hand();
  BOOST_TEST((code_of(request(t, lower)) == errc::permission_denied));
  BOOST_TEST((code_of(request(t, accept_call("no-such-call"))) == errc::not_found));
  // Successes and pings are not failures.
  sig::ClientMessage ping;
  ping.mutable_ping();
  request(t, ping);
  request(t, stroke("s1", {0.1f, 0.2f}));
  auto st = status();
  auto at = [&](errc e) { return st.requests_failed.at(static_cast<std::size_t>(e)); };
  BOOST_TEST(at(errc::not_joined) == 1u);
  BOOST_TEST(at(errc::unauthenticated) == 1u);
  BOOST_TEST(at(errc::bad_request) == 1u);
  BOOST_TEST(at(errc::unknown_message) == 1u);
  BOOST_TEST(at(errc::classroom_not_found) == 1u);
  BOOST_TEST(at(errc::permission_denied) == 1u);
  BOOST_TEST(at(errc::not_found) == 1u);
  uint64_t total = 0;
  for (auto n : st.requests_failed)
    total += n;
  BOOST_TEST(total == 7u);
}

BOOST_AUTO_TEST_CASE(status_lists_each_classroom_with_its_members_and_tracks) {
  teacher_in("room-1", sig::MODE_SMALL_GROUP);
  auto& s = join(claims("s-cy", sig::ROLE_STUDENT));
  auto bc = claims("t-bo", sig::ROLE_TEACHER, "lab", "beta");
  bc.mode = sig::MODE_LARGE_CLASS;
  join(bc);
  BOOST_REQUIRE(request(s, publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}})).has_published());
  auto st = status();
  BOOST_TEST(st.classrooms == 2u);
  BOOST_TEST(st.members == 3u);
  BOOST_TEST(st.online == 3u);
  BOOST_TEST(st.tracks == 1u);
  BOOST_REQUIRE(st.rooms.size() == 2u);
  BOOST_TEST(st.rooms[0].tenant == "acme");
  BOOST_TEST(st.rooms[0].classroom_id == "room-1");
  BOOST_TEST(st.rooms[0].mode == sig::MODE_SMALL_GROUP);
  BOOST_TEST(st.rooms[0].members == 2u);
  BOOST_TEST(st.rooms[0].tracks == 1u);
  BOOST_TEST(st.rooms[0].answered);
  BOOST_TEST(st.rooms[1].tenant == "beta");
  BOOST_TEST(st.rooms[1].classroom_id == "lab");
  BOOST_TEST(st.rooms[1].mode == sig::MODE_LARGE_CLASS);
  BOOST_TEST(st.media_workers.empty());  // no media in this system
  // Offline first, then gone after the grace: both gauges come down.
  disconnect(s);
  st = status();
  BOOST_TEST(st.members == 3u);
  BOOST_TEST(st.online == 2u);
  advance(timeouts.reconnect_grace);
  st = status();
  BOOST_TEST(st.members == 2u);
  BOOST_TEST(st.tracks == 0u);  // its track went with it
}

BOOST_AUTO_TEST_SUITE_END()
