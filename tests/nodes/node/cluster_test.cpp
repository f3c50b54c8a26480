// Three lamplight-node processes on loopback form a cluster through a seed,
// and each sees the others come, die (kill -9: CAF's monitor notices the
// dropped connection), leave (SIGTERM: a goodbye) and come back (a new
// incarnation under the same name). What an operator sees is what is
// checked: GET /admin/status and /metrics on every node.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <map>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "media/lamp/lamp_client.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using lamplight::test::node_process;
namespace pb = google::protobuf;

namespace {

/// name -> state, from a node's /admin/status.
std::map<std::string, std::string> members_seen_by(const node_process& n) {
  std::map<std::string, std::string> out;
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/admin/status");
  if (r.status != 200)
    return out;
  pb::Struct s;
  if (!pb::util::JsonStringToMessage(r.body, &s).ok())
    return out;
  auto c = s.fields().find("cluster");
  if (c == s.fields().end())
    return out;
  for (const auto& m : c->second.list_value().values()) {
    const auto& f = m.struct_value().fields();
    out[f.at("name").string_value()] = f.at("state").string_value();
  }
  return out;
}

/// Waits (bounded) until every node in `nodes` sees `want`.
bool all_see(const std::vector<const node_process*>& nodes,
             const std::map<std::string, std::string>& want, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    bool ok = true;
    for (auto* n : nodes) {
      auto seen = members_seen_by(*n);
      for (const auto& [name, state] : want)
        ok = ok && seen.count(name) && seen[name] == state;
    }
    if (ok)
      return true;
    std::this_thread::sleep_for(100ms);  // polling a condition, bounded by the deadline
  }
  return false;
}

std::string dump(const node_process& n) {
  std::string out;
  for (auto& [name, state] : members_seen_by(n))
    out += name + "=" + state + " ";
  return out;
}

std::vector<std::string> node_args(const std::string& name, const std::string& seed) {
  std::vector<std::string> a{"--name", name, "--cluster-port", "0", "--token-secret-file",
                             lamplight::test::cluster_secret_file()};
  if (!seed.empty())
    a.insert(a.end(), {"--seeds", seed});
  return a;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(nodes_join_through_a_seed_and_see_each_other_die_leave_and_return) {
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  node_process b(node_args("b", seed));
  node_process c(node_args("c", seed));
  // c learnt about b from the seed and greeted it directly.
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b, &c}, {{"a", "alive"}, {"b", "alive"}, {"c", "alive"}}, 15s),
                        "a: " << dump(a) << " b: " << dump(b) << " c: " << dump(c));

  // kill -9: no goodbye; the dropped connection gives it away.
  b.proc->stop(SIGKILL, 10s);
  BOOST_REQUIRE_MESSAGE(all_see({&a, &c}, {{"b", "dead"}, {"a", "alive"}, {"c", "alive"}}, 10s),
                        "a: " << dump(a) << " c: " << dump(c));

  // Back under the same name: a new incarnation, alive again everywhere.
  b.start(node_args("b", seed));
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b, &c}, {{"a", "alive"}, {"b", "alive"}, {"c", "alive"}}, 15s),
                        "a: " << dump(a) << " b: " << dump(b) << " c: " << dump(c));

  // A clean stop says goodbye: left, not dead.
  c.proc->stop(SIGTERM, 10s);
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b}, {{"c", "left"}}, 10s), "a: " << dump(a) << " b: " << dump(b));

  // Operators' metrics agree.
  auto m = lamplight::transport::http_get("127.0.0.1", a.http_port, "/metrics");
  BOOST_TEST(m.body.find("lamplight_cluster_members{state=\"alive\"} 2") != std::string::npos,
             m.body);
  BOOST_TEST(m.body.find("lamplight_cluster_members{state=\"left\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_node_started_before_its_seed_joins_when_the_seed_comes) {
  // The seed's port is chosen first and then left free for a moment: the
  // joining node must keep trying, not give up.
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  a.proc->stop(SIGTERM, 10s);
  node_process b(node_args("b", seed));
  BOOST_TEST(members_seen_by(b).size() == 1u);  // alone
  a.start({"--name", "a", "--cluster-port", seed.substr(seed.rfind(':') + 1)});
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b}, {{"a", "alive"}, {"b", "alive"}}, 15s),
                        "a: " << dump(a) << " b: " << dump(b));
}

