// The server API's request signature (backend/api_auth): the header parser,
// the signer against a vector computed independently (Python's hmac and
// `openssl dgst`), and the verifier with an injected clock: tampering,
// timestamps, replay, nonce memory, and a real tenant registry as lookup.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <optional>
#include <ostream>
#include <thread>
#include <vector>

#include "backend/api_auth.hpp"
#include "backend/tenant_registry.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
namespace protocol = lamplight::protocol;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;

namespace lamplight::protocol {
// Lets BOOST_TEST print an errc (found by ADL); internal linkage, so other
// test files of the binary may have their own.
[[maybe_unused]] static std::ostream& boost_test_print_type(std::ostream& os, errc x) {
  return os << to_string(x);
}
} // namespace lamplight::protocol

namespace {

const std::string kid_a = "k_0123456789abcdef";
const std::string secret_a = "2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c";
const std::string kid_b = "k_fedcba9876543210";
const std::string secret_b = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string body = R"({"name":"Algebra"})";
const std::string target = "/api/v1/classrooms?limit=10";

struct auth_fixture {
  int64_t now = 1'800'000'000;  // unix seconds, moved by hand
  std::map<std::string, protocol::tenant_key> keys = {
    {kid_a, {"acme", secret_a}},
    {kid_b, {"beta", secret_b}},
  };
  std::size_t max_nonces = 1000;
  std::optional<api_request_verifier> verifier_;
  int nonce_counter = 0;

  api_request_verifier& verifier() {
    if (!verifier_)
      verifier_.emplace(
        [this](const std::string& kid) -> std::optional<protocol::tenant_key> {
          auto i = keys.find(kid);
          if (i == keys.end())
            return std::nullopt;
          return i->second;
        },
        [this] { return now; }, 300, max_nonces);
    return *verifier_;
  }

  std::string fresh_nonce() {
    auto n = std::to_string(++nonce_counter);
    return "nonce-" + std::string(16 - n.size(), '0') + n;
  }

  std::string sign(const std::string& nonce, int64_t ts, const std::string& method = "POST",
                   const std::string& tgt = target, const std::string& bdy = body,
                   const std::string& kid = kid_a, const std::string& secret = secret_a) {
    auto h = sign_api_request(kid, secret, method, tgt, bdy, ts, nonce);
    BOOST_REQUIRE(!h.empty());
    return h;
  }

  protocol::result<api_caller> verify(const std::string& header, const std::string& method = "POST",
                                      const std::string& tgt = target,
                                      const std::string& bdy = body) {
    return verifier().verify(method, tgt, bdy, header);
  }

