// Node death and cross-node media in a cluster of lamplight-node processes
// on loopback, during a call: kill -9 of the room node holding a classroom
// (its journal and photos live on in the replica another room node keeps,
// which rebuilds it; the lamps' participants on their gateways rejoin it),
// kill -9 of a gateway (the lamp reconnects through another with its token
// and finds its seat and call; its media never went through the gateway),
// a track piped once to another media node for all its watchers there, and
// kill -9 of a media node (its members get their media on another).
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <csignal>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "media/lamp/lamp_client.hpp"
#include "media/lamp/lamp_device.hpp"
#include "protocol/photo_transfer.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using lamplight::test::node_process;
using lamplight::test::require;
using namespace lamplight::media::lamp;
namespace sig = lamplight::signal::v1;
namespace pb = google::protobuf;

namespace {

std::vector<std::string> node_args(const std::string& name, const std::string& seed,
                                   const std::string& roles) {
  std::vector<std::string> a{"--name",  name,  "--cluster-port",      "0",
                             "--roles", roles, "--token-secret-file", lamplight::test::cluster_secret_file()};
  if (!seed.empty())
    a.insert(a.end(), {"--seeds", seed});
  return a;
}

/// How many members a node's /admin/status shows alive.
int alive_seen_by(const node_process& n) {
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/admin/status");
  pb::Struct s;
  if (r.status != 200 || !pb::util::JsonStringToMessage(r.body, &s).ok())
    return 0;
  int alive = 0;
  for (const auto& m : s.fields().at("cluster").list_value().values())
    alive += m.struct_value().fields().at("state").string_value() == "alive";
  return alive;
}

void wait_for_cluster(const std::vector<const node_process*>& nodes) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  auto all = [&] {
    for (auto* n : nodes)
      if (alive_seen_by(*n) != static_cast<int>(nodes.size()))
        return false;
    return true;
  };
  while (std::chrono::steady_clock::now() < deadline && !all())
    std::this_thread::sleep_for(100ms);  // polling a condition, bounded by the deadline
  BOOST_REQUIRE_MESSAGE(all(), "the cluster did not form");
}

bool holds(const node_process& n, const std::string& classroom) {
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/admin/status");
  pb::Struct s;
  if (r.status != 200 || !pb::util::JsonStringToMessage(r.body, &s).ok())
    return false;
  for (const auto& c : s.fields().at("classrooms").list_value().values())
    if (c.struct_value().fields().at("id").string_value() == classroom)
      return true;
  return false;
}

std::unique_ptr<lamp_client> lamp_on(const node_process& n) {
  lamp_options o;
  o.port = n.http_port;
  return std::make_unique<lamp_client>(lamplight::test::shared_lamp_media(), o);
}

bool call_phase(const sig::ServerMessage& m, sig::CallPhase p) {
  return m.has_call_update() && m.call_update().phase() == p;
}

/// teacher calls student; both report media ready; both see connected.
std::string connect_call(lamp_client& teacher, lamp_client& student, const std::string& callee) {
  sig::ClientMessage invite;
  invite.mutable_call_invite()->set_callee(callee);
  auto id = require(teacher.request(invite), "invite").call_invited().call_id();
  BOOST_REQUIRE(student.wait_for([](auto& m) { return m.has_incoming_call(); }, 10s));
  sig::ClientMessage accept, ready;
  accept.mutable_call_accept()->set_call_id(id);
  ready.mutable_call_media_ready()->set_call_id(id);
  require(student.request(accept), "accept");
  require(student.request(ready), "student media ready");
  require(teacher.request(ready), "teacher media ready");
  for (auto* l : {&teacher, &student})
    BOOST_REQUIRE(l->wait_for([](auto& m) { return call_phase(m, sig::CALL_PHASE_CONNECTED); }, 10s));
  return id;
}

sig::ClassroomSnapshot snapshot_of(lamp_client& l) {
  sig::ClientMessage m;
  m.mutable_get_snapshot();
  return require(l.request(std::move(m)), "snapshot").snapshot();
}

