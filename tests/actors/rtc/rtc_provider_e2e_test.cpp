// The same classroom scenarios on both media providers, through a real
// lamplight-node: lamplight's own SFU, and a real Janus 1.1 (package janus)
// started on loopback ports of its own, with the node driving its VideoRoom.
// The lamps are the same C++ lamps either way (libnice, DTLS, SRTP, VP8 and
// Opus decoded and checked by frame stamps); only the SDP they get differs:
// Janus offers to subscribers, and the lamps answer.
#include <boost/test/unit_test.hpp>

#include <map>
#include <thread>

#include "media/lamp/lamp_client.hpp"
#include "tests/support/janus_process.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using namespace lamplight::media::lamp;
namespace sig = lamplight::signal::v1;
using lamplight::test::require;
using lamplight::test::tracks_of;
using lamplight::test::wait_for_media;

namespace {

/// A node for one provider: with Janus, a gateway of its own and classrooms
/// created on it (the teacher's token names the provider).
struct provider_setup {
  std::unique_ptr<lamplight::test::janus_process> janus;
  std::unique_ptr<lamplight::test::node_process> node;
  std::string provider;

  explicit provider_setup(const std::string& p) : provider(p) {
    std::vector<std::string> args;
    if (p == "janus") {
      // In a network namespace of its own: Janus offers no loopback
      // candidates, so it gets a veth pair that only this test uses.
      janus = std::make_unique<lamplight::test::janus_process>();
      args = {"--janus", janus->host + ":" + std::to_string(janus->ws_port)};
    }
    node = std::make_unique<lamplight::test::node_process>(args);
  }