  /// The error code of a verification (none if accepted) and, if it failed,
  /// that its message contains `words`.
  errc refused(const protocol::result<api_caller>& r, const std::string& words = {}) {
    if (r)
      return errc::none;
    BOOST_TEST_INFO("message: " << r.err().message);
    BOOST_TEST(r.err().message.find(words) != std::string::npos);
    return r.err().code;
  }
};

/// `header` with the value of field `name` replaced.
std::string with_field(const std::string& header, const std::string& name,
                       const std::string& value) {
  auto at = header.find(name + "=");
  BOOST_REQUIRE(at != std::string::npos);
  auto start = at + name.size() + 1;
  auto end = header.find(", ", start);
  auto out = header;
  out.replace(start, end == std::string::npos ? std::string::npos : end - start, value);
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(api_auth, auth_fixture)

BOOST_AUTO_TEST_CASE(the_signature_matches_an_independently_computed_vector) {
  auto to_sign = api_string_to_sign(1'800'000'000, "0123456789abcdef_-XY", "post", target, body);
  BOOST_TEST(to_sign
             == "LL1-HMAC-SHA256\n1800000000\n0123456789abcdef_-XY\nPOST\n"
                "/api/v1/classrooms?limit=10\n"
                "b6717bb35877bf7cd939b58f14fe37cf93ec1c487bb821c295f408e83c3422db");
  auto header = sign_api_request(kid_a, secret_a, "POST", target, body, 1'800'000'000,
                                 "0123456789abcdef_-XY");
  BOOST_TEST(header
             == "LL1-HMAC-SHA256 kid=k_0123456789abcdef, ts=1800000000, "
                "nonce=0123456789abcdef_-XY, "
                "sig=246c4a6595598acd02d69c8e3f32374405aad7bad0c9bed43023300ffe3f9ba5");
  // An empty body is hashed as "".
  auto get = api_string_to_sign(5, "0123456789abcdef", "GET", "/api/v1/x", "");
  BOOST_TEST(get.substr(get.size() - 64)
             == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(a_signed_request_verifies_and_yields_its_tenant) {
  auto r = verify(sign(fresh_nonce(), now));
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_TEST(r->tenant == "acme");
  BOOST_TEST(r->kid == kid_a);

  auto b = verify(sign(fresh_nonce(), now, "GET", "/api/v1/history?from=0&to=9", "", kid_b,
                       secret_b),
                  "GET", "/api/v1/history?from=0&to=9", "");
  BOOST_REQUIRE_MESSAGE(bool(b), (b ? "" : b.err().message));
  BOOST_TEST(b->tenant == "beta");
  BOOST_TEST(verifier().remembered_nonces() == 2u);

  // The parser gives back what was signed.
  auto nonce = fresh_nonce();
  auto parsed = parse_api_authorization(sign(nonce, now));
  BOOST_REQUIRE(bool(parsed));
  BOOST_TEST(parsed->kid == kid_a);
  BOOST_TEST(parsed->timestamp == now);
  BOOST_TEST(parsed->nonce == nonce);
  BOOST_TEST(parsed->signature.size() == 64u);
}

BOOST_AUTO_TEST_CASE(the_method_is_compared_in_upper_case_and_fields_in_any_order) {
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now, "post"), "POST")) == errc::none);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now, "PATCH"), "patch")) == errc::none);
  auto h = sign(fresh_nonce(), now);
  // "LL1-HMAC-SHA256 kid=..., ts=..., nonce=..., sig=..." -> sig, nonce, ts, kid
  auto fields = h.substr(h.find(' ') + 1);
  std::vector<std::string> parts;
  for (std::size_t at = 0;;) {
    auto sep = fields.find(", ", at);
    parts.push_back(fields.substr(at, sep - at));
    if (sep == std::string::npos)
      break;
    at = sep + 2;
  }
  BOOST_REQUIRE(parts.size() == 4u);
  auto reordered =
    "ll1-hmac-sha256 " + parts[3] + ", " + parts[2] + ", " + parts[1] + ", " + parts[0];
  BOOST_TEST(refused(verify(reordered)) == errc::none);
  // Outer whitespace is not part of a field value (RFC 9110 section 5.5).
  BOOST_TEST(refused(verify(" \t" + sign(fresh_nonce(), now) + " ")) == errc::none);
}

BOOST_AUTO_TEST_CASE(every_tampering_is_refused) {
  auto nonce = fresh_nonce();
  auto h = sign(nonce, now);
  BOOST_TEST(refused(verify(h, "POST", target, body + " "), "bad signature")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, "POST", target, ""), "bad signature") == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, "POST", "/api/v1/classrooms?limit=11"), "bad signature")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, "POST", "/api/v1/classrooms"), "bad signature")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, "PUT"), "bad signature") == errc::unauthenticated);
  BOOST_TEST(refused(verify(with_field(h, "ts", std::to_string(now + 1))), "bad signature")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(with_field(h, "nonce", fresh_nonce())), "bad signature")
             == errc::unauthenticated);
  auto sig = h.substr(h.size() - 64);
  auto flipped = sig;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  BOOST_TEST(refused(verify(with_field(h, "sig", flipped)), "bad signature")
             == errc::unauthenticated);
  // Tenant A's secret under tenant B's kid: checked with B's secret.
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now, "POST", target, body, kid_b, secret_a)),
                     "bad signature")
             == errc::unauthenticated);
  // Tenant A's signature relabelled with B's kid.
  BOOST_TEST(refused(verify(with_field(h, "kid", kid_b)), "bad signature")
             == errc::unauthenticated);
  // None of that used the nonce up: the genuine request still goes through.
  BOOST_TEST(refused(verify(h)) == errc::none);
}