const sig::CallInfo* find_call(const sig::ClassroomSnapshot& s, const std::string& id) {
  for (const auto& c : s.calls())
    if (c.call_id() == id)
      return &c;
  return nullptr;
}

uint64_t decoded(lamp_client& l) {
  uint64_t n = 0;
  for (auto& leg : l.report())
    if (!leg.publishing)
      n += leg.received.frames_decoded;
  return n;
}

/// Waits (bounded) until `l` decoded `more` frames past `from`.
bool decodes_more(lamp_client& l, uint64_t from, uint64_t more) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && decoded(l) < from + more)
    std::this_thread::sleep_for(50ms);  // polling a condition, bounded by the deadline
  return decoded(l) >= from + more;
}

/// Both publish their face cameras, then each watches the other's.
void face_to_face(lamp_client& a, const std::string& a_id, lamp_client& b, const std::string& b_id) {
  require(a.publish(sig::TRACK_SOURCE_FACE_CAMERA), "publish");
  require(b.publish(sig::TRACK_SOURCE_FACE_CAMERA), "publish");
  auto watch = [](lamp_client& me, const std::string& other) {
    auto m = me.wait_for(
      [&](const sig::ServerMessage& x) {
        return x.has_event() && x.event().has_track_published()
               && x.event().track_published().track().owner() == other
               && x.event().track_published().track().source() == sig::TRACK_SOURCE_FACE_CAMERA;
      },
      15s);
    BOOST_REQUIRE_MESSAGE(m.has_value(), "no face camera from " << other);
    require(me.subscribe(m->event().track_published().track()), "subscribe");
  };
  watch(a, b_id);
  watch(b, a_id);
}

/// Each lamp gets a Joined it did not ask for: its classroom is back (on
/// another node). The teacher's snapshot then.
sig::ClassroomSnapshot wait_until_back(lamp_client& teacher, lamp_client& student) {
  for (auto* l : {&teacher, &student}) {
    auto j = l->wait_for(
      [](const sig::ServerMessage& m) { return m.request_id() == 0 && m.has_joined(); }, 20s);
    BOOST_REQUIRE_MESSAGE(j.has_value(), "no Joined: the classroom did not come back");
  }
  auto snap = snapshot_of(teacher);
  BOOST_TEST(snap.members_size() == 2);
  for (const auto& m : snap.members())
    BOOST_TEST(m.presence() == sig::PRESENCE_ONLINE, m.identity());
  return snap;
}

void draw(lamp_client& l, const std::string& id) {
  sig::ClientMessage stroke;
  auto* s = stroke.mutable_whiteboard()->mutable_stroke();
  s->set_stroke_id(id);
  s->set_color("#112233");
  s->set_width(0.01f);
  for (float p : {0.1f, 0.2f, 0.3f, 0.4f})
    s->add_points(p);
  require(l.request(stroke), "stroke");
}

/// A counter of a node's /metrics (0 if absent).
double metric(const node_process& n, const std::string& name) {
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/metrics");
  auto at = r.body.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::stod(r.body.substr(at + name.size() + 2));
}

/// The track `owner` published from `source`, as a member sees it pushed.
std::optional<sig::TrackInfo> published_by(lamp_client& l, const std::string& owner,
                                           sig::TrackSource source) {
  auto m = l.wait_for(
    [&](const sig::ServerMessage& x) {
      return x.has_event() && x.event().has_track_published()
             && x.event().track_published().track().owner() == owner
             && x.event().track_published().track().source() == source;
    },
    15s);
  if (!m)
    return std::nullopt;
  return m->event().track_published().track();
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_failover)

