#include <boost/test/unit_test.hpp>

#include <set>

#include "backend/tenant_registry.hpp"
#include "protocol/token.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
namespace protocol = lamplight::protocol;
namespace sig = lamplight::signal::v1;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;

namespace {

struct registry_fixture {
  temp_dir dir;
  int64_t now = 1'800'000'000'000;  // wall ms, moved by hand
  std::shared_ptr<tenant_registry> reg = open();

  std::shared_ptr<tenant_registry> open() {
    auto r = tenant_registry::open(lamplight::test::test_database(dir), [this] { return now; });
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
    return *r;
  }

  protocol::token_claims claims(const std::string& tenant) {
    protocol::token_claims c;
    c.tenant = tenant;
    c.classroom = "room-1";
    c.identity = "t-1";
    c.role = sig::ROLE_TEACHER;
    c.expires_at = now / 1000 + 3600;
    return c;
  }

  /// What a node decides for a token: the registry is its key lookup.
  protocol::errc join(const std::string& token) {
    protocol::key_lookup keys = [this](const std::string& kid) { return reg->lookup(kid); };
    auto r = protocol::verify_join_token(token, "node-secret-0123456789", keys, now / 1000);
    return r ? errc::none : r.err().code;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(tenant_registry_tests, registry_fixture)

BOOST_AUTO_TEST_CASE(tenants_are_created_listed_suspended_and_deleted) {
  BOOST_REQUIRE(bool(reg->create_tenant("acme", "Acme Tutoring")));
  BOOST_REQUIRE(bool(reg->create_tenant("beta", "Beta Learning")));
  auto again = reg->create_tenant("acme", "Other");
  BOOST_TEST((!again && again.err().code == errc::already_exists));
  auto all = reg->tenants();
  BOOST_REQUIRE(bool(all));
  BOOST_REQUIRE(all->size() == 2u);
  BOOST_TEST(all->at(0).id == "acme");
  BOOST_TEST(all->at(0).name == "Acme Tutoring");
  BOOST_TEST(all->at(0).created_ms == now);
  BOOST_TEST((reg->set_status("acme", tenant_status::suspended).code == errc::none));
  BOOST_TEST((reg->find_tenant("acme")->status == tenant_status::suspended));
  BOOST_TEST((reg->set_status("nobody", tenant_status::active).code == errc::not_found));
  BOOST_TEST((reg->delete_tenant("beta").code == errc::none));
  BOOST_TEST((reg->delete_tenant("beta").code == errc::not_found));
  BOOST_TEST((reg->find_tenant("beta").err().code == errc::not_found));
  // Kept across a reopen (the node restarts).
  reg = open();
  BOOST_TEST(reg->tenants()->size() == 1u);
}

BOOST_AUTO_TEST_CASE(ids_and_names_out_of_shape_are_refused_and_names_are_only_data) {
  for (const std::string& bad : std::vector<std::string>{"", ".hidden", "-x", "a/b", "../etc", "a b", std::string(65, 'a'),
                          "x'; DROP TABLE tenants; --"})
    BOOST_TEST((reg->create_tenant(bad, "n").err().code == errc::bad_request));
  BOOST_TEST((reg->create_tenant("ok", "").err().code == errc::bad_request));
  // The development tokens' built-in tenant is nobody's to take.
  BOOST_TEST((reg->create_tenant("demo", "Demo").err().code == errc::bad_request));
  BOOST_TEST((reg->create_tenant("ok", std::string(201, 'n')).err().code == errc::bad_request));
  // SQL in a name is stored as text, nothing more.
  std::string sql = "Robert'); DROP TABLE tenants; -- \xc3\xbc";
  BOOST_REQUIRE(bool(reg->create_tenant("bobby", sql)));
  BOOST_TEST(reg->find_tenant("bobby")->name == sql);
  BOOST_TEST(reg->tenants()->size() == 1u);
  // Lookups with hostile strings find nothing and break nothing.
  BOOST_TEST(!reg->lookup("' OR '1'='1"));
  BOOST_TEST((reg->keys("' OR '1'='1").err().code == errc::not_found));
}

BOOST_AUTO_TEST_CASE(a_key_admits_only_its_own_tenant) {
  reg->create_tenant("acme", "Acme");
  reg->create_tenant("beta", "Beta");
  auto a = reg->create_key("acme");
  auto b = reg->create_key("beta");
  BOOST_REQUIRE((a && b));
  BOOST_TEST(a->key.kid.size() == 18u);
  BOOST_TEST(a->secret.size() == 64u);
  BOOST_TEST(a->key.kid != b->key.kid);
  BOOST_TEST((join(protocol::sign_token(claims("acme"), a->secret, a->key.kid)) == errc::none));
  BOOST_TEST((join(protocol::sign_token(claims("beta"), b->secret, b->key.kid)) == errc::none));
  // Acme's key for beta's classrooms: never.
  BOOST_TEST((join(protocol::sign_token(claims("beta"), a->secret, a->key.kid))
              == errc::tenant_mismatch));
  // Beta's secret under acme's key id: a bad signature.
  BOOST_TEST((join(protocol::sign_token(claims("acme"), b->secret, a->key.kid))
              == errc::unauthenticated));
  // A key for a tenant that does not exist.
  BOOST_TEST((reg->create_key("nobody").err().code == errc::not_found));
  // Keys of one tenant are not managed through another.
  BOOST_TEST((reg->revoke_key("beta", a->key.kid).code == errc::not_found));
  BOOST_TEST((reg->rotate_key("beta", a->key.kid, 0).err().code == errc::not_found));
  BOOST_TEST((join(protocol::sign_token(claims("acme"), a->secret, a->key.kid)) == errc::none));
}

BOOST_AUTO_TEST_CASE(revoking_a_key_or_suspending_its_tenant_refuses_the_next_join) {
  reg->create_tenant("acme", "Acme");
  auto k = reg->create_key("acme");
  BOOST_REQUIRE(bool(k));
  auto tok = protocol::sign_token(claims("acme"), k->secret, k->key.kid);
  // Another connection to the same file (lamplight-admin beside the node).
  auto admin = open();
  BOOST_TEST((admin->set_status("acme", tenant_status::suspended).code == errc::none));
  BOOST_TEST((join(tok) == errc::unauthenticated));
  BOOST_TEST((admin->set_status("acme", tenant_status::active).code == errc::none));
  BOOST_TEST((join(tok) == errc::none));
  BOOST_TEST((admin->revoke_key("acme", k->key.kid).code == errc::none));
  BOOST_TEST((join(tok) == errc::unauthenticated));
  BOOST_TEST((admin->revoke_key("acme", k->key.kid).code == errc::not_found));
  auto listed = reg->keys("acme");
  BOOST_REQUIRE((listed && listed->size() == 1u));
  BOOST_TEST(listed->front().revoked_ms == now);
  BOOST_TEST(!listed->front().live(now));
  // A deleted tenant takes its keys along.
  auto k2 = reg->create_key("acme");
  BOOST_REQUIRE(bool(k2));
  BOOST_TEST((reg->delete_tenant("acme").code == errc::none));
  BOOST_TEST(!reg->lookup(k2->key.kid));
}

BOOST_AUTO_TEST_CASE(a_rotated_key_lives_for_its_grace_then_only_the_new_one) {
  reg->create_tenant("acme", "Acme");
  auto old_key = reg->create_key("acme");
  BOOST_REQUIRE(bool(old_key));
  auto fresh = reg->rotate_key("acme", old_key->key.kid, 60'000);
  BOOST_REQUIRE(bool(fresh));
  BOOST_TEST(fresh->key.kid != old_key->key.kid);
  auto old_tok = protocol::sign_token(claims("acme"), old_key->secret, old_key->key.kid);
  auto new_tok = protocol::sign_token(claims("acme"), fresh->secret, fresh->key.kid);
  BOOST_TEST((join(old_tok) == errc::none));
  BOOST_TEST((join(new_tok) == errc::none));
  now += 60'000;
  BOOST_TEST((join(old_tok) == errc::unauthenticated));
  BOOST_TEST((join(new_tok) == errc::none));
  // An expired key cannot be rotated again; a zero grace ends it at once.
  BOOST_TEST((reg->rotate_key("acme", old_key->key.kid, 0).err().code == errc::not_found));
  auto third = reg->rotate_key("acme", fresh->key.kid, 0);
  BOOST_REQUIRE(bool(third));
  BOOST_TEST((join(new_tok) == errc::unauthenticated));
  BOOST_TEST((reg->rotate_key("acme", third->key.kid, -1).err().code == errc::bad_request));
  auto keys = reg->keys("acme");
  BOOST_REQUIRE(bool(keys));
  std::set<std::string> live;
  for (const auto& k : *keys)
    if (k.live(now))
      live.insert(k.kid);
  BOOST_TEST((live == std::set<std::string>{third->key.kid}));
}

BOOST_AUTO_TEST_SUITE_END()