  std::string teacher_token(const std::string& identity, const std::string& mode) {
    return node->token(identity, "teacher", "&mode=" + mode + "&provider=" + provider);
  }
};

std::unique_ptr<lamp_client> make_lamp(provider_setup& s) {
  lamp_options o;
  o.port = s.node->http_port;
  // Janus is a full ICE agent: it checks the lamp's side too, which only
  // libnice (not the bench's one-check shortcut) answers.
  o.ice = lamplight::transport::rtc_peer::ice_mode::libnice;
  if (s.janus)
    o.media_ip = s.janus->peer_ip;  // the side of the veth pair Janus reaches
  return std::make_unique<lamp_client>(lamplight::test::shared_lamp_media(), o);
}

/// Every subscribed leg decoded enough, in order, from the right camera.
void check_received(lamp_client& lamp, const std::string& who,
                    const std::map<std::string, sig::TrackSource>& source_of, std::size_t legs,
                    uint64_t video, uint64_t audio) {
  std::size_t subscribed = 0;
  for (auto& leg : lamp.report()) {
    if (leg.publishing)
      continue;
    ++subscribed;
    const auto& r = leg.received;
    BOOST_TEST_MESSAGE(who << " <- " << leg.track_id << ": packets " << r.packets << " decoded "
                           << r.frames_decoded << " gaps " << r.stamp_gaps << " audio lost "
                           << r.audio_lost);
    BOOST_TEST(r.decode_errors == 0u, who << " " << leg.track_id);
    if (leg.kind == clip_kind::audio) {
      BOOST_TEST(r.frames_decoded >= audio, who << " " << leg.track_id);
      BOOST_TEST(r.audio_lost == 0u, who << " " << leg.track_id);
      continue;
    }
    BOOST_TEST(r.frames_decoded >= video, who << " " << leg.track_id);
    BOOST_TEST(r.stamp_gaps == 0u, who << " " << leg.track_id << ": frames missing or out of order");
    BOOST_TEST(r.unreadable == 0u);
    auto want = source_of.at(leg.track_id) == sig::TRACK_SOURCE_FACE_CAMERA ? camera::face
                                                                            : camera::desk;
    BOOST_TEST(r.source == static_cast<uint8_t>(want), who << ": the stamps show the other camera");
  }
  BOOST_TEST(subscribed == legs, who << " has " << subscribed << " subscribed legs");
}

/// Waits for a Speakers push that lists exactly `who` (comma-separated,
/// loudest first; "" for nobody).
bool speakers_told(lamp_client& lamp, const std::string& who) {
  auto m = lamp.wait_for(
    [&](const sig::ServerMessage& x) {
      if (!x.has_speakers())
        return false;
      std::string list;
      for (const auto& s : x.speakers().speakers())
        list += (list.empty() ? "" : ",") + s.identity();
      return list == who;
    },
    15s);
  return m.has_value();
}

const sig::TrackSource all_sources[] = {sig::TRACK_SOURCE_MICROPHONE, sig::TRACK_SOURCE_FACE_CAMERA,
                                        sig::TRACK_SOURCE_DESK_CAMERA};

/// A teacher's lamp and a student's lamp, each publishing its microphone and
/// both cameras and watching the other's three.
void one_on_one(const std::string& provider) {
  provider_setup s(provider);
  auto teacher = make_lamp(s);
  auto student = make_lamp(s);
  auto joined = require(teacher->join(s.teacher_token("teacher-1", "one_on_one")), "teacher join");
  require(student->join(s.node->token("student-1", "student")), "student join");
  std::map<std::string, sig::TrackSource> source_of;
  for (auto* lamp : {teacher.get(), student.get()})
    for (auto src : all_sources)
      source_of[require(lamp->publish(src), "publish " + sig::TrackSource_Name(src))] = src;
  for (auto& t : tracks_of(*teacher, "student-1", 3)) {
    auto id = require(teacher->subscribe(t), "teacher subscribes to " + t.track_id());
    BOOST_TEST(id == t.track_id());
  }
  for (auto& t : tracks_of(*student, "teacher-1", 3))
    require(student->subscribe(t), "student subscribes to " + t.track_id());
  wait_for_media({teacher.get(), student.get()}, 60, 100, 30s);
  check_received(*teacher, "teacher", source_of, 3, 60, 100);
  check_received(*student, "student", source_of, 3, 60, 100);
  // Three tracks sent on one publish session, three watched on one
  // subscribe session: two connections each, whatever the provider.
  BOOST_TEST(teacher->media_connections() == 2u);
  BOOST_TEST(student->media_connections() == 2u);
}

/// One teacher and six students: everyone publishes microphone and face
/// camera; the teacher watches every student, each student the teacher.
void small_group(const std::string& provider) {
  provider_setup s(provider);
  constexpr int students = 6;
  auto teacher = make_lamp(s);
  require(teacher->join(s.teacher_token("teacher-1", "small_group")), "teacher join");
  std::vector<std::unique_ptr<lamp_client>> kids;
  for (int i = 0; i < students; ++i) {
    kids.push_back(make_lamp(s));
    require(kids.back()->join(s.node->token("student-" + std::to_string(i), "student")),
            "student join");
  }
  std::map<std::string, sig::TrackSource> source_of;
  const sig::TrackSource two[] = {sig::TRACK_SOURCE_MICROPHONE, sig::TRACK_SOURCE_FACE_CAMERA};
  std::vector<lamp_client*> all{teacher.get()};
  for (auto& k : kids)
    all.push_back(k.get());
  for (auto* lamp : all)
    for (auto src : two)
      source_of[require(lamp->publish(src), "publish")] = src;
  for (int i = 0; i < students; ++i)
    for (auto& t : tracks_of(*teacher, "student-" + std::to_string(i), 2))
      require(teacher->subscribe(t), "teacher subscribes to " + t.track_id());
  for (auto& k : kids)
    for (auto& t : tracks_of(*k, "teacher-1", 2))
      require(k->subscribe(t), "a student subscribes to " + t.track_id());
  wait_for_media(all, 45, 75, 40s);
  check_received(*teacher, "teacher", source_of, 2 * students, 45, 75);
  for (int i = 0; i < students; ++i)
    check_received(*kids[i], "student-" + std::to_string(i), source_of, 2, 45, 75);
  // The teacher sends two tracks on one connection and watches twelve on
  // another; so does every student, with two.
  for (auto* lamp : all)
    BOOST_TEST(lamp->media_connections() == 2u);
  // Who is speaking, from the audio levels the lamps write on their
  // microphones' packets: judged by the provider, told to everyone.
  kids[2]->set_mic_level(30);
  BOOST_TEST(speakers_told(*teacher, "student-2"));
  BOOST_TEST(speakers_told(*kids[4], "student-2"));
  kids[2]->set_mic_level(127);
  BOOST_TEST(speakers_told(*teacher, ""));

  // A lamp switches its face camera for its desk camera: a renegotiation
  // of its publish session (the same section, a new track); the teacher
  // watches the desk on its own session.
  auto desk = require(kids[3]->replace(sig::TRACK_SOURCE_FACE_CAMERA, sig::TRACK_SOURCE_DESK_CAMERA),
                      "replace the face camera");
  sig::TrackInfo info;
  info.set_track_id(desk);
  info.set_owner("student-3");
  info.set_kind(sig::TRACK_KIND_VIDEO);
  info.set_source(sig::TRACK_SOURCE_DESK_CAMERA);
  require(teacher->subscribe(info), "the teacher watches the desk");
  auto decoded = [&] {
    uint64_t n = 0;
    for (auto& leg : teacher->report())
      if (!leg.publishing && leg.track_id == desk)
        n = leg.received.frames_decoded;
    return n;
  };
  for (auto end = std::chrono::steady_clock::now() + 20s;
       decoded() < 30 && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(50ms);  // a bounded poll of the teacher's decoder
  BOOST_TEST(decoded() >= 30u, "the desk camera decodes: " << decoded() << " frames");
  BOOST_TEST(kids[3]->media_connections() == 2u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(rtc_provider_e2e)

BOOST_AUTO_TEST_CASE(one_on_one_on_the_sfu) { one_on_one("sfu"); }
BOOST_AUTO_TEST_CASE(one_on_one_on_janus) { one_on_one("janus"); }
BOOST_AUTO_TEST_CASE(small_group_on_the_sfu) { small_group("sfu"); }
BOOST_AUTO_TEST_CASE(small_group_on_janus) { small_group("janus"); }

BOOST_AUTO_TEST_CASE(a_classroom_on_a_provider_the_node_lacks_gets_a_typed_error) {
  // No --janus: the classroom is created, but its media cannot be.
  lamplight::test::node_process node;
  lamp_options o;
  o.port = node.http_port;
  auto lamp = std::make_unique<lamp_client>(lamplight::test::shared_lamp_media(), o);
  require(lamp->join(node.token("teacher-1", "teacher", "&mode=one_on_one&provider=janus")),
          "join");
  auto r = lamp->publish(sig::TRACK_SOURCE_FACE_CAMERA);
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == lamplight::protocol::errc::unavailable));
  BOOST_TEST(r.err().message.find("janus") != std::string::npos, r.err().message);
}

BOOST_AUTO_TEST_CASE(an_unknown_provider_is_refused_at_creation) {
  lamplight::test::node_process node;
  lamp_options o;
  o.port = node.http_port;
  auto lamp = std::make_unique<lamp_client>(lamplight::test::shared_lamp_media(), o);
  auto r = lamp->join(node.token("teacher-1", "teacher", "&mode=one_on_one&provider=mediasoup"));
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == lamplight::protocol::errc::bad_request), r.err().message);
}

BOOST_AUTO_TEST_CASE(janus_dying_turns_negotiations_into_unavailable_not_a_hang) {
  provider_setup s("janus");
  auto teacher = make_lamp(s);
  require(teacher->join(s.teacher_token("teacher-1", "one_on_one")), "join");
  require(teacher->publish(sig::TRACK_SOURCE_MICROPHONE), "publish before");
  s.janus->kill9();
  auto started = std::chrono::steady_clock::now();
  auto r = teacher->publish(sig::TRACK_SOURCE_FACE_CAMERA);
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == lamplight::protocol::errc::unavailable), r.err().message);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 8s));
  // The classroom itself lives on: signaling still answers.
  sig::ClientMessage m;
  m.mutable_ping();
  BOOST_TEST(static_cast<bool>(teacher->request(m)));
}

BOOST_AUTO_TEST_SUITE_END()