// Two gateways, two room nodes. The classroom lives on one room node and
// is replicated to the other; kill -9 of its node in the middle of a call
// brings it back on the other with its members, call, whiteboard and
// homework photo; the lamps get a fresh Joined and their media again.
BOOST_AUTO_TEST_CASE(a_killed_room_node_s_classroom_comes_back_from_its_replica) {
  node_process g1(node_args("g1", "", "gateway"));
  auto seed = "127.0.0.1:" + std::to_string(g1.cluster_port);
  node_process g2(node_args("g2", seed, "gateway"));
  node_process r1(node_args("r1", seed, "room,media"));
  node_process r2(node_args("r2", seed, "room,media"));
  wait_for_cluster({&g1, &g2, &r1, &r2});

  auto teacher = lamp_on(g1);
  auto student = lamp_on(g2);
  require(teacher->join(g1.token("t1", "teacher", "&mode=small_group", "k")), "teacher joins");
  require(student->join(g2.token("s1", "student", "", "k")), "student joins");
  BOOST_REQUIRE(holds(r1, "k") != holds(r2, "k"));
  auto& owner = holds(r1, "k") ? r1 : r2;
  auto& other = holds(r1, "k") ? r2 : r1;

  // A homework photo through the student lamp's data channel.
  require(student->publish(sig::TRACK_SOURCE_DESK_CAMERA), "student publishes its desk");
  std::string photo;
  {
    lamp_device device(*student, "s1");
    sig::ClientMessage cmd;
    auto* c = cmd.mutable_device_command();
    c->set_target("s1");
    c->set_deadline_ms(30000);
    c->mutable_capture_photo()->set_width(1280);
    c->mutable_capture_photo()->set_height(960);
    auto id = require(teacher->request(cmd), "photo command").device_command_sent().command_id();
    std::atomic<bool> stop{false};
    std::thread loop([&] {
      while (!stop)
        (void) device.step(50ms);
    });
    auto done = teacher->wait_for(
      [&](const sig::ServerMessage& m) {
        return m.has_device_outcome() && m.device_outcome().command_id() == id
               && m.device_outcome().state() == sig::DEVICE_STATE_DONE;
      },
      30s);
    stop = true;
    loop.join();
    BOOST_REQUIRE_MESSAGE(done.has_value(), "the photo was not taken");
    photo = done->device_outcome().detail();
  }
  // A call, and a stroke on the whiteboard.
  auto call = connect_call(*teacher, *student, "s1");
  draw(*teacher, "st-1");

  owner.proc->stop(SIGKILL, 10s);

  auto snap = wait_until_back(*teacher, *student);
  BOOST_TEST(holds(other, "k"));
  auto* c = find_call(snap, call);
  BOOST_REQUIRE_MESSAGE(c, "the call is gone: " << snap.ShortDebugString());
  BOOST_TEST(c->phase() == sig::CALL_PHASE_CONNECTED);
  BOOST_REQUIRE(snap.whiteboard_size() == 1);
  BOOST_TEST(snap.whiteboard(0).stroke().stroke_id() == "st-1");
  BOOST_REQUIRE(snap.photos_size() == 1);
  BOOST_TEST(snap.photos(0).photo_id() == photo);
  BOOST_TEST(snap.tracks_size() == 0);  // their media died with the node
  // The photo's bytes came along, served by the node that holds it now.
  auto got = lamplight::transport::http_get(
    "127.0.0.1", other.http_port, "/photos/" + photo + "?token=" + other.token("t1", "teacher", "", "k"));
  BOOST_TEST(got.status == 200);
  BOOST_TEST(lamplight::protocol::sha256_hex(got.body.data(), got.body.size()) == photo);

  // Media again, through the new room node; the call goes on.
  auto t0 = decoded(*teacher), s0 = decoded(*student);
  face_to_face(*teacher, "t1", *student, "s1");
  BOOST_TEST(decodes_more(*teacher, t0, 30));
  BOOST_TEST(decodes_more(*student, s0, 30));
  sig::ClientMessage hangup;
  hangup.mutable_call_hangup()->set_call_id(call);
  BOOST_TEST(static_cast<bool>(teacher->request(hangup)));
  BOOST_TEST(student->wait_for([](auto& m) { return call_phase(m, sig::CALL_PHASE_ENDED); }, 10s)
               .has_value());
}