BOOST_AUTO_TEST_CASE(an_unknown_or_revoked_key_is_refused) {
  auto h = sign(fresh_nonce(), now);
  keys.erase(kid_a);  // revoked: the lookup says nullopt
  BOOST_TEST(refused(verify(h), "unknown or revoked API key") == errc::unauthenticated);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now, "POST", target, body, "k_00000000000000ff",
                                 secret_a)),
                     "unknown or revoked API key")
             == errc::unauthenticated);
  BOOST_TEST(verifier().remembered_nonces() == 0u);
}

BOOST_AUTO_TEST_CASE(timestamps_outside_the_window_are_refused_saying_which_way) {
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now - 300))) == errc::none);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now + 300))) == errc::none);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now - 301)), "301 s behind")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now + 301)), "301 s ahead")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), 0)), "behind") == errc::unauthenticated);
  BOOST_TEST(refused(verify(sign(fresh_nonce(), 9'999'999'999)), "ahead")
             == errc::unauthenticated);
  BOOST_TEST(verifier().remembered_nonces() == 2u);
}

BOOST_AUTO_TEST_CASE(a_replay_is_refused_within_and_after_the_window) {
  auto h = sign(fresh_nonce(), now);
  BOOST_TEST(refused(verify(h)) == errc::none);
  BOOST_TEST(refused(verify(h), "replay") == errc::unauthenticated);
  now += 300;
  BOOST_TEST(refused(verify(h), "replay") == errc::unauthenticated);
  now += 1;
  BOOST_TEST(refused(verify(h), "301 s behind") == errc::unauthenticated);
  // The same nonce with another kid is another key's business.
  auto nonce = fresh_nonce();
  BOOST_TEST(refused(verify(sign(nonce, now))) == errc::none);
  BOOST_TEST(refused(verify(sign(nonce, now, "POST", target, body, kid_b, secret_b))) == errc::none);
  // A new signature with the same nonce and another ts is still a replay of
  // the nonce within the window.
  BOOST_TEST(refused(verify(sign(nonce, now + 1)), "replay") == errc::unauthenticated);
}

BOOST_AUTO_TEST_CASE(a_request_accepted_by_one_node_is_a_replay_at_another) {
  // Two nodes' verifiers over one shared claim (in a cluster, the database's
  // api_nonces table through api_nonce_store).
  std::map<std::string, int64_t> claimed;
  bool store_up = true;
  api_request_verifier::nonce_claim claim =
    [&](const std::string& kid, const std::string& nonce,
        int64_t expires_ms) -> protocol::result<bool> {
    if (!store_up)
      return protocol::error{errc::internal, "database gone"};
    BOOST_TEST(expires_ms == (now + 300) * 1000);
    return claimed.emplace(kid + ":" + nonce, expires_ms).second;
  };
  auto lookup = [this](const std::string& kid) -> std::optional<protocol::tenant_key> {
    auto i = keys.find(kid);
    return i == keys.end() ? std::nullopt : std::optional<protocol::tenant_key>(i->second);
  };
  api_request_verifier node_a(lookup, [this] { return now; }, 300, 1000, claim);
  api_request_verifier node_b(lookup, [this] { return now; }, 300, 1000, claim);
  auto h = sign(fresh_nonce(), now);
  BOOST_TEST(refused(node_a.verify("POST", target, body, h)) == errc::none);
  BOOST_TEST(refused(node_b.verify("POST", target, body, h), "seen by another node")
             == errc::unauthenticated);
  BOOST_TEST(refused(node_a.verify("POST", target, body, h), "replay") == errc::unauthenticated);
  // The store unreachable: refused as unavailable (retry), never let through.
  store_up = false;
  BOOST_TEST(refused(node_b.verify("POST", target, body, sign(fresh_nonce(), now)), "retry")
             == errc::unavailable);
  BOOST_TEST(claimed.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_request_does_not_burn_its_nonce) {
  auto nonce = fresh_nonce();
  auto forged = with_field(sign(nonce, now), "sig", std::string(64, 'a'));
  BOOST_TEST(refused(verify(forged), "bad signature") == errc::unauthenticated);
  BOOST_TEST(refused(verify(sign(nonce, now), "POST", target, "tampered")) == errc::unauthenticated);
  BOOST_TEST(refused(verify(sign(nonce, now - 1000)), "behind") == errc::unauthenticated);
  BOOST_TEST(verifier().remembered_nonces() == 0u);
  BOOST_TEST(refused(verify(sign(nonce, now))) == errc::none);
}

BOOST_AUTO_TEST_CASE(nonces_are_forgotten_with_the_window) {
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(refused(verify(sign(fresh_nonce(), now + i))) == errc::none);
  BOOST_TEST(verifier().remembered_nonces() == 5u);
  now += 302;  // the first two (ts now and now + 1) have left the window
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now))) == errc::none);
  BOOST_TEST(verifier().remembered_nonces() == 4u);
  now += 1000;
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now))) == errc::none);
  BOOST_TEST(verifier().remembered_nonces() == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_nonce_memory_refuses_rather_than_forgets) {
  max_nonces = 3;
  std::vector<std::string> accepted;
  for (int i = 0; i < 3; ++i) {
    accepted.push_back(sign(fresh_nonce(), now));
    BOOST_TEST(refused(verify(accepted.back())) == errc::none);
  }
  auto nonce = fresh_nonce();
  auto fourth = sign(nonce, now);
  BOOST_TEST(refused(verify(fourth), "too many requests") == errc::unavailable);
  // Still replays, not "full": nothing was forgotten.
  for (const auto& h : accepted)
    BOOST_TEST(refused(verify(h), "replay") == errc::unauthenticated);
  BOOST_TEST(verifier().remembered_nonces() == 3u);
  // Once the first three have left the window, the refused nonce was not
  // burnt: the client's retry with a fresh ts goes through.
  now += 301;
  BOOST_TEST(refused(verify(sign(nonce, now))) == errc::none);
  BOOST_TEST(verifier().remembered_nonces() == 1u);
}

