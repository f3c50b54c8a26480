// Lamps and parent bindings on a real database (SQLite, or PostgreSQL with
// LAMPLIGHT_TEST_DATABASE=postgres): registering with a secret shown once,
// revoking and registering again, a sign-in that knows the classroom's
// roster, and parents bound to children, all per tenant.
#include <boost/test/unit_test.hpp>

#include <google/protobuf/util/time_util.h>

#include "backend/classroom_registry.hpp"
#include "backend/lamps.hpp"
#include "backend/tenant_registry.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;
using lamplight::test::test_database;
namespace apiv = lamplight::api::v1;

namespace {

template <class T>
T must(lamplight::protocol::result<T> r) {
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  return std::move(*r);
}

struct lamps_fixture {
  temp_dir dir;
  std::string address = test_database(dir);
  int64_t now_ms = 1'800'000'000'000;
  std::shared_ptr<tenant_registry> tenants =
    must(tenant_registry::open(address, [this] { return now_ms; }));
  std::shared_ptr<classroom_registry> classrooms =
    must(classroom_registry::open(address, [this] { return now_ms; }));
  std::shared_ptr<lamp_registry> lamps =
    must(lamp_registry::open(address, [this] { return now_ms; }));

  lamps_fixture() {
    BOOST_REQUIRE(bool(tenants->create_tenant("acme", "Acme")));
    BOOST_REQUIRE(bool(tenants->create_tenant("beta", "Beta")));
  }

  void classroom(const std::string& tenant, const std::string& id,
                 std::vector<std::string> students) {
    apiv::CreateClassroomRequest r;
    r.set_id(id);
    r.set_title("T");
    r.set_mode("small_group");
    r.set_teacher("t-1");
    for (auto& s : students)
      r.add_students(s);
    auto made = must(classrooms->create(tenant, r));
    BOOST_TEST(made.students_size() == static_cast<int>(students.size()));
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(lamps_and_parents, lamps_fixture)

BOOST_AUTO_TEST_CASE(a_lamp_is_registered_once_with_a_secret_and_can_be_revoked) {
  auto made = must(lamps->register_lamp("acme", "LMP-0001", "s-1"));
  BOOST_TEST(made.secret.size() == 64u);
  BOOST_TEST(made.device.student == "s-1");
  BOOST_TEST((lamps->register_lamp("acme", "LMP-0001", "s-2").err().code == errc::already_exists));
  BOOST_TEST((lamps->register_lamp("nobody", "LMP-0001", "s-1").err().code == errc::not_found));
  BOOST_TEST((lamps->register_lamp("acme", "../x", "s-1").err().code == errc::bad_request));
  BOOST_TEST((lamps->register_lamp("acme", "LMP-0002", "").err().code == errc::bad_request));
  // The same serial in another tenant is another lamp.
  BOOST_TEST(bool(lamps->register_lamp("beta", "LMP-0001", "s-9")));
  auto listed = must(lamps->lamps("acme"));
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].revoked_ms == 0);

  BOOST_TEST((lamps->revoke_lamp("acme", "LMP-0001").code == errc::none));
  BOOST_TEST((lamps->revoke_lamp("acme", "LMP-0001").code == errc::not_found));
  BOOST_TEST(must(lamps->lamps("acme"))[0].revoked_ms == now_ms);
  BOOST_TEST(!lamps->login("acme", "LMP-0001", "math-1"));
  // Registered again (handed to another student): a new secret, live again.
  auto again = must(lamps->register_lamp("acme", "LMP-0001", "s-2"));
  BOOST_TEST(again.secret != made.secret);
  BOOST_TEST(must(lamps->lamps("acme"))[0].revoked_ms == 0);
  BOOST_TEST(must(lamps->lamps("acme"))[0].student == "s-2");
}

BOOST_AUTO_TEST_CASE(a_sign_in_knows_the_classrooms_roster) {
  auto made = must(lamps->register_lamp("acme", "LMP-0001", "s-1"));
  classroom("acme", "math-1", {"s-1", "s-2"});
  classroom("acme", "art-1", {"s-2"});
  classroom("beta", "math-1", {"s-1"});
  auto in = lamps->login("acme", "LMP-0001", "math-1");
  BOOST_REQUIRE(in.has_value());
  BOOST_TEST(in->student == "s-1");
  BOOST_TEST(in->secret == made.secret);
  BOOST_TEST(in->enrolled);
  BOOST_TEST(!lamps->login("acme", "LMP-0001", "art-1")->enrolled);
  BOOST_TEST(!lamps->login("acme", "LMP-0001", "no-such")->enrolled);
  BOOST_TEST(!lamps->login("beta", "LMP-0001", "math-1"));  // not beta's lamp
  BOOST_TEST(!lamps->login("acme", "LMP-0009", "math-1"));
  // An ended classroom admits nobody's lamp; a suspended tenant's lamps
  // sign in nowhere.
  BOOST_REQUIRE(bool(classrooms->end("acme", "math-1")));
  BOOST_TEST(!lamps->login("acme", "LMP-0001", "math-1")->enrolled);
  BOOST_REQUIRE(tenants->set_status("acme", tenant_status::suspended).code == errc::none);
  BOOST_TEST(!lamps->login("acme", "LMP-0001", "art-1"));
}

BOOST_AUTO_TEST_CASE(a_roster_is_checked_for_shape_and_size) {
  apiv::CreateClassroomRequest r;
  r.set_id("c");
  r.set_title("T");
  r.set_mode("one_on_one");
  r.set_teacher("t-1");
  r.add_students("bad/id");
  BOOST_TEST((classrooms->create("acme", r).err().code == errc::bad_request));
  r.clear_students();
  for (int i = 0; i < 5; ++i)
    r.add_students("s-" + std::to_string(i));  // one_on_one: capacity 4
  BOOST_TEST((classrooms->create("acme", r).err().code == errc::bad_request));
  BOOST_TEST((classrooms->get("acme", "c").err().code == errc::not_found));  // nothing written
}

BOOST_AUTO_TEST_CASE(parents_are_bound_to_children_per_tenant) {
  auto g = must(lamps->bind_parent("acme", "p-1", "s-1"));
  BOOST_TEST(g.created_ms == now_ms);
  BOOST_TEST((lamps->bind_parent("acme", "p-1", "s-1").err().code == errc::already_exists));
  BOOST_TEST((lamps->bind_parent("acme", "p-1", "p-1").err().code == errc::bad_request));
  BOOST_TEST((lamps->bind_parent("nobody", "p-1", "s-1").err().code == errc::not_found));
  BOOST_TEST(bool(lamps->bind_parent("acme", "p-1", "s-2")));
  BOOST_TEST(must(lamps->is_guardian("acme", "p-1", "s-1")));
  BOOST_TEST(!must(lamps->is_guardian("beta", "p-1", "s-1")));
  BOOST_TEST(!must(lamps->is_guardian("acme", "p-2", "s-1")));
  BOOST_TEST(must(lamps->guardians("acme")).size() == 2u);
  BOOST_TEST(must(lamps->guardians("beta")).empty());
  BOOST_TEST((lamps->unbind_parent("acme", "p-1", "s-1").code == errc::none));
  BOOST_TEST((lamps->unbind_parent("acme", "p-1", "s-1").code == errc::not_found));
  BOOST_TEST(!must(lamps->is_guardian("acme", "p-1", "s-1")));
}

BOOST_AUTO_TEST_SUITE_END()
