#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <vector>

#include "protocol/token.hpp"

using namespace lamplight::protocol;
namespace sig = lamplight::signal::v1;

namespace {

constexpr std::string_view secret = "test-secret-0123456789";
constexpr int64_t now = 1'800'000'000;

token_claims teacher() {
  token_claims c;
  c.tenant = "acme";
  c.classroom = "math-7b";
  c.identity = "t-ann";
  c.display_name = "Ann \"the\" Teacher ü";
  c.role = sig::ROLE_TEACHER;
  c.mode = sig::MODE_SMALL_GROUP;
  c.expires_at = now + 3600;
  return c;
}

/// Flips one character of part `part` (0 header, 1 payload, 2 signature).
std::string tamper(std::string tok, int part) {
  std::size_t start = 0;
  for (int i = 0; i < part; ++i)
    start = tok.find('.', start) + 1;
  tok[start + 1] = tok[start + 1] == 'A' ? 'B' : 'A';
  return tok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(token)

BOOST_AUTO_TEST_CASE(round_trip_keeps_every_claim) {
  auto c = teacher();
  auto tok = sign_token(c, secret);
  auto got = verify_token(tok, secret, now);
  BOOST_REQUIRE_MESSAGE(bool(got), (got ? std::string() : got.err().message));
  BOOST_TEST((*got == c));

  token_claims parent;
  parent.tenant = "acme";
  parent.classroom = "math-7b";
  parent.identity = "p-bob";
  parent.role = sig::ROLE_PARENT;
  parent.child = "s-cy";
  parent.expires_at = now + 1;
  auto p = verify_token(sign_token(parent, secret), secret, now);
  BOOST_REQUIRE(bool(p));
  BOOST_TEST((*p == parent));
}

BOOST_AUTO_TEST_CASE(shape_is_a_jwt) {
  auto tok = sign_token(teacher(), secret);
  BOOST_TEST(std::count(tok.begin(), tok.end(), '.') == 2);
  // {"alg":"HS256","typ":"JWT"} in base64url, as every JWT library writes it.
  BOOST_TEST(tok.rfind("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 0) == 0u);
  BOOST_TEST(tok.find('=') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_tampering_and_wrong_secret) {
  auto tok = sign_token(teacher(), secret);
  for (int part = 0; part < 3; ++part) {
    auto r = verify_token(tamper(tok, part), secret, now);
    BOOST_REQUIRE(!bool(r));
    BOOST_TEST((r.err().code == errc::unauthenticated));
  }
  auto r = verify_token(tok, "another-secret", now);
  BOOST_REQUIRE(!bool(r));
  BOOST_TEST((r.err().code == errc::unauthenticated));
}

BOOST_AUTO_TEST_CASE(rejects_expired) {
  auto c = teacher();
  c.expires_at = now;
  auto r = verify_token(sign_token(c, secret), secret, now);
  BOOST_REQUIRE(!bool(r));
  BOOST_TEST((r.err().code == errc::token_expired));
  BOOST_TEST(bool(verify_token(sign_token(c, secret), secret, now - 1)));
}

BOOST_AUTO_TEST_CASE(rejects_malformed) {
  for (std::string bad : std::vector<std::string>{"", "abc", "a.b", "a.b.c.d", "....", "!!.??.##",
                          std::string(max_token_bytes + 1, 'a')}) {
    auto r = verify_token(bad, secret, now);
    BOOST_REQUIRE(!bool(r));
    BOOST_TEST((r.err().code == errc::unauthenticated), bad.substr(0, 20));
  }
}

BOOST_AUTO_TEST_CASE(rejects_missing_claims) {
  auto no_tenant = teacher();
  no_tenant.tenant.clear();
  auto no_role = teacher();
  no_role.role = sig::ROLE_UNSPECIFIED;
  auto orphan_parent = teacher();
  orphan_parent.role = sig::ROLE_PARENT;
  for (auto& c : {no_tenant, no_role, orphan_parent}) {
    auto r = verify_token(sign_token(c, secret), secret, now);
    BOOST_REQUIRE(!bool(r));
    BOOST_TEST((r.err().code == errc::unauthenticated));
  }
}

BOOST_AUTO_TEST_CASE(claims_that_are_not_utf8_are_not_signed) {
  auto c = teacher();
  c.identity = "\xff\xfe";
  BOOST_TEST(sign_token(c, secret).empty());
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (auto r : {sig::ROLE_TEACHER, sig::ROLE_ASSISTANT, sig::ROLE_STUDENT, sig::ROLE_PARENT})
    BOOST_TEST(role_from_name(role_name(r)) == r);
  BOOST_TEST(role_from_name("admin") == sig::ROLE_UNSPECIFIED);
  for (auto m : {sig::MODE_ONE_ON_ONE, sig::MODE_SMALL_GROUP, sig::MODE_LARGE_CLASS})
    BOOST_TEST(mode_from_name(mode_name(m)) == m);
  BOOST_TEST(mode_from_name("huge") == sig::MODE_UNSPECIFIED);
}

BOOST_AUTO_TEST_CASE(a_key_id_names_the_tenant_key_that_signed) {
  constexpr std::string_view acme_secret = "acme-key-secret-0123456789abcdef";
  constexpr std::string_view beta_secret = "beta-key-secret-0123456789abcdef";
  std::map<std::string, tenant_key> live{{"k_acme", {"acme", std::string(acme_secret)}},
                                         {"k_beta", {"beta", std::string(beta_secret)}}};
  key_lookup keys = [&](const std::string& kid) -> std::optional<tenant_key> {
    auto i = live.find(kid);
    if (i == live.end())
      return std::nullopt;
    return i->second;
  };
  auto c = teacher();  // tenant acme
  auto tok = sign_token(c, acme_secret, "k_acme");
  BOOST_TEST(token_key_id(tok) == "k_acme");
  auto ok = verify_join_token(tok, secret, keys, now);
  BOOST_REQUIRE(bool(ok));
  BOOST_TEST((*ok == c));
  // Beta's key signing claims for acme: refused, whatever else is right.
  auto cross = verify_join_token(sign_token(c, beta_secret, "k_beta"), secret, keys, now);
  BOOST_TEST((!cross && cross.err().code == errc::tenant_mismatch));
  // A key id with another key's secret, or the node's: bad signature.
  auto forged = verify_join_token(sign_token(c, beta_secret, "k_acme"), secret, keys, now);
  BOOST_TEST((!forged && forged.err().code == errc::unauthenticated));
  auto node_signed = verify_join_token(sign_token(c, secret, "k_acme"), secret, keys, now);
  BOOST_TEST((!node_signed && node_signed.err().code == errc::unauthenticated));
  // Revoked (gone from the lookup): refused at once, without saying why.
  live.erase("k_acme");
  auto revoked = verify_join_token(tok, secret, keys, now);
  BOOST_TEST((!revoked && revoked.err().code == errc::unauthenticated));
  BOOST_TEST(revoked.err().message == "invalid token: unknown or revoked key");
  // No lookup at all (a node without a registry): a kid is never accepted.
  auto none = verify_join_token(sign_token(c, beta_secret, "k_beta"), secret, key_lookup{}, now);
  BOOST_TEST((!none && none.err().code == errc::unauthenticated));
  // Without a kid, the node's own secret as before.
  BOOST_TEST(bool(verify_join_token(sign_token(c, secret), secret, keys, now)));
  BOOST_TEST(token_key_id(sign_token(c, secret)).empty());
  // Key ids are bounded and must be text.
  BOOST_TEST(sign_token(c, acme_secret, std::string(65, 'k')).empty());
  BOOST_TEST(token_key_id("not a token").empty());
}

BOOST_AUTO_TEST_SUITE_END()
