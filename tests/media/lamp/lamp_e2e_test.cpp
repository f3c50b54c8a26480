// Two C++ lamps, a teacher's and a student's, through a real lamplight-node:
// signaling over WebSocket (binary protobuf), one leg per track (libnice as
// the lamp's full controlling ICE agent, DTLS, SRTP; data channels on the
// first), the microphone and both cameras published by each and subscribed
// by the other. Every receiving leg decodes with libvpx/libopus and checks
// the frame stamps: media is proven, not assumed. The second case puts a
// relay on the path that drops one SRTP packet in twenty each way, and
// NACK must bring every frame back.
#include <boost/test/unit_test.hpp>

#include <thread>

#include "media/lamp/lamp_client.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/udp_relay.hpp"

using namespace std::chrono_literals;
using namespace lamplight::media::lamp;
using lamplight::test::udp_relay;
namespace sig = lamplight::signal::v1;

namespace {

using lamplight::test::require;

std::shared_ptr<const lamp_media> shared_media() { return lamplight::test::shared_lamp_media(); }

const sig::TrackSource sources[] = {sig::TRACK_SOURCE_MICROPHONE, sig::TRACK_SOURCE_FACE_CAMERA,
                                    sig::TRACK_SOURCE_DESK_CAMERA};

struct call {
  lamplight::test::node_process node;
  std::unique_ptr<udp_relay> relay;
  std::unique_ptr<lamp_client> teacher, student;
  std::map<std::string, sig::TrackSource> source_of;  // track id -> source

  // The relay stands before one media port: one worker then.
  explicit call(unsigned drop_every)
    : node(drop_every ? std::vector<std::string>{"--media-workers", "1"}
                      : std::vector<std::string>{}) {
    lamp_options o;
    o.port = node.http_port;
    if (drop_every != 0) {
      relay = std::make_unique<udp_relay>("127.0.0.1", node.media_port, drop_every);
      o.media_via_ip = "127.0.0.1";
      o.media_via_port = relay->port();
    }
    teacher = std::make_unique<lamp_client>(shared_media(), o);
    student = std::make_unique<lamp_client>(shared_media(), o);
    require(teacher->join(node.token("teacher-1", "teacher", "&mode=one_on_one")), "teacher join");
    require(student->join(node.token("student-1", "student")), "student join");
    for (auto* lamp : {teacher.get(), student.get()})
      for (auto s : sources) {
        source_of[require(lamp->publish(s), "publish " + sig::TrackSource_Name(s))] = s;
      }
    for (auto& t : lamplight::test::tracks_of(*teacher, "student-1", 3, 10s))
      require(teacher->subscribe(t), "teacher subscribes to " + t.track_id());
    for (auto& t : lamplight::test::tracks_of(*student, "teacher-1", 3, 10s))
      require(student->subscribe(t), "student subscribes to " + t.track_id());
  }

  /// Waits (bounded) until every subscribed leg of both lamps has decoded
  /// `video` pictures or `audio` frames.
  void wait_for_media(uint64_t video, uint64_t audio, std::chrono::seconds limit) {
    lamplight::test::wait_for_media({teacher.get(), student.get()}, video, audio, limit);
  }
};

void check_received(lamp_client& lamp, const std::map<std::string, sig::TrackSource>& source_of,
                    uint64_t video, uint64_t audio, bool lossy) {
  int subscribed = 0;
  for (auto& leg : lamp.report()) {
    if (leg.publishing) {
      BOOST_TEST(leg.sent.frames > 0u);
      continue;
    }
    ++subscribed;
    const auto& r = leg.received;
    BOOST_TEST_MESSAGE(leg.track_id << " " << to_string(leg.kind) << ": packets " << r.packets
                       << " decoded " << r.frames_decoded << " stamps " << (r.first_stamp ? *r.first_stamp : -1)
                       << ".." << (r.last_stamp ? *r.last_stamp : -1) << " gaps " << r.stamp_gaps
                       << " nacked " << r.nacks_sent << " plis " << r.plis_sent << " audio lost "
                       << r.audio_lost);
    BOOST_TEST(r.decode_errors == 0u);
    if (leg.kind == clip_kind::audio) {
      BOOST_TEST(r.frames_decoded >= audio);
      if (!lossy)
        BOOST_TEST(r.audio_lost == 0u);
      continue;
    }
    BOOST_TEST(r.frames_decoded >= video, leg.track_id);
    BOOST_TEST(r.unreadable == 0u);
    BOOST_TEST(r.stamp_gaps == 0u, leg.track_id << ": frames decoded out of order or missing");
    BOOST_TEST(r.frames_abandoned == 0u);
    auto want = source_of.at(leg.track_id) == sig::TRACK_SOURCE_FACE_CAMERA ? camera::face
                                                                            : camera::desk;
    BOOST_TEST(r.source == static_cast<uint8_t>(want), "the stamps show the other camera");
  }
  BOOST_TEST(subscribed == 3);
}

} // namespace

