// The directory rebuilds classrooms from their journals, exactly.
#include "tests/actors/actor_fixture.hpp"

#include "storage/journal.hpp"
#include "protocol/classroom_model.hpp"

using namespace lamplight::test;

BOOST_FIXTURE_TEST_SUITE(directory_actor, actor_fixture)

BOOST_AUTO_TEST_CASE(classroom_state_is_rebuilt_exactly_after_restart) {
  auto tc = claims("t-ann", sig::ROLE_TEACHER);
  tc.mode = sig::MODE_SMALL_GROUP;
  auto& teacher = join(tc);
  auto& s1 = join(claims("s-1", sig::ROLE_STUDENT));
  auto& s2 = join(claims("s-2", sig::ROLE_STUDENT), wire_format::binary);
  request(s1, raise_hand());
  request(s2, raise_hand());
  request(teacher, stroke("a", {0.1f, 0.1f, 0.2f, 0.2f}));
  request(teacher, stroke("b", {0.3f, 0.3f}));
  sig::ClientMessage erase;
  erase.mutable_whiteboard()->mutable_erase()->set_stroke_id("a");
  request(teacher, erase);
  auto cmd = request(teacher, switch_camera("s-2", sig::CAMERA_DESK));
  request(s2, device_ack(cmd.device_command_sent().command_id(), sig::DEVICE_ACK_DONE));
  sig::ClientMessage take;
  take.mutable_accept_hand();
  request(teacher, take);
  auto before = snapshot("room-1");
  BOOST_REQUIRE(before.hand_queue_size() == 1);

  stop_directory();
  // The journal alone rebuilds the same state, byte for byte.
  auto journal = lamplight::storage::read_journal(dir.path / "journal" / "acme" / "room-1.journal");
  BOOST_REQUIRE(bool(journal));
  BOOST_TEST(!journal->truncated_tail);
  protocol::classroom_model model;
  for (auto& ev : journal->events)
    BOOST_REQUIRE((model.apply(ev) == errc::none));
  BOOST_TEST(model.snapshot().SerializeAsString() == before.SerializeAsString());

  // A new node on the same data directory brings the classroom back; nobody
  // is connected yet, so everyone shows offline, and the rest is unchanged.
  clients.clear();
  start_directory();
  auto after = snapshot("room-1");
  BOOST_TEST(after.seq() == before.seq() + 3);  // three presence events
  for (auto& m : *after.mutable_members()) {
    BOOST_TEST(m.presence() == sig::PRESENCE_OFFLINE);
    m.set_presence(sig::PRESENCE_ONLINE);
  }
  after.set_seq(before.seq());
  BOOST_TEST(after.SerializeAsString() == before.SerializeAsString());

  // Members come back into their seats.
  auto& back = join(claims("s-2", sig::ROLE_STUDENT));
  auto snap = back.reply(1)->joined().snapshot();
  BOOST_TEST(snap.hand_queue_size() == 1);
  BOOST_TEST(snap.whiteboard_size() == 1);
  // Members who do not come back lose their seat after the grace.
  advance(std::chrono::seconds(31));
  BOOST_TEST(snapshot("room-1").members_size() == 1);
}

BOOST_AUTO_TEST_CASE(closed_classrooms_stay_closed) {
  auto tc = claims("t-ann", sig::ROLE_TEACHER);
  tc.mode = sig::MODE_ONE_ON_ONE;
  auto& teacher = join(tc);
  auto c = classroom("room-1");
  caf::anon_send(c, atoms::close::value, std::string("lesson over"));
  run();
  BOOST_TEST(teacher.link->closed);
  stop_directory();
  start_directory();
  caf::scoped_actor self{sys};
  auto req = self->request(directory, caf::infinite, atoms::list::value, std::string{});
  run();
  req.receive([](const std::vector<std::string>& names) { BOOST_TEST(names.empty()); },
              [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

BOOST_AUTO_TEST_CASE(status_counts_members) {
  auto tc = claims("t-ann", sig::ROLE_TEACHER);
  tc.mode = sig::MODE_LARGE_CLASS;
  join(tc);
  join(claims("s-1", sig::ROLE_STUDENT));
  caf::scoped_actor self{sys};
  auto req = self->request(directory, caf::infinite, atoms::status::value);
  run();
  req.receive(
    [](const actors::node_status& st) {
      BOOST_TEST(st.classrooms == 1u);
      BOOST_TEST(st.members == 2u);
      BOOST_TEST(st.online == 2u);
    },
    [](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
}

BOOST_AUTO_TEST_SUITE_END()
