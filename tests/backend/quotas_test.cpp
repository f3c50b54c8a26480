// A tenant's quotas on a real database (SQLite, or PostgreSQL with
// LAMPLIGHT_TEST_DATABASE=postgres): what counts as in use (open lessons,
// open stays, stored photo bytes, a photo stored twice once), what is never
// refused (a member already present), and the quota.reached webhook queued
// once a minute, not once per refusal.
#include <boost/test/unit_test.hpp>

#include "backend/quotas.hpp"
#include "backend/tenant_registry.hpp"
#include "backend/webhooks.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;
using lamplight::test::test_database;

namespace {

template <class T>
T must(lamplight::protocol::result<T> r) {
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  return std::move(*r);
}

struct quota_fixture {
  temp_dir dir;
  std::string address = test_database(dir);
  int64_t now_ms = 1'800'000'000'000;
  int announced = 0;
  std::shared_ptr<tenant_registry> tenants =
    must(tenant_registry::open(address, [this] { return now_ms; }));
  std::shared_ptr<quota_guard> quotas =
    must(quota_guard::open(address, [this] { return now_ms; }, [this] { ++announced; }));
  std::unique_ptr<database> db = must(database::open(address));

  quota_fixture() {
    BOOST_REQUIRE(bool(tenants->create_tenant("acme", "Acme")));
    BOOST_REQUIRE(bool(tenants->create_tenant("beta", "Beta")));
  }

  void sql(const std::string& text) {
    BOOST_REQUIRE_MESSAGE(db->exec(text).code == errc::none, text);
  }

  /// A running lesson of `tenant` in `classroom` with `present` members.
  void lesson(const std::string& id, const std::string& tenant, const std::string& classroom,
              std::vector<std::string> present) {
    sql("INSERT INTO lessons (id, tenant, classroom, mode, started_ms) VALUES ('" + id + "', '"
        + tenant + "', '" + classroom + "', 'small_group', 1)");
    for (const auto& who : present)
      sql("INSERT INTO attendance (lesson, identity, role, display_name, joined_ms) VALUES ('" + id
          + "', '" + who + "', 'student', 'x', 1)");
  }

  errc admit(const std::string& tenant, const std::string& classroom,
             const std::string& identity) {
    auto err = quotas->admit_member(tenant, classroom, identity);
    BOOST_TEST_INFO("message: " << err.message);
    return err.code;
  }

  int64_t outbox_rows() {
    auto q = must(db->prepare("SELECT COUNT(*) FROM webhook_outbox WHERE event_type = 'quota.reached'"));
    BOOST_REQUIRE(*q.step());
    return q.integer(0);
  }
};

} // namespace

namespace lamplight::protocol {
[[maybe_unused]] static std::ostream& boost_test_print_type(std::ostream& os, errc x) {
  return os << to_string(x);
}
} // namespace lamplight::protocol

BOOST_FIXTURE_TEST_SUITE(quotas, quota_fixture)

BOOST_AUTO_TEST_CASE(quotas_are_set_per_tenant_and_checked_for_shape) {
  BOOST_TEST(must(tenants->find_tenant("acme")).quota.participants == 0);
  BOOST_REQUIRE(tenants->set_quota("acme", {2, 10, 5'000'000}).code == errc::none);
  auto t = must(tenants->find_tenant("acme"));
  BOOST_TEST(t.quota.classrooms == 2);
  BOOST_TEST(t.quota.participants == 10);
  BOOST_TEST(t.quota.photo_bytes == 5'000'000);
  BOOST_TEST(must(tenants->find_tenant("beta")).quota.classrooms == 0);
  BOOST_TEST(tenants->set_quota("acme", {-1, 0, 0}).code == errc::bad_request);
  BOOST_TEST(tenants->set_quota("nobody", {1, 1, 1}).code == errc::not_found);
}

BOOST_AUTO_TEST_CASE(participants_present_count_over_all_the_tenants_classrooms) {
  BOOST_REQUIRE(tenants->set_quota("acme", {0, 3, 0}).code == errc::none);
  lesson("l1", "acme", "math", {"t-1", "s-1"});
  lesson("l2", "acme", "art", {"s-2"});
  lesson("l3", "beta", "math", {"s-1", "s-2", "s-3", "s-4"});  // another tenant's
  sql("INSERT INTO lessons (id, tenant, classroom, mode, started_ms, ended_ms) VALUES "
      "('l0', 'acme', 'old', 'small_group', 1, 2)");
  sql("INSERT INTO attendance (lesson, identity, role, display_name, joined_ms) VALUES "
      "('l0', 's-9', 'student', 'x', 1)");  // in an ended lesson: gone
  BOOST_TEST(admit("acme", "math", "s-3") == errc::resource_exhausted);
  BOOST_TEST(admit("acme", "history", "t-2") == errc::resource_exhausted);
  // Already present there (a reconnect): uses nothing new.
  BOOST_TEST(admit("acme", "math", "s-1") == errc::none);
  // Present elsewhere is still one more seat here.
  BOOST_TEST(admit("acme", "art", "s-1") == errc::resource_exhausted);
  BOOST_TEST(admit("beta", "math", "s-5") == errc::none);  // no quota
  // Someone leaves: the place is free.
  sql("UPDATE attendance SET left_ms = 5 WHERE lesson = 'l2'");
  BOOST_TEST(admit("acme", "math", "s-3") == errc::none);
}