BOOST_AUTO_TEST_CASE(a_clock_stepped_back_does_not_reopen_a_replay) {
  auto start = now;
  auto h = sign(fresh_nonce(), start);
  BOOST_TEST(refused(verify(h)) == errc::none);
  now = start + 301;
  BOOST_TEST(refused(verify(sign(fresh_nonce(), now))) == errc::none);  // forgets h's nonce
  BOOST_TEST(verifier().remembered_nonces() == 1u);
  now = start;  // the wall clock steps back
  BOOST_TEST(refused(verify(h), "behind") == errc::unauthenticated);
}

BOOST_AUTO_TEST_CASE(malformed_headers_are_unauthenticated) {
  auto good = sign(fresh_nonce(), now);
  auto k = "kid=" + kid_a;
  auto t = "ts=" + std::to_string(now);
  auto n = std::string("nonce=abcdefghijklmnop");
  auto s = "sig=" + std::string(64, 'a');
  auto join = [](std::vector<std::string> parts) {
    std::string out = "LL1-HMAC-SHA256 ";
    for (std::size_t i = 0; i < parts.size(); ++i)
      out += (i ? ", " : "") + parts[i];
    return out;
  };
  BOOST_REQUIRE(bool(parse_api_authorization(join({k, t, n, s}))));
  std::vector<std::string> bad = {
    "",
    " \t ",
    "LL1-HMAC-SHA256",
    "LL1-HMAC-SHA256 ",
    "Bearer abc.def.ghi",
    "LL1-HMAC-SHA512 " + k + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256-X " + k + ", " + t + ", " + n + ", " + s,
    // missing fields
    join({t, n, s}),
    join({k, n, s}),
    join({k, t, s}),
    join({k, t, n}),
    join({}),
    // duplicates, unknown fields
    join({k, k, t, n, s}),
    join({k, t, t, n, s}),
    join({k, t, n, n, s}),
    join({k, t, n, s, s}),
    join({k, t, n, s, "ext=1"}),
    join({k, t, n, s, ""}),
    join({k, t, n, s, "="}),
    join({"KID=" + kid_a, t, n, s}),
    // kid
    join({"kid=", t, n, s}),
    join({"kid=k_0123456789ABCDEF", t, n, s}),
    join({"kid=k_0123456789abcde", t, n, s}),
    join({"kid=k_0123456789abcdef0", t, n, s}),
    join({"kid=x_0123456789abcdef", t, n, s}),
    join({"kid=\"" + kid_a + "\"", t, n, s}),
    join({"kid=" + std::string(200, 'a'), t, n, s}),
    // ts
    join({k, "ts=", n, s}),
    join({k, "ts=-1800000000", n, s}),
    join({k, "ts=+1800000000", n, s}),
    join({k, "ts=99999999999999999999", n, s}),
    join({k, "ts=18446744073709551617", n, s}),
    join({k, "ts=01800000000", n, s}),
    join({k, "ts=0800000000", n, s}),
    join({k, "ts=1.8e9", n, s}),
    join({k, "ts=1800000000.5", n, s}),
    join({k, "ts=0x6b49d200", n, s}),
    // nonce
    join({k, t, "nonce=", s}),
    join({k, t, "nonce=abcdefghijklmno", s}),
    join({k, t, "nonce=" + std::string(65, 'a'), s}),
    join({k, t, "nonce=abcdefghijklmnop.", s}),
    join({k, t, "nonce=abcdefgh/ijklmnop", s}),
    join({k, t, "nonce=abcdefgh=ijklmnop", s}),
    // sig
    join({k, t, n, "sig="}),
    join({k, t, n, "sig=" + std::string(63, 'a')}),
    join({k, t, n, "sig=" + std::string(65, 'a')}),
    join({k, t, n, "sig=" + std::string(64, 'A')}),
    join({k, t, n, "sig=" + std::string(63, 'a') + "g"}),
    join({k, t, n, "sig=" + std::string(64, 'a') + ","}),
    // spacing and separators
    "LL1-HMAC-SHA256  " + k + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256\t" + k + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256" + k + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256 " + k + "," + t + "," + n + "," + s,
    "LL1-HMAC-SHA256 " + k + " ," + t + " ," + n + " ," + s,
    "LL1-HMAC-SHA256 " + k + ",  " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256 " + k + ",\t" + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256 " + k + ", " + t + ", " + n + ", " + s + ",",
    "LL1-HMAC-SHA256 " + k + ", " + t + ", " + n + ", " + s + ", ",
    "LL1-HMAC-SHA256 " + k + " " + t + " " + n + " " + s,
    "LL1-HMAC-SHA256 kid = " + kid_a + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256 kid =" + kid_a + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256 kid= " + kid_a + ", " + t + ", " + n + ", " + s,
    "LL1-HMAC-SHA256 ," + k + ", " + t + ", " + n + ", " + s,
    // bytes a header should not hold
    join({k, t, n, s}) + std::string(1, '\0'),
    join({k + std::string(1, '\0'), t, n, s}),
    join({k, t + "\r\nX-Evil: 1", n, s}),
    join({k, t, "nonce=abcdefghijklmnop\xc3\xa9", s}),
    // huge
    join({k, t, n, s}) + std::string(1 << 20, ' ') + "x",
    join({k, t, n, s, "pad=" + std::string(100000, 'a')}),
    std::string(1 << 20, 'L'),
    good + ", " + good.substr(16),  // two headers folded into one
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    BOOST_TEST_INFO("case " << i);
    auto p = parse_api_authorization(bad[i]);
    BOOST_TEST(!p);
    if (!p) {
      BOOST_TEST(p.err().code == errc::unauthenticated);
      BOOST_TEST(!p.err().message.empty());
      BOOST_TEST(p.err().message.size() < 200u);  // never echoes the input
    }
    BOOST_TEST(refused(verify(bad[i])) == errc::unauthenticated);
  }
  BOOST_TEST(refused(verify(good)) == errc::none);
}

