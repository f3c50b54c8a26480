// Location transparency: the classroom lives in one actor system, its
// participants in another, connected by CAF's middleman over loopback TCP.
// The scenario is the same as on one node and must pass the same way.
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/classroom/classroom_actor.hpp"
#include "actors/classroom/participant_actor.hpp"
#include "actors/node/directory_actor.hpp"
#include "actors/base/errors.hpp"
#include "actors/system_setup.hpp"
#include "actors/type_ids.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace lamplight::test;
using namespace std::chrono_literals;

namespace {

/// What a session received, shared with the test thread.
struct inbox {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<sig::ServerMessage> pushes;

  void add(sig::ServerMessage m) {
    std::lock_guard<std::mutex> guard(mtx);
    pushes.push_back(std::move(m));
    cv.notify_all();
  }
  /// Waits (bounded) until a push satisfies `pred`.
  template <class Pred>
  bool wait_for(Pred pred) {
    std::unique_lock<std::mutex> guard(mtx);
    return cv.wait_for(guard, 10s, [&] {
      for (auto& m : pushes)
        if (pred(m))
          return true;
      return false;
    });
  }
};

actors::session_actor::behavior_type recording_session(std::shared_ptr<inbox> box) {
  return {
    [=](atoms::push, const sig::ServerMessage& m) { box->add(m); },
    [=](atoms::kick, const sig::Error& e) {
      sig::ServerMessage m;
      *m.mutable_error() = e;
      box->add(m);
    },
  };
}

caf::actor_system_config& prepare(caf::actor_system_config& cfg) {
  actors::add_lamplight_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{250ms});
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

struct remote_member {
  actors::participant_actor participant;
  actors::session_actor session;
  std::shared_ptr<inbox> box = std::make_shared<inbox>();
};

struct two_systems {
  temp_dir dir;
  caf::actor_system_config cfg_a;
  caf::actor_system node_a{prepare(cfg_a)};  // the classroom
  caf::actor_system_config cfg_b;
  caf::actor_system node_b{prepare(cfg_b)};  // the participants
  actors::classroom_actor local_classroom;
  actors::classroom_actor remote_classroom;  // node B's proxy of it
  std::deque<remote_member> members;  // stable references

  two_systems() {
    actors::classroom_config cc;
    cc.spec = {"acme", "room-1", sig::MODE_SMALL_GROUP, 0};
    cc.journal_path = dir.path / "room-1.journal";
    auto c = actors::spawn_classroom(node_a, cc);
    BOOST_REQUIRE(bool(c));
    local_classroom = *c;
    auto port = node_a.middleman().publish(local_classroom, 0, "127.0.0.1");
    BOOST_REQUIRE_MESSAGE(bool(port), (port ? "" : node_a.render(port.error())));
    auto remote = node_b.middleman().remote_actor<actors::classroom_actor>("127.0.0.1", *port);
    BOOST_REQUIRE_MESSAGE(bool(remote), (remote ? "" : node_b.render(remote.error())));
    remote_classroom = *remote;
  }

