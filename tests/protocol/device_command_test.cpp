#include <boost/test/unit_test.hpp>

#include "protocol/device_command.hpp"

using namespace lamplight::protocol;
namespace v1 = lamplight::signal::v1;

namespace {

v1::DeviceCommand photo(uint32_t w, uint32_t h) {
  v1::DeviceCommand c;
  c.set_target("lamp");
  c.mutable_capture_photo()->set_width(w);
  c.mutable_capture_photo()->set_height(h);
  return c;
}

device_command make() {
  v1::DeviceRequest req;
  req.set_command_id("c1");
  return device_command{"c1", "lamp", "teacher", req, 1000};
}

} // namespace

BOOST_AUTO_TEST_SUITE(device_command_suite)

BOOST_AUTO_TEST_CASE(validate_accepts_good_commands) {
  BOOST_TEST((validate(photo(1, 1)).code == errc::none));
  BOOST_TEST((validate(photo(4032, 3024)).code == errc::none));
  v1::DeviceCommand cam;
  cam.set_target("lamp");
  cam.mutable_switch_camera()->set_camera(v1::CAMERA_DESK);
  BOOST_TEST((validate(cam).code == errc::none));
  v1::DeviceCommand scr;
  scr.set_target("lamp");
  scr.mutable_switch_screen()->set_screen(v1::SCREEN_VIDEO);
  BOOST_TEST((validate(scr).code == errc::none));
}

BOOST_AUTO_TEST_CASE(validate_rejects_bad_commands) {
  auto bad = [](const v1::DeviceCommand& c, const std::string& word) {
    auto e = validate(c);
    BOOST_TEST((e.code == errc::bad_request));
    BOOST_TEST(e.message.find(word) != std::string::npos, e.message);
  };
  bad(photo(0, 10), "width");
  bad(photo(4033, 10), "width");
  bad(photo(10, 0), "height");
  bad(photo(10, 3025), "height");
  auto no_target = photo(10, 10);
  no_target.clear_target();
  bad(no_target, "target");
  v1::DeviceCommand none;
  none.set_target("lamp");
  bad(none, "action");
  v1::DeviceCommand cam;
  cam.set_target("lamp");
  cam.mutable_switch_camera();
  bad(cam, "camera");
  v1::DeviceCommand scr;
  scr.set_target("lamp");
  scr.mutable_switch_screen();
  bad(scr, "screen");
}

BOOST_AUTO_TEST_CASE(ack_then_done) {
  auto c = make();
  BOOST_TEST((c.state() == device_state::sent));
  BOOST_TEST(!c.terminal());
  BOOST_TEST((c.ack() == errc::none));
  BOOST_TEST((c.ack() == errc::wrong_state));
  BOOST_TEST((c.done("photo-1") == errc::none));
  BOOST_TEST(c.terminal());
  auto o = c.outcome();
  BOOST_TEST(o.command_id() == "c1");
  BOOST_TEST(o.target() == "lamp");
  BOOST_TEST(o.state() == v1::DEVICE_STATE_DONE);
  BOOST_TEST(o.detail() == "photo-1");
}

BOOST_AUTO_TEST_CASE(sent_may_skip_to_any_end) {
  auto a = make();
  BOOST_TEST((a.done("x") == errc::none));
  auto b = make();
  BOOST_TEST((b.fail("no camera") == errc::none));
  BOOST_TEST(b.outcome().state() == v1::DEVICE_STATE_FAILED);
  BOOST_TEST(b.detail() == "no camera");
  auto c = make();
  BOOST_TEST((c.expire(1000) == errc::none));
  BOOST_TEST(c.outcome().state() == v1::DEVICE_STATE_TIMED_OUT);
}

BOOST_AUTO_TEST_CASE(expire_only_after_deadline) {
  auto c = make();
  BOOST_TEST((c.expire(999) == errc::wrong_state));
  BOOST_TEST((c.state() == device_state::sent));
  c.ack();
  BOOST_TEST((c.expire(5000) == errc::none));
  BOOST_TEST((c.state() == device_state::timed_out));
}

BOOST_AUTO_TEST_CASE(terminal_states_reject_everything) {
  for (int end = 0; end < 3; ++end) {
    auto c = make();
    if (end == 0)
      c.done("d");
    else if (end == 1)
      c.fail("f");
    else
      c.expire(2000);
    auto before = c.state();
    BOOST_TEST((c.ack() == errc::wrong_state));
    BOOST_TEST((c.done("z") == errc::wrong_state));
    BOOST_TEST((c.fail("z") == errc::wrong_state));
    BOOST_TEST((c.expire(99999) == errc::wrong_state));
    BOOST_TEST((c.state() == before));
    BOOST_TEST(c.detail() != "z");
    BOOST_TEST(static_cast<int>(c.outcome().state()) == static_cast<int>(before));
  }
}

BOOST_AUTO_TEST_SUITE_END()
