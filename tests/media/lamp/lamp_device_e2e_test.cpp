// The lamp's device features through a real lamplight-node: a teacher
// (a lamp_client speaking binary protobuf) commands a student's simulated
// lamp (lamp_device); the photo travels over the lamp's data channel, is
// stored by the node (fsync'd before it is confirmed) and fetched over
// HTTP with the viewer's token, by whom it may be and by nobody else; it
// survives a restart of the node, as does its place in the classroom.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "media/lamp/homework_page.hpp"
#include "media/lamp/lamp_device.hpp"
#include "protocol/photo_transfer.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using namespace lamplight::media::lamp;
namespace sig = lamplight::signal::v1;
using lamplight::transport::http_get;

namespace {

using lamplight::test::require;

std::shared_ptr<const lamp_media> shared_media() { return lamplight::test::shared_lamp_media(); }

struct classroom {
  lamplight::test::node_process node;
  std::unique_ptr<lamp_client> teacher, student;
  std::unique_ptr<lamp_device> device;
  std::atomic<bool> stop{false};
  std::thread loop;

  /// `run_device`: the student's lamp answers by itself on a thread.
  explicit classroom(bool run_device = true) {
    lamp_options o;
    o.port = node.http_port;
    teacher = std::make_unique<lamp_client>(shared_media(), o);
    student = std::make_unique<lamp_client>(shared_media(), o);
    require(teacher->join(node.token("t1", "teacher", "&mode=small_group")), "teacher join");
    require(student->join(node.token("s1", "student")), "student join");
    // A lamp publishes its camera at once; its data channel rides on it.
    require(student->publish(sig::TRACK_SOURCE_DESK_CAMERA), "student publishes");
    device = std::make_unique<lamp_device>(*student, "s1");
    if (run_device)
      loop = std::thread([this] {
        while (!stop)
          if (auto line = device->step(100ms); line && !line->empty())
            BOOST_TEST_MESSAGE("lamp s1: " << *line);
      });
  }
  ~classroom() {
    stop = true;
    if (loop.joinable())
      loop.join();
  }