// The classroom on a room node, the student through gateway g2. kill -9 of
// g2 mid-call: the student's media to the room node goes on; it reconnects
// through g1 with its token and finds its seat, its tracks and its call.
BOOST_AUTO_TEST_CASE(a_lamp_whose_gateway_died_resumes_its_seat_and_call_through_another) {
  node_process g1(node_args("g1", "", "gateway"));
  auto seed = "127.0.0.1:" + std::to_string(g1.cluster_port);
  node_process g2(node_args("g2", seed, "gateway"));
  node_process r1(node_args("r1", seed, "room,media"));
  wait_for_cluster({&g1, &g2, &r1});
  auto teacher = lamp_on(g1);
  auto student = lamp_on(g2);
  require(teacher->join(g1.token("t1", "teacher", "&mode=one_on_one", "q")), "teacher");
  require(student->join(g2.token("s1", "student", "", "q")), "student");
  auto call = connect_call(*teacher, *student, "s1");
  face_to_face(*teacher, "t1", *student, "s1");
  BOOST_REQUIRE(decodes_more(*teacher, 0, 30));

  g2.proc->stop(SIGKILL, 10s);
  // The teacher keeps seeing the student: media never crossed g2.
  BOOST_TEST(decodes_more(*teacher, decoded(*teacher), 30));
  auto back = require(student->rejoin(g1.http_port, g1.token("s1", "student", "", "q")),
                      "the student comes back through g1");
  auto* c = find_call(back.snapshot(), call);
  BOOST_REQUIRE_MESSAGE(c, "the call is gone: " << back.snapshot().ShortDebugString());
  BOOST_TEST(c->phase() == sig::CALL_PHASE_CONNECTED);
  BOOST_TEST(back.snapshot().tracks_size() == 2);  // both cameras still published
  BOOST_TEST(student->wait_for([](auto& m) { return call_phase(m, sig::CALL_PHASE_CONNECTED); }, 10s)
               .has_value());
  // The resumed participant can end the call it took over.
  sig::ClientMessage hangup;
  hangup.mutable_call_hangup()->set_call_id(call);
  BOOST_TEST(static_cast<bool>(student->request(hangup)));
  BOOST_TEST(teacher->wait_for([](auto& m) { return call_phase(m, sig::CALL_PHASE_ENDED); }, 10s)
               .has_value());
  BOOST_TEST(decodes_more(*teacher, decoded(*teacher), 15));
}

// Drain with move: the room node hands its classroom over to the node with
// its replica while the call goes on; nothing is lost and the lamps follow.
BOOST_AUTO_TEST_CASE(a_draining_node_hands_its_classroom_over_mid_call) {
  node_process g1(node_args("g1", "", "gateway"));
  auto seed = "127.0.0.1:" + std::to_string(g1.cluster_port);
  node_process r1(node_args("r1", seed, "room,media"));
  node_process r2(node_args("r2", seed, "room,media"));
  wait_for_cluster({&g1, &r1, &r2});
  auto teacher = lamp_on(g1);
  auto student = lamp_on(g1);
  require(teacher->join(g1.token("t1", "teacher", "&mode=one_on_one", "m")), "teacher");
  require(student->join(g1.token("s1", "student", "", "m")), "student");
  auto& owner = holds(r1, "m") ? r1 : r2;
  auto& other = holds(r1, "m") ? r2 : r1;
  auto call = connect_call(*teacher, *student, "s1");
  draw(*teacher, "before-move");

  auto d = lamplight::transport::http_request_once("127.0.0.1", owner.http_port, "POST",
                                                   "/admin/drain?on=1&move=1");
  BOOST_REQUIRE_MESSAGE(d.status == 200, d.body);
  BOOST_TEST(d.body == "{\"draining\":true,\"moved\":[\"acme/m\"]}");
  auto snap = wait_until_back(*teacher, *student);
  BOOST_TEST(holds(other, "m"));
  BOOST_TEST(!holds(owner, "m"));
  auto* c = find_call(snap, call);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->phase() == sig::CALL_PHASE_CONNECTED);
  BOOST_REQUIRE(snap.whiteboard_size() == 1);
  BOOST_TEST(snap.whiteboard(0).stroke().stroke_id() == "before-move");
  draw(*student, "after-move");
  face_to_face(*teacher, "t1", *student, "s1");
  BOOST_TEST(decodes_more(*teacher, 0, 30));
  BOOST_TEST(decodes_more(*student, 0, 30));
  // The drained node, restarted, does not bring its old copy back.
  owner.proc->stop(SIGTERM, 10s);
  owner.start(node_args(&owner == &r1 ? "r1" : "r2", seed, "room,media"));
  wait_for_cluster({&g1, &r1, &r2});
  BOOST_TEST(!holds(owner, "m"));
  BOOST_TEST(snapshot_of(*teacher).whiteboard_size() == 2);
}


