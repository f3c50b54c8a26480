#include <boost/test/unit_test.hpp>

#include <limits>

#include "protocol/whiteboard.hpp"

using namespace lamplight::protocol;
namespace sig = lamplight::signal::v1;

namespace {

sig::WhiteboardOp stroke(const std::string& id, std::vector<float> pts) {
  sig::WhiteboardOp op;
  op.mutable_stroke()->set_stroke_id(id);
  for (float p : pts)
    op.mutable_stroke()->add_points(p);
  return op;
}

classroom_model board_with(const std::string& stroke_id) {
  classroom_model m;
  sig::ClassroomEvent created;
  created.set_seq(1);
  created.mutable_created()->set_tenant("t");
  created.mutable_created()->set_classroom_id("c");
  created.mutable_created()->set_mode(sig::MODE_SMALL_GROUP);
  m.apply(created);
  sig::ClassroomEvent ev;
  ev.set_seq(2);
  *ev.mutable_whiteboard() = stroke(stroke_id, {0.5f, 0.5f});
  m.apply(ev);
  return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(whiteboard)

BOOST_AUTO_TEST_CASE(strokes_are_checked) {
  auto m = board_with("a");
  BOOST_TEST((validate(m, stroke("b", {0.1f, 0.2f})).code == errc::none));
  BOOST_TEST((validate(m, stroke("a", {0.1f, 0.2f})).code == errc::already_exists));
  BOOST_TEST((validate(m, stroke("", {0.1f, 0.2f})).code == errc::bad_request));
  BOOST_TEST((validate(m, stroke(std::string(65, 'x'), {0.1f, 0.2f})).code == errc::bad_request));
  BOOST_TEST((validate(m, stroke("c", {0.1f})).code == errc::bad_request));
  BOOST_TEST((validate(m, stroke("c", {})).code == errc::bad_request));
  BOOST_TEST((validate(m, stroke("c", {1.01f, 0.f})).code == errc::bad_request));
  BOOST_TEST((validate(m, stroke("c", {std::numeric_limits<float>::quiet_NaN(), 0.f})).code
              == errc::bad_request));
  BOOST_TEST((validate(m, stroke("c", std::vector<float>(8194, 0.5f))).code
              == errc::bad_request));
  auto wide = stroke("c", {0.1f, 0.1f});
  wide.mutable_stroke()->set_width(2.f);
  BOOST_TEST((validate(m, wide).code == errc::bad_request));
}

BOOST_AUTO_TEST_CASE(erase_clear_page) {
  auto m = board_with("a");
  sig::WhiteboardOp erase;
  erase.mutable_erase()->set_stroke_id("a");
  BOOST_TEST((validate(m, erase).code == errc::none));
  erase.mutable_erase()->set_stroke_id("zz");
  BOOST_TEST((validate(m, erase).code == errc::not_found));
  sig::WhiteboardOp page;
  page.mutable_page()->set_page(3);
  BOOST_TEST((validate(m, page).code == errc::none));
  page.mutable_page()->set_page(1000);
  BOOST_TEST((validate(m, page).code == errc::bad_request));
  BOOST_TEST((validate(m, sig::WhiteboardOp{}).code == errc::bad_request));
}

BOOST_AUTO_TEST_SUITE_END()