  std::string command(sig::DeviceCommand cmd) {
    sig::ClientMessage m;
    *m.mutable_device_command() = std::move(cmd);
    auto r = require(teacher->request(std::move(m)), "device command");
    return r.device_command_sent().command_id();
  }
  /// The command's terminal outcome, as the teacher sees it.
  sig::DeviceOutcome outcome(const std::string& id, std::chrono::seconds limit = 30s) {
    for (;;) {
      auto m = teacher->wait_for(
        [&](const sig::ServerMessage& x) {
          return x.has_device_outcome() && x.device_outcome().command_id() == id;
        },
        limit);
      BOOST_REQUIRE_MESSAGE(m.has_value(), "no outcome for " << id);
      auto s = m->device_outcome().state();
      if (s != sig::DEVICE_STATE_SENT && s != sig::DEVICE_STATE_ACKED)
        return m->device_outcome();
    }
  }
  sig::ClassroomSnapshot snapshot() {
    sig::ClientMessage m;
    m.mutable_get_snapshot();
    return require(teacher->request(std::move(m)), "snapshot").snapshot();
  }
  lamplight::transport::http_result fetch(const std::string& photo, const std::string& token) {
    return http_get("127.0.0.1", node.http_port, "/photos/" + photo + "?token=" + token);
  }
};

sig::DeviceCommand photo_command(uint32_t w, uint32_t h) {
  sig::DeviceCommand c;
  c.set_target("s1");
  c.set_deadline_ms(60000);
  c.mutable_capture_photo()->set_width(w);
  c.mutable_capture_photo()->set_height(h);
  return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(lamp_device_e2e)

BOOST_AUTO_TEST_CASE(a_photo_is_stored_and_fetched_by_teacher_and_parent_only) {
  classroom c;
  auto id = c.command(photo_command(1600, 1200));
  auto done = c.outcome(id);
  BOOST_REQUIRE_MESSAGE(done.state() == sig::DEVICE_STATE_DONE, done.ShortDebugString());
  auto photo = done.detail();
  BOOST_TEST(photo.size() == 64u);  // its SHA-256
  auto teacher_token = c.node.token("t1", "teacher");
  auto got = c.fetch(photo, teacher_token);
  BOOST_REQUIRE(got.status == 200);
  BOOST_TEST(got.content_type == "image/jpeg");
  BOOST_TEST(lamplight::protocol::sha256_hex(got.body.data(), got.body.size()) == photo);
  auto size = require(jpeg_size(got.body), "decode");
  BOOST_TEST(size.first == 1600);
  BOOST_TEST(size.second == 1200);
  // The child's parent may see it; nobody else.
  BOOST_TEST(c.fetch(photo, c.node.token("p1", "parent", "&child=s1")).status == 200);
  BOOST_TEST(c.fetch(photo, c.node.token("p2", "parent", "&child=s2")).status == 403);
  BOOST_TEST(c.fetch(photo, c.node.token("s1", "student")).status == 403);
  BOOST_TEST(c.fetch(photo, c.node.token("t9", "teacher", "", "room-2")).status == 403);
  BOOST_TEST(c.fetch(photo, "not-a-token").status == 401);
  BOOST_TEST(http_get("127.0.0.1", c.node.http_port, "/photos/" + photo).status == 401);
  BOOST_TEST(c.fetch(std::string(64, 'a'), teacher_token).status == 404);
  BOOST_TEST(c.fetch("../../token.secret", teacher_token).status == 404);
  // The classroom keeps it: late joiners and the parent see it in the snapshot.
  auto snap = c.snapshot();
  BOOST_REQUIRE(snap.photos_size() == 1);
  BOOST_TEST(snap.photos(0).photo_id() == photo);
  BOOST_TEST(snap.photos(0).owner() == "s1");
  BOOST_TEST(snap.photos(0).taken_by() == "t1");

  // The largest size a lamp takes.
  auto big = c.outcome(c.command(photo_command(4032, 3024)), 60s);
  BOOST_REQUIRE_MESSAGE(big.state() == sig::DEVICE_STATE_DONE, big.ShortDebugString());
  auto big_photo = c.fetch(big.detail(), teacher_token);
  BOOST_REQUIRE(big_photo.status == 200);
  BOOST_TEST(require(jpeg_size(big_photo.body), "decode").first == 4032);

  // A restart loses neither the photos nor their place in the classroom.
  c.stop = true;
  c.loop.join();
  c.student->close();
  c.teacher->close();
  c.node.proc.reset();
  c.node.start();
  BOOST_TEST(c.fetch(photo, c.node.token("t1", "teacher")).body == got.body);
  lamp_options o;
  o.port = c.node.http_port;
  lamp_client again(shared_media(), o);
  auto joined = require(again.join(c.node.token("t1", "teacher")), "rejoin");
  BOOST_TEST(joined.snapshot().photos_size() == 2);
}

BOOST_AUTO_TEST_CASE(camera_and_screen_switches_are_acknowledged_and_shared) {
  classroom c;
  sig::DeviceCommand cam;
  cam.set_target("s1");
  cam.mutable_switch_camera()->set_camera(sig::CAMERA_DESK);
  BOOST_TEST(c.outcome(c.command(cam)).state() == sig::DEVICE_STATE_DONE);
  BOOST_TEST(c.device->camera() == sig::CAMERA_DESK);
  sig::DeviceCommand screen;
  screen.set_target("s1");
  screen.mutable_switch_screen()->set_screen(sig::SCREEN_WHITEBOARD);
  BOOST_TEST(c.outcome(c.command(screen)).state() == sig::DEVICE_STATE_DONE);
  BOOST_TEST(c.device->screen() == sig::SCREEN_WHITEBOARD);
  auto snap = c.snapshot();
  for (const auto& m : snap.members())
    if (m.identity() == "s1") {
      BOOST_TEST(m.camera() == sig::CAMERA_DESK);
      BOOST_TEST(m.screen() == sig::SCREEN_WHITEBOARD);
    }
}

BOOST_AUTO_TEST_CASE(interrupted_or_invented_photos_are_never_taken_for_stored_ones) {
  classroom c(false);
  auto id = c.command(photo_command(640, 480));
  auto req = c.student->wait_for([](const sig::ServerMessage& x) { return x.has_device_request(); },
                                 10s);
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->device_request().command_id() == id);
  // Half a photo, then its end: the node refuses it, and says why.
  auto jpeg = require(render_homework_jpeg({640, 480, "s1", id, 85}), "render");
  require(c.student->open_channel(lamplight::protocol::photo_channel), "channel");
  sig::PhotoControl begin;
  begin.set_type("photo-begin");
  begin.set_command_id(id);
  begin.set_size(jpeg.size());
  begin.set_sha256(lamplight::protocol::sha256_hex(jpeg.data(), jpeg.size()));
  begin.set_content_type("image/jpeg");
  const std::string label = lamplight::protocol::photo_channel;
  require(c.student->send_text(label, lamplight::protocol::write_photo_control(begin)), "begin");
  require(c.student->send_binary(label, jpeg.substr(0, jpeg.size() / 2)), "half");
  require(c.student->send_text(label, R"({"type":"photo-end","commandId":")" + id + "\"}"), "end");
  auto reply = c.student->next_message_on(label, 10s);
  BOOST_REQUIRE(reply.has_value());
  auto r = lamplight::protocol::parse_photo_control(std::string(reply->data.begin(), reply->data.end()));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->type() == "photo-failed");
  BOOST_TEST(r->reason().find("bytes") != std::string::npos, r->reason());
  // A lamp that claims a photo the node never stored: the teacher hears
  // it failed, and the classroom records no photo.
  sig::ClientMessage ack;
  ack.mutable_device_ack()->set_command_id(id);
  ack.mutable_device_ack()->set_kind(sig::DEVICE_ACK_DONE);
  ack.mutable_device_ack()->set_detail(std::string(64, 'b'));
  require(c.student->request(std::move(ack)), "invented ack");
  auto out = c.outcome(id);
  BOOST_TEST(out.state() == sig::DEVICE_STATE_FAILED);
  BOOST_TEST(out.detail().find("not stored") != std::string::npos, out.detail());
  BOOST_TEST(c.snapshot().photos_size() == 0);
  // The retry a lamp makes goes through whole.
  auto again = require(c.device->upload_photo(id, 640, 480), "retry");
  BOOST_TEST(again == lamplight::protocol::sha256_hex(jpeg.data(), jpeg.size()));
}

BOOST_AUTO_TEST_SUITE_END()