// Media nodes apart from room nodes: a member's media goes to the media
// node of its gateway. A track published on one media node and watched by
// two members on another crosses between them once (a pipe), and the
// second node fans it out.
BOOST_AUTO_TEST_CASE(a_track_crosses_to_another_media_node_once_for_all_its_watchers_there) {
  node_process g1(node_args("g1", "", "gateway,media"));
  auto seed = "127.0.0.1:" + std::to_string(g1.cluster_port);
  node_process g2(node_args("g2", seed, "gateway,media"));
  node_process r1(node_args("r1", seed, "room"));
  wait_for_cluster({&g1, &g2, &r1});
  auto teacher = lamp_on(g1);
  auto s1 = lamp_on(g2);
  auto s2 = lamp_on(g2);
  require(teacher->join(g1.token("t1", "teacher", "&mode=small_group", "p")), "teacher joins");
  require(s1->join(g2.token("s1", "student", "", "p")), "s1 joins");
  require(s2->join(g2.token("s2", "student", "", "p")), "s2 joins");
  BOOST_TEST(holds(r1, "p"));
  require(teacher->publish(sig::TRACK_SOURCE_FACE_CAMERA), "teacher publishes");
  for (auto* s : {s1.get(), s2.get()}) {
    auto t = published_by(*s, "t1", sig::TRACK_SOURCE_FACE_CAMERA);
    BOOST_REQUIRE_MESSAGE(t.has_value(), "no teacher track");
    require(s->subscribe(*t), "subscribe");
  }
  BOOST_TEST(decodes_more(*s1, 0, 30));
  BOOST_TEST(decodes_more(*s2, 0, 30));
  // While both watch: g1 sends each packet of the teacher's once (into the
  // pipe), g2 takes it in once and sends it out twice. The room node
  // carries no media.
  auto counts = [&] {
    return std::array<double, 6>{metric(g1, "lamplight_media_rtp_in_total"),
                                 metric(g1, "lamplight_media_rtp_forwarded_total"),
                                 metric(g2, "lamplight_media_rtp_in_total"),
                                 metric(g2, "lamplight_media_rtp_forwarded_total"),
                                 metric(g1, "lamplight_media_pipe_rtp_out_total"),
                                 metric(g2, "lamplight_media_pipe_rtp_in_total")};
  };
  auto before = counts();
  BOOST_TEST(decodes_more(*s1, decoded(*s1), 30));
  BOOST_TEST(decodes_more(*s2, decoded(*s2), 30));
  auto after = counts();
  double g1_in = after[0] - before[0], g1_out = after[1] - before[1];
  double g2_in = after[2] - before[2], g2_out = after[3] - before[3];
  BOOST_TEST_MESSAGE("g1 in " << g1_in << " out " << g1_out << ", g2 in " << g2_in << " out "
                              << g2_out);
  BOOST_TEST(g1_in > 30);
  BOOST_TEST(g1_out <= g1_in * 1.1 + 5);  // once, and a few retransmissions
  BOOST_TEST(g2_in > 30);
  BOOST_TEST(g2_out >= g2_in * 1.8);
  // All of g1's went into the pipe, all of g2's came out of it.
  BOOST_TEST(after[4] - before[4] >= g1_out * 0.95);
  BOOST_TEST(after[5] - before[5] >= g2_in * 0.95);
  BOOST_TEST(metric(g1, "lamplight_media_pipes") == 1);
  BOOST_TEST(metric(g2, "lamplight_media_pipes") == 1);
  BOOST_TEST(metric(r1, "lamplight_media_rtp_in_total") == 0);
}