BOOST_AUTO_TEST_SUITE(lamp_e2e)

// A lamp whose owner makes no calls for a while still answers the node's
// keep-alive pings (its client reads the signaling socket in the
// background) and keeps its seat and the pushes meanwhile. The node drops
// silent WebSockets after 3 s here (pinging at 1.5 s); the lamp stays quiet
// for 8 s.
BOOST_AUTO_TEST_CASE(a_quiet_lamp_keeps_its_signaling_connection_and_its_pushes) {
  lamplight::test::node_process node({"--ws-idle-seconds", "3"});
  lamp_options o;
  o.port = node.http_port;
  lamp_client teacher(shared_media(), o), student(shared_media(), o);
  require(teacher.join(node.token("teacher-1", "teacher", "&mode=one_on_one")), "teacher join");
  std::this_thread::sleep_for(4s);  // longer than the node takes to drop a silent socket
  require(student.join(node.token("student-1", "student")), "student join");
  std::this_thread::sleep_for(4s);
  // The student's arrival was pushed while the teacher's caller slept.
  auto joined = teacher.wait_for(
    [](const sig::ServerMessage& m) {
      return m.has_event() && m.event().has_member_joined()
             && m.event().member_joined().member().identity() == "student-1";
    },
    0ms);
  BOOST_TEST(joined.has_value());
  sig::ClientMessage ping;
  ping.mutable_ping()->set_client_time_ms(1);
  auto pong = require(teacher.request(ping), "ping after 8 s of quiet");
  BOOST_TEST(pong.has_pong());
}

BOOST_AUTO_TEST_CASE(teacher_and_student_lamps_decode_each_others_cameras_in_order) {
  call c(0);
  c.wait_for_media(90, 150, 30s);
  for (auto* lamp : {c.teacher.get(), c.student.get()})
    check_received(*lamp, c.source_of, 90, 150, false);
}

BOOST_AUTO_TEST_CASE(a_data_channel_message_round_trips_between_the_lamps_through_the_node) {
  call c(0);
  require(c.teacher->open_channel("classroom"), "teacher opens the channel");
  require(c.student->open_channel("classroom"), "student opens the channel");
  require(c.teacher->send_text("classroom", "please show me exercise 3"), "teacher sends");
  auto at_student = c.student->next_message(10s);
  BOOST_REQUIRE_MESSAGE(at_student.has_value(), "the student's lamp got nothing");
  BOOST_TEST(at_student->label == "classroom");
  BOOST_TEST(std::string(at_student->data.begin(), at_student->data.end())
             == "please show me exercise 3");
  // A reply larger than one SCTP chunk (and one DTLS record) on the way back.
  std::string page(100 * 1024, 'x');
  page.replace(0, 12, "exercise 3: ");
  require(c.student->send_text("classroom", page), "student replies");
  auto at_teacher = c.teacher->next_message(10s);
  BOOST_REQUIRE_MESSAGE(at_teacher.has_value(), "the teacher's lamp got nothing back");
  BOOST_TEST(!at_teacher->binary);
  BOOST_TEST((std::string(at_teacher->data.begin(), at_teacher->data.end()) == page));
  BOOST_TEST(!c.teacher->next_message(100ms).has_value());  // exactly once
}

BOOST_AUTO_TEST_CASE(nack_recovers_every_frame_with_five_percent_loss_on_the_path) {
  call c(20);
  c.wait_for_media(90, 140, 30s);
  uint64_t nacked = 0, retransmitted = 0;
  for (auto* lamp : {c.teacher.get(), c.student.get()}) {
    check_received(*lamp, c.source_of, 90, 140, true);
    for (auto& leg : lamp->report()) {
      nacked += leg.received.nacks_sent;
      retransmitted += leg.sent.retransmitted;
    }
  }
  BOOST_TEST_MESSAGE("relay dropped " << c.relay->dropped() << " of "
                     << c.relay->dropped() + c.relay->forwarded() << "; lamps NACKed " << nacked
                     << ", publishers retransmitted " << retransmitted);
  BOOST_TEST(c.relay->dropped() > 50u);
  BOOST_TEST(nacked > 0u);
  BOOST_TEST(retransmitted > 0u);  // losses on the way in, repaired by the lamps themselves
}

BOOST_AUTO_TEST_SUITE_END()