namespace {

/// The classrooms a node holds, from its /admin/status.
std::vector<std::string> classrooms_on(const node_process& n) {
  std::vector<std::string> out;
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/admin/status");
  pb::Struct s;
  if (r.status != 200 || !pb::util::JsonStringToMessage(r.body, &s).ok())
    return out;
  for (const auto& c : s.fields().at("classrooms").list_value().values())
    out.push_back(c.struct_value().fields().at("id").string_value());
  return out;
}

} // namespace

// A teacher's lamp on one gateway and a student's on another meet in one
// classroom, which lives on one node of the three (the one rendezvous
// hashing picks); each decodes the other's camera, whichever node forwards it.
BOOST_AUTO_TEST_CASE(lamps_on_different_nodes_meet_in_one_classroom_and_see_each_other) {
  using namespace lamplight::media::lamp;
  namespace sig = lamplight::signal::v1;
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  node_process b(node_args("b", seed));
  node_process c(node_args("c", seed));
  BOOST_REQUIRE(all_see({&a, &b, &c}, {{"a", "alive"}, {"b", "alive"}, {"c", "alive"}}, 15s));
  auto lamp_on = [](const node_process& n) {
    lamp_options o;
    o.port = n.http_port;
    return std::make_unique<lamp_client>(lamplight::test::shared_lamp_media(), o);
  };
  auto teacher = lamp_on(a);
  auto student = lamp_on(b);
  lamplight::test::require(teacher->join(a.token("teacher-1", "teacher", "&mode=one_on_one", "x")),
                           "teacher joins through a");
  auto joined = lamplight::test::require(student->join(b.token("student-1", "student", "", "x")),
                                         "student joins through b");
  // One classroom, on one node, and the student's snapshot has the teacher.
  int holders = 0;
  for (auto* n : {&a, &b, &c})
    holders += classrooms_on(*n) == std::vector<std::string>{"x"};
  BOOST_TEST(holders == 1);
  bool teacher_there = false;
  for (const auto& m : joined.snapshot().members())
    teacher_there = teacher_there || m.identity() == "teacher-1";
  BOOST_TEST(teacher_there);
  // Media both ways, decoded and in order.
  auto tid = lamplight::test::require(teacher->publish(sig::TRACK_SOURCE_FACE_CAMERA), "publish");
  auto sid = lamplight::test::require(student->publish(sig::TRACK_SOURCE_FACE_CAMERA), "publish");
  sig::TrackInfo t, s;
  t.set_track_id(tid);
  t.set_kind(sig::TRACK_KIND_VIDEO);
  s.set_track_id(sid);
  s.set_kind(sig::TRACK_KIND_VIDEO);
  lamplight::test::require(student->subscribe(t), "student watches the teacher");
  lamplight::test::require(teacher->subscribe(s), "teacher watches the student");
  auto deadline = std::chrono::steady_clock::now() + 20s;
  auto decoded = [](lamp_client& l) {
    uint64_t n = 0;
    for (auto& leg : l.report())
      if (!leg.publishing)
        n = leg.received.frames_decoded;
    return n;
  };
  while (std::chrono::steady_clock::now() < deadline && (decoded(*teacher) < 45 || decoded(*student) < 45))
    std::this_thread::sleep_for(50ms);  // polling a condition, bounded by the deadline
  BOOST_TEST(decoded(*teacher) >= 45u);
  BOOST_TEST(decoded(*student) >= 45u);
  for (auto* l : {teacher.get(), student.get()})
    for (auto& leg : l->report())
      if (!leg.publishing)
        BOOST_TEST(leg.received.stamp_gaps == 0u);
}