  ~two_systems() {
    for (auto& m : members) {
      caf::anon_send_exit(m.participant, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(m.session, caf::exit_reason::user_shutdown);
    }
    caf::anon_send_exit(local_classroom, caf::exit_reason::user_shutdown);
  }

  remote_member& add(const protocol::token_claims& who) {
    remote_member m;
    m.participant = actors::spawn_participant(
      node_b, {who, remote_classroom, actors::dispatcher_actor{}, actors::participant_timeouts{}, {}});
    m.session = node_b.spawn(recording_session, m.box);
    caf::scoped_actor self{node_b};
    bool ok = false;
    self->request(m.participant, 10s, atoms::attach::value, m.session)
      .receive([&](const sig::Joined&) { ok = true; },
               [&](caf::error& e) { BOOST_FAIL(node_b.render(e)); });
    BOOST_REQUIRE(ok);
    members.push_back(m);
    return members.back();
  }

  sig::ServerMessage request(remote_member& m, sig::ClientMessage msg) {
    caf::scoped_actor self{node_b};
    sig::ServerMessage out;
    self->request(m.participant, 10s, atoms::client::value, msg)
      .receive([&](const sig::ServerMessage& r) { out = r; },
               [&](caf::error& e) { BOOST_FAIL(node_b.render(e)); });
    return out;
  }

  sig::ClassroomSnapshot snapshot() {
    caf::scoped_actor self{node_b};
    sig::ClassroomSnapshot out;
    self->request(remote_classroom, 10s, caf::get_atom::value, std::string{})
      .receive([&](const sig::ClassroomSnapshot& s) { out = s; },
               [&](caf::error& e) { BOOST_FAIL(node_b.render(e)); });
    return out;
  }
};

bool has_phase(const sig::ServerMessage& m, sig::CallPhase phase) {
  return m.has_call_update() && m.call_update().phase() == phase;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(two_system, two_systems)

BOOST_AUTO_TEST_CASE(classroom_and_participants_on_different_nodes) {
  auto& teacher = add(actor_fixture::claims("t-ann", sig::ROLE_TEACHER));
  auto& student = add(actor_fixture::claims("s-cy", sig::ROLE_STUDENT));
  BOOST_TEST(teacher.box->wait_for([](const sig::ServerMessage& m) {
    return m.has_event() && m.event().has_member_joined()
           && m.event().member_joined().member().identity() == "s-cy";
  }));

  // A call, accepted, connected, hung up.
  auto r = request(teacher, invite("s-cy"));
  BOOST_REQUIRE_MESSAGE(r.has_call_invited(), r.DebugString());
  auto id = r.call_invited().call_id();
  BOOST_TEST(student.box->wait_for([](auto& m) { return m.has_incoming_call(); }));
  BOOST_TEST(request(student, accept_call(id)).has_ack());
  BOOST_TEST(request(student, media_ready(id)).has_ack());
  // A client sets up media once it sees its call connecting.
  BOOST_TEST(teacher.box->wait_for(
    [](auto& m) { return has_phase(m, sig::CALL_PHASE_CONNECTING); }));
  BOOST_TEST(request(teacher, media_ready(id)).has_ack());
  BOOST_TEST(teacher.box->wait_for(
    [](auto& m) { return has_phase(m, sig::CALL_PHASE_CONNECTED); }));
  BOOST_TEST(student.box->wait_for(
    [](auto& m) { return has_phase(m, sig::CALL_PHASE_CONNECTED); }));

  // Hands and a device command cross the nodes too.
  BOOST_TEST(request(student, raise_hand()).has_ack());
  sig::ClientMessage take;
  take.mutable_accept_hand()->set_student("s-cy");
  BOOST_TEST(request(teacher, take).has_ack());
  auto cmd = request(teacher, switch_camera("s-cy", sig::CAMERA_DESK));
  BOOST_REQUIRE(cmd.has_device_command_sent());
  BOOST_TEST(student.box->wait_for([](auto& m) { return m.has_device_request(); }));
  BOOST_TEST(
    request(student, device_ack(cmd.device_command_sent().command_id(), sig::DEVICE_ACK_DONE))
      .has_ack());
  BOOST_TEST(teacher.box->wait_for([](auto& m) {
    return m.has_device_outcome() && m.device_outcome().state() == sig::DEVICE_STATE_DONE;
  }));

  // Typed errors cross nodes with their code.
  auto pc = actor_fixture::claims("p-cy", sig::ROLE_PARENT);
  pc.child = "s-cy";
  auto& parent = add(pc);
  auto denied = request(parent, switch_camera("s-cy", sig::CAMERA_FACE));
  BOOST_TEST((actor_fixture::code_of(denied) == errc::permission_denied), denied.DebugString());

  BOOST_TEST(request(teacher, hangup_call(id)).has_ack());
  BOOST_TEST(student.box->wait_for([](auto& m) {
    return has_phase(m, sig::CALL_PHASE_ENDED)
           && m.call_update().reason() == sig::CALL_END_HANGUP;
  }));
  auto snap = snapshot();
  BOOST_TEST(snap.members_size() == 3);
  BOOST_TEST(snap.calls_size() == 0);
  BOOST_TEST(snap.hand_queue_size() == 0);
  BOOST_TEST(snap.members(1).camera() == sig::CAMERA_DESK);
}

BOOST_AUTO_TEST_CASE(requests_in_someone_elses_name_are_refused) {
  auto& student = add(actor_fixture::claims("s-cy", sig::ROLE_STUDENT));
  (void) student;
  // Node B speaks to the classroom directly, claiming to be s-cy.
  caf::scoped_actor self{node_b};
  bool refused = false;
  self->request(remote_classroom, 10s, atoms::hand::value, std::string("s-cy"),
                sig::RaiseHand{})
    .receive([](caf::ok_atom) {},
             [&](caf::error& e) {
               refused = actors::to_protocol_error(e).code == errc::permission_denied;
             });
  BOOST_TEST(refused);
  BOOST_TEST(snapshot().hand_queue_size() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