BOOST_AUTO_TEST_CASE(a_method_or_target_that_cannot_be_signed_is_refused) {
  auto nonce = fresh_nonce();
  BOOST_TEST(sign_api_request(kid_a, secret_a, "POST", "api/v1/x", body, now, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "POST", "/api/v1/a b", body, now, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "POST", "/api/v1/a\nPOST", body, now, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "POST", "", body, now, nonce).empty());
  BOOST_TEST(
    sign_api_request(kid_a, secret_a, "POST", "/" + std::string(max_api_target_bytes, 'a'), body,
                     now, nonce)
      .empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "", "/x", body, now, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "GE T", "/x", body, now, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "GET\n", "/x", body, now, nonce).empty());
  BOOST_TEST(sign_api_request("k_123", secret_a, "GET", "/x", body, now, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "GET", "/x", body, -1, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "GET", "/x", body, 10'000'000'000, nonce).empty());
  BOOST_TEST(sign_api_request(kid_a, secret_a, "GET", "/x", body, now, "short").empty());

  auto h = sign(nonce, now);
  BOOST_TEST(refused(verify(h, "POST", "/api/v1/classrooms?limit=10 "), "target")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, "POST", "http://evil/api/v1/classrooms?limit=10"), "target")
             == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, "PO ST"), "method") == errc::unauthenticated);
  BOOST_TEST(refused(verify(h, ""), "method") == errc::unauthenticated);
  BOOST_TEST(refused(verify(h)) == errc::none);
}