// kill -9 of a media node mid-call: the classroom (on its room node) and
// the call go on; the member whose media was there is told to start its
// media over (an unasked Joined) and gets it on the media node left.
BOOST_AUTO_TEST_CASE(a_killed_media_node_s_members_get_their_media_on_another_mid_call) {
  node_process g1(node_args("g1", "", "gateway,media"));
  auto seed = "127.0.0.1:" + std::to_string(g1.cluster_port);
  node_process g2(node_args("g2", seed, "gateway"));
  node_process m2(node_args("m2", seed, "media"));
  node_process r1(node_args("r1", seed, "room"));
  wait_for_cluster({&g1, &g2, &m2, &r1});
  auto teacher = lamp_on(g1);
  auto student = lamp_on(g2);
  require(teacher->join(g1.token("t1", "teacher", "&mode=one_on_one", "q")), "teacher joins");
  require(student->join(g2.token("s1", "student", "", "q")), "student joins");
  // The teacher's media on g1 (its gateway's); the student's gateway has
  // none, so its media goes to the least loaded media node: m2.
  face_to_face(*teacher, "t1", *student, "s1");
  auto call = connect_call(*teacher, *student, "s1");
  BOOST_TEST(decodes_more(*teacher, 0, 30));
  BOOST_TEST(decodes_more(*student, 0, 30));
  BOOST_TEST(metric(m2, "lamplight_media_rtp_in_total") > 0);
  BOOST_TEST(metric(r1, "lamplight_media_rtp_in_total") == 0);

  m2.proc->stop(SIGKILL, 10s);

  auto j = student->wait_for(
    [](const sig::ServerMessage& m) { return m.request_id() == 0 && m.has_joined(); }, 20s);
  BOOST_REQUIRE_MESSAGE(j.has_value(), "the student was not told its media died");
  const auto& snap = j->joined().snapshot();
  auto* c = find_call(snap, call);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->phase() == sig::CALL_PHASE_CONNECTED);
  const sig::TrackInfo* teachers = nullptr;
  for (const auto& t : snap.tracks()) {
    BOOST_TEST(t.owner() != "s1");  // its tracks died with m2
    if (t.owner() == "t1")
      teachers = &t;
  }
  BOOST_REQUIRE_MESSAGE(teachers, "the teacher's track is gone: " << snap.ShortDebugString());
  // Media again: the student's on g1 now, the call still up.
  auto t0 = decoded(*teacher), s0 = decoded(*student);
  require(student->publish(sig::TRACK_SOURCE_FACE_CAMERA), "student publishes again");
  require(student->subscribe(*teachers), "student watches the teacher again");
  auto again = published_by(*teacher, "s1", sig::TRACK_SOURCE_FACE_CAMERA);
  BOOST_REQUIRE(again.has_value());
  require(teacher->subscribe(*again), "teacher watches the student again");
  BOOST_TEST(decodes_more(*teacher, t0, 30));
  BOOST_TEST(decodes_more(*student, s0, 30));
  auto now = snapshot_of(*teacher);
  BOOST_REQUIRE(find_call(now, call));
  BOOST_TEST(find_call(now, call)->phase() == sig::CALL_PHASE_CONNECTED);
}

BOOST_AUTO_TEST_SUITE_END()