// A classroom whose node died is rebuilt once, from its replica, on the
// node that kept it; the dead node, restarted, does not bring back its own
// older copy. With no room node left it is unavailable, never invented.
BOOST_AUTO_TEST_CASE(a_dead_node_s_classroom_is_rebuilt_once_from_its_replica) {
  using namespace lamplight::media::lamp;
  namespace sig = lamplight::signal::v1;
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  node_process b(node_args("b", seed));
  BOOST_REQUIRE(all_see({&a, &b}, {{"a", "alive"}, {"b", "alive"}}, 15s));
  // Classrooms until one lands on b (rendezvous hashing spreads them).
  lamp_options o;
  o.port = a.http_port;
  std::string on_b;
  for (int i = 0; i < 16 && on_b.empty(); ++i) {
    auto id = "r" + std::to_string(i);
    lamp_client t(lamplight::test::shared_lamp_media(), o);
    lamplight::test::require(t.join(a.token("teacher-1", "teacher", "&mode=one_on_one", id)), "join");
    auto held = classrooms_on(b);
    if (std::find(held.begin(), held.end(), id) != held.end()) {
      on_b = id;
      sig::ClientMessage raise;
      raise.mutable_whiteboard()->mutable_stroke()->set_stroke_id("kept");
      raise.mutable_whiteboard()->mutable_stroke()->set_width(0.01f);
      for (float p : {0.1f, 0.1f, 0.2f, 0.2f})
        raise.mutable_whiteboard()->mutable_stroke()->add_points(p);
      lamplight::test::require(t.request(raise), "stroke");
    }
    t.close();
  }
  BOOST_REQUIRE_MESSAGE(!on_b.empty(), "16 classrooms and none on b");
  // Operators see b's journal replicated (on a).
  auto replicated = [&] {
    auto m = lamplight::transport::http_get("127.0.0.1", b.http_port, "/metrics");
    return m.body.find("lamplight_replica_journals{state=\"current\"} 1\n") != std::string::npos
           && m.body.find("lamplight_replica_behind_bytes 0\n") != std::string::npos;
  };
  // Each chunk is fdatasync'ed on the replica: on a loaded disk that can
  // take seconds, so the bound is generous.
  auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until && !replicated())
    std::this_thread::sleep_for(50ms);  // polling a condition, bounded by the deadline
  BOOST_TEST(replicated(), lamplight::transport::http_get("127.0.0.1", b.http_port, "/admin/status").body);
  b.proc->stop(SIGKILL, 10s);
  BOOST_REQUIRE(all_see({&a}, {{"b", "dead"}}, 10s));
  auto has = [](const node_process& n, const std::string& id) {
    auto held = classrooms_on(n);
    return std::find(held.begin(), held.end(), id) != held.end();
  };
  // a took it over as soon as it saw b die.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline && !has(a, on_b))
    std::this_thread::sleep_for(50ms);  // polling a condition, bounded by the deadline
  BOOST_REQUIRE(has(a, on_b));
  lamp_client t(lamplight::test::shared_lamp_media(), o);
  auto r = lamplight::test::require(t.join(a.token("student-1", "student", "", on_b)), "join");
  BOOST_REQUIRE(r.snapshot().whiteboard_size() == 1);
  BOOST_TEST(r.snapshot().whiteboard(0).stroke().stroke_id() == "kept");
  t.close();
  // b comes back: its old journal of the classroom is set aside, not rebuilt.
  b.start(node_args("b", seed));
  BOOST_REQUIRE(all_see({&a, &b}, {{"a", "alive"}, {"b", "alive"}}, 15s));
  BOOST_TEST(!has(b, on_b));
  lamp_options ob;
  ob.port = b.http_port;
  lamp_client tb(lamplight::test::shared_lamp_media(), ob);
  auto rb = lamplight::test::require(tb.join(b.token("student-1", "student", "", on_b)), "join via b");
  BOOST_TEST(rb.snapshot().whiteboard_size() == 1);
  BOOST_TEST(has(a, on_b));
  BOOST_TEST(!has(b, on_b));
  tb.close();
}

