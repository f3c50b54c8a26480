#include <boost/test/unit_test.hpp>

#include <set>

#include "protocol/permissions.hpp"

using namespace lamplight::protocol;
namespace v1 = lamplight::signal::v1;

BOOST_AUTO_TEST_SUITE(permissions_suite)

BOOST_AUTO_TEST_CASE(role_action_table) {
  using R = v1::Role;
  const R T = v1::ROLE_TEACHER, A = v1::ROLE_ASSISTANT, S = v1::ROLE_STUDENT,
          P = v1::ROLE_PARENT, U = v1::ROLE_UNSPECIFIED;
  struct row {
    action a;
    std::set<R> who;
  };
  const row table[] = {
    {action::call, {T, A}},
    {action::answer_call, {T, A, S}},
    {action::raise_hand, {S}},
    {action::manage_hands, {T, A}},
    {action::control_device, {T, A}},
    {action::ack_device, {S}},
    {action::whiteboard_write, {T, A, S}},
    {action::publish, {T, A, S}},
    {action::subscribe, {T, A, S, P}},
    {action::qna_ask, {S}},
    {action::qna_answer, {T, A}},
  };
  for (const auto& r : table)
    for (R role : {T, A, S, P, U})
      BOOST_TEST(allowed(role, r.a) == (r.who.count(role) > 0),
                 to_string(r.a) << " role " << role);
}

BOOST_AUTO_TEST_CASE(default_capacities) {
  BOOST_TEST(default_capacity(v1::MODE_ONE_ON_ONE) == 4u);
  BOOST_TEST(default_capacity(v1::MODE_SMALL_GROUP) == 16u);
  BOOST_TEST(default_capacity(v1::MODE_LARGE_CLASS) == 200u);
}

namespace {

void add(v1::ClassroomSnapshot& s, const std::string& id, v1::Role role) {
  auto* m = s.add_members();
  m->set_identity(id);
  m->set_role(role);
}

} // namespace

BOOST_AUTO_TEST_CASE(one_on_one_limits) {
  v1::ClassroomSnapshot s;
  s.set_mode(v1::MODE_ONE_ON_ONE);
  BOOST_TEST((check_capacity(s, v1::ROLE_TEACHER, "t").code == errc::none));
  add(s, "t", v1::ROLE_TEACHER);
  add(s, "s", v1::ROLE_STUDENT);
  BOOST_TEST((check_capacity(s, v1::ROLE_TEACHER, "t2").code == errc::classroom_full));
  BOOST_TEST((check_capacity(s, v1::ROLE_STUDENT, "s2").code == errc::classroom_full));
  // Rejoining under the same identity does not count twice.
  BOOST_TEST((check_capacity(s, v1::ROLE_STUDENT, "s").code == errc::none));
  BOOST_TEST((check_capacity(s, v1::ROLE_ASSISTANT, "a").code == errc::none));
  add(s, "a", v1::ROLE_ASSISTANT);
  add(s, "p", v1::ROLE_PARENT);
  auto e = check_capacity(s, v1::ROLE_PARENT, "p2");
  BOOST_TEST((e.code == errc::classroom_full));
  BOOST_TEST(!e.message.empty());
  BOOST_TEST((check_capacity(s, v1::ROLE_UNSPECIFIED, "x").code == errc::bad_request));
}

BOOST_AUTO_TEST_CASE(small_group_limits) {
  v1::ClassroomSnapshot s;
  s.set_mode(v1::MODE_SMALL_GROUP);
  add(s, "t", v1::ROLE_TEACHER);
  for (int i = 0; i < 6; ++i) {
    BOOST_TEST((check_capacity(s, v1::ROLE_STUDENT, "s" + std::to_string(i)).code == errc::none));
    add(s, "s" + std::to_string(i), v1::ROLE_STUDENT);
  }
  auto e = check_capacity(s, v1::ROLE_STUDENT, "s6");
  BOOST_TEST((e.code == errc::classroom_full));
  BOOST_TEST(e.message == "small_group classroom already has 6 students");
  BOOST_TEST((check_capacity(s, v1::ROLE_TEACHER, "t2").code == errc::classroom_full));
  BOOST_TEST((check_capacity(s, v1::ROLE_ASSISTANT, "a").code == errc::none));
}

BOOST_AUTO_TEST_CASE(explicit_capacity_and_large_class) {
  v1::ClassroomSnapshot s;
  s.set_mode(v1::MODE_LARGE_CLASS);
  s.set_capacity(3);
  add(s, "t", v1::ROLE_TEACHER);
  add(s, "s1", v1::ROLE_STUDENT);
  BOOST_TEST((check_capacity(s, v1::ROLE_STUDENT, "s2").code == errc::none));
  add(s, "s2", v1::ROLE_STUDENT);
  BOOST_TEST((check_capacity(s, v1::ROLE_STUDENT, "s3").code == errc::classroom_full));
  BOOST_TEST((check_capacity(s, v1::ROLE_STUDENT, "s2").code == errc::none));
  v1::ClassroomSnapshot big;
  big.set_mode(v1::MODE_LARGE_CLASS);
  for (int i = 0; i < 199; ++i)
    add(big, "m" + std::to_string(i), v1::ROLE_STUDENT);
  BOOST_TEST((check_capacity(big, v1::ROLE_TEACHER, "t").code == errc::none));
  add(big, "t", v1::ROLE_TEACHER);
  BOOST_TEST((check_capacity(big, v1::ROLE_TEACHER, "t2").code == errc::classroom_full));
}

BOOST_AUTO_TEST_SUITE_END()