BOOST_AUTO_TEST_CASE(fresh_nonces_have_the_shape_and_differ) {
  auto a = make_api_nonce();
  auto b = make_api_nonce();
  BOOST_TEST(a.size() == 32u);
  BOOST_TEST(a != b);
  BOOST_TEST(!sign_api_request(kid_a, secret_a, "GET", "/x", "", now, a).empty());
}

BOOST_AUTO_TEST_CASE(concurrent_copies_of_a_request_get_through_once) {
  std::vector<std::string> headers;
  for (int i = 0; i < 200; ++i)
    headers.push_back(sign(fresh_nonce(), now));
  verifier();  // built before the threads share it
  std::atomic<int> accepted{0}, replays{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (const auto& h : headers) {
        auto r = verifier_->verify("POST", target, body, h);
        if (r)
          ++accepted;
        else if (r.err().message.find("replay") != std::string::npos)
          ++replays;
        else
          ++other;
      }
    });
  for (auto& th : threads)
    th.join();
  BOOST_TEST(accepted.load() == 200);
  BOOST_TEST(replays.load() == 600);
  BOOST_TEST(other.load() == 0);
  BOOST_TEST(verifier().remembered_nonces() == 200u);
}

BOOST_AUTO_TEST_CASE(the_tenant_registry_is_the_key_lookup) {
  temp_dir dir;
  int64_t now_ms = now * 1000;
  auto reg = tenant_registry::open(lamplight::test::test_database(dir), [&] { return now_ms; });
  BOOST_REQUIRE_MESSAGE(bool(reg), (reg ? "" : reg.err().message));
  auto registry = *reg;
  BOOST_REQUIRE(bool(registry->create_tenant("acme", "Acme Tutoring")));
  BOOST_REQUIRE(bool(registry->create_tenant("beta", "Beta Learning")));
  auto key = registry->create_key("acme");
  auto other = registry->create_key("beta");
  BOOST_REQUIRE(bool(key));
  BOOST_REQUIRE(bool(other));
  api_request_verifier v([&](const std::string& kid) { return registry->lookup(kid); },
                         [this] { return now; });
  auto check = [&](const std::string& kid, const std::string& secret) {
    return v.verify("GET", "/api/v1/classrooms", "",
                    sign_api_request(kid, secret, "GET", "/api/v1/classrooms", "", now,
                                     make_api_nonce()));
  };
  auto ok = check(key->key.kid, key->secret);
  BOOST_REQUIRE_MESSAGE(bool(ok), (ok ? "" : ok.err().message));
  BOOST_TEST(ok->tenant == "acme");
  BOOST_TEST(refused(check(other->key.kid, key->secret), "bad signature") == errc::unauthenticated);
  BOOST_REQUIRE(registry->revoke_key("acme", key->key.kid).code == errc::none);
  BOOST_TEST(refused(check(key->key.kid, key->secret), "unknown or revoked")
             == errc::unauthenticated);
  BOOST_REQUIRE(registry->set_status("beta", tenant_status::suspended).code == errc::none);
  BOOST_TEST(refused(check(other->key.kid, other->secret), "unknown or revoked")
             == errc::unauthenticated);
}

BOOST_AUTO_TEST_SUITE_END()