// With no other room node to hold a replica, a classroom on a dead node is
// unavailable, not created again elsewhere.
BOOST_AUTO_TEST_CASE(without_a_replica_node_a_dead_node_s_classroom_is_unavailable) {
  using namespace lamplight::media::lamp;
  auto gw = node_args("g", "");
  gw.insert(gw.end(), {"--roles", "gateway"});
  node_process g(gw);
  auto seed = "127.0.0.1:" + std::to_string(g.cluster_port);
  node_process b(node_args("b", seed));
  BOOST_REQUIRE(all_see({&g, &b}, {{"g", "alive"}, {"b", "alive"}}, 15s));
  lamp_options o;
  o.port = g.http_port;
  {
    lamp_client t(lamplight::test::shared_lamp_media(), o);
    lamplight::test::require(t.join(g.token("teacher-1", "teacher", "&mode=one_on_one", "x")), "join");
    t.close();
  }
  BOOST_REQUIRE(classrooms_on(b) == std::vector<std::string>{"x"});
  b.proc->stop(SIGKILL, 10s);
  BOOST_REQUIRE(all_see({&g}, {{"b", "dead"}}, 10s));
  lamp_client t(lamplight::test::shared_lamp_media(), o);
  auto r = t.join(g.token("teacher-1", "teacher", "&mode=one_on_one", "x"));
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == lamplight::protocol::errc::unavailable), r.err().message);
}

// Roles and drain decide where new classrooms go: never on a gateway-only
// node, never on a draining one; a draining node's own classroom goes on.
BOOST_AUTO_TEST_CASE(new_classrooms_avoid_gateway_only_and_draining_nodes) {
  using namespace lamplight::media::lamp;
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  auto gw_args = node_args("g", seed);
  gw_args.insert(gw_args.end(), {"--roles", "gateway"});
  node_process g(gw_args);
  node_process b(node_args("b", seed));
  BOOST_REQUIRE(all_see({&a, &g, &b}, {{"a", "alive"}, {"g", "alive"}, {"b", "alive"}}, 15s));
  auto open_through = [&](node_process& n, const std::string& id) {
    lamp_options o;
    o.port = n.http_port;
    lamp_client t(lamplight::test::shared_lamp_media(), o);
    auto r = t.join(n.token("teacher-1", "teacher", "&mode=one_on_one", id));
    t.close();
    return static_cast<bool>(r);
  };
  // Sixteen classrooms opened through the gateway: none lives there.
  for (int i = 0; i < 16; ++i)
    BOOST_REQUIRE(open_through(g, "c" + std::to_string(i)));
  BOOST_TEST(classrooms_on(g).empty());
  BOOST_TEST(classrooms_on(a).size() + classrooms_on(b).size() == 16u);
  // b drains: the next sixteen all go to a, b keeps its own.
  auto before_b = classrooms_on(b).size();
  auto d = lamplight::transport::http_request_once("127.0.0.1", b.http_port, "POST",
                                                   "/admin/drain?on=1");
  BOOST_REQUIRE_MESSAGE(d.status == 200, d.body);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  auto draining_seen = [&] {
    auto r = lamplight::transport::http_get("127.0.0.1", g.http_port, "/admin/status");
    return r.body.find("\"name\":\"b\",\"state\":\"alive\",\"roles\":\"gateway,room,media\",\"draining\":true")
           != std::string::npos;
  };
  while (std::chrono::steady_clock::now() < deadline && !draining_seen())
    std::this_thread::sleep_for(100ms);  // polling a condition, bounded by the deadline
  BOOST_REQUIRE(draining_seen());
  for (int i = 16; i < 32; ++i)
    BOOST_REQUIRE(open_through(g, "c" + std::to_string(i)));
  BOOST_TEST(classrooms_on(b).size() == before_b);
  BOOST_TEST(classrooms_on(a).size() == 32u - before_b);
  // Its own classrooms still take joins.
  if (before_b > 0)
    BOOST_TEST(open_through(g, classrooms_on(b).front()));
  // A gateway-only node takes WebSockets; a room-only node does not.
  auto room_args = node_args("r", seed);
  room_args.insert(room_args.end(), {"--roles", "room"});
  node_process r(room_args);
  lamp_options o;
  o.port = r.http_port;
  lamp_client t(lamplight::test::shared_lamp_media(), o);
  BOOST_TEST(!t.join(r.token("teacher-1", "teacher", "&mode=one_on_one", "z")));
}

BOOST_AUTO_TEST_SUITE_END()