BOOST_AUTO_TEST_CASE(a_member_starting_a_lesson_needs_a_free_classroom) {
  BOOST_REQUIRE(tenants->set_quota("acme", {2, 0, 0}).code == errc::none);
  lesson("l1", "acme", "math", {"t-1"});
  BOOST_TEST(admit("acme", "art", "t-2") == errc::none);
  lesson("l2", "acme", "art", {"t-2"});
  BOOST_TEST(admit("acme", "history", "t-3") == errc::resource_exhausted);
  // Joining a classroom whose lesson runs takes no new classroom.
  BOOST_TEST(admit("acme", "math", "s-1") == errc::none);
  sql("UPDATE lessons SET ended_ms = 9 WHERE id = 'l1'");
  BOOST_TEST(admit("acme", "history", "t-3") == errc::none);
}

BOOST_AUTO_TEST_CASE(photo_bytes_count_each_stored_photo_once) {
  BOOST_REQUIRE(tenants->set_quota("acme", {0, 0, 1000}).code == errc::none);
  lesson("l1", "acme", "math", {});
  lesson("l2", "acme", "art", {});
  lesson("l3", "beta", "art", {});
  auto photo = [&](const std::string& lesson, const std::string& id, int bytes) {
    sql("INSERT INTO photos (lesson, photo_id, owner, taken_by, command_id, width, height, at_ms, "
        "bytes) VALUES ('" + lesson + "', '" + id + "', 's-1', 't-1', 'c', 1, 1, 1, "
        + std::to_string(bytes) + ")");
  };
  photo("l1", "p1", 400);
  photo("l2", "p1", 400);  // the same photo in another lesson: stored once
  photo("l2", "p2", 300);
  photo("l3", "p3", 5000);  // beta's
  BOOST_TEST(quotas->admit_photo("acme", 300).code == errc::none);
  auto over = quotas->admit_photo("acme", 301);
  BOOST_TEST(over.code == errc::resource_exhausted);
  BOOST_TEST(over.message.find("700 of 1000") != std::string::npos, over.message);
  BOOST_TEST(quotas->admit_photo("beta", 1'000'000).code == errc::none);
}

BOOST_AUTO_TEST_CASE(reaching_a_quota_is_announced_once_a_minute) {
  auto hooks = must(webhook_registry::open(address, webhook_policy{}, [this] { return now_ms; }));
  BOOST_REQUIRE(bool(hooks->create("acme", "https://hooks.acme.example/q", {"quota.reached"})));
  BOOST_REQUIRE(bool(hooks->create("acme", "https://hooks.acme.example/l", {"lesson.started"})));
  BOOST_REQUIRE(tenants->set_quota("acme", {0, 1, 0}).code == errc::none);
  lesson("l1", "acme", "math", {"t-1"});
  for (int i = 0; i < 50; ++i)
    BOOST_TEST(admit("acme", "math", "s-" + std::to_string(i)) == errc::resource_exhausted);
  BOOST_TEST(outbox_rows() == 1);  // the subscribed endpoint, once
  BOOST_TEST(announced == 1);
  std::string text;
  {  // a statement left open would hold this connection's read snapshot
    auto body = must(db->prepare("SELECT body FROM webhook_outbox"));
    BOOST_REQUIRE(*body.step());
    text = body.text(0);
  }
  BOOST_TEST(text.find(R"("type":"quota.reached")") != std::string::npos, text);
  BOOST_TEST(text.find(R"("quotaReached":{"quota":"participants","limit":1,"used":1})")
               != std::string::npos,
             text);
  now_ms += 60'000;
  BOOST_TEST(admit("acme", "math", "s-x") == errc::resource_exhausted);
  BOOST_TEST(outbox_rows() == 2);
  BOOST_TEST(announced == 2);
  // Another node (another guard on the database) in the same minute queues
  // the same event id: still one per endpoint.
  auto other = must(quota_guard::open(address, [this] { return now_ms; }));
  BOOST_TEST(other->admit_member("acme", "math", "s-y").code == errc::resource_exhausted);
  BOOST_TEST(outbox_rows() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
