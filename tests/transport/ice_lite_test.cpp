// ICE-lite decisions, deterministic: requests are built as a full agent
// would build them; time is injected.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>

#include "tests/support/sockaddr.hpp"
#include "transport/ice_lite.hpp"
#include "transport/stun_message.hpp"

using namespace lamplight::transport;
using lamplight::test::ipv4;

namespace {

std::vector<uint8_t> check(const std::string& username, const std::string& pwd,
                           bool use_candidate = false, bool controlled = false) {
  std::array<uint8_t, 12> tid{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
  stun_message m(stun_message::method_class::request, stun_message::binding, tid);
  m.add_username(username);
  m.add_priority(1853824767);
  m.add_tie_breaker(controlled ? stun_message::ice_controlled : stun_message::ice_controlling,
                    0x1122334455667788ull);
  if (use_candidate)
    m.add_flag(stun_message::use_candidate);
  return m.serialize(std::string_view(pwd), true);
}

struct lite_fixture {
  ice_lite agent;
  ice_lite::session_id a = *agent.add_session("srvA", "passwordA-0123456789ab", "cliA");
  ice_lite::session_id b = *agent.add_session("srvB", "passwordB-0123456789ab", "cliB");
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(ice_lite_tests, lite_fixture)

BOOST_AUTO_TEST_CASE(answers_and_learns_the_tuple) {
  auto from = ipv4("127.0.0.1", 50000);
  auto req = check("srvA:cliA", "passwordA-0123456789ab");
  auto v = agent.on_stun(req.data(), req.size(), from, 1000);
  BOOST_REQUIRE(!v.response.empty());
  BOOST_TEST(*v.session == a);
  auto res = stun_message::parse(v.response.data(), v.response.size());
  BOOST_REQUIRE(res.has_value());
  BOOST_TEST((res->cls() == stun_message::method_class::success));
  BOOST_TEST(res->check_integrity("passwordA-0123456789ab"));
  BOOST_TEST(res->check_fingerprint());
  auto mapped = res->get_xor_mapped_address();
  BOOST_REQUIRE(mapped.has_value());
  BOOST_TEST((endpoint_key::of(*mapped) == endpoint_key::of(from)));
  BOOST_TEST(*agent.route(from) == a);
  BOOST_TEST(!agent.route(ipv4("127.0.0.1", 50001)).has_value());
}

BOOST_AUTO_TEST_CASE(routes_sessions_sharing_the_port_by_ufrag) {
  auto ra = check("srvA:cliA", "passwordA-0123456789ab");
  auto rb = check("srvB:cliB", "passwordB-0123456789ab", true);
  agent.on_stun(ra.data(), ra.size(), ipv4("127.0.0.1", 1111), 0);
  auto vb = agent.on_stun(rb.data(), rb.size(), ipv4("127.0.0.1", 2222), 0);
  BOOST_TEST(vb.nominated);
  BOOST_TEST(*agent.route(ipv4("127.0.0.1", 1111)) == a);
  BOOST_TEST(*agent.route(ipv4("127.0.0.1", 2222)) == b);
  BOOST_TEST((endpoint_key::of(*agent.selected(b)) == endpoint_key::of(ipv4("127.0.0.1", 2222))));
}

BOOST_AUTO_TEST_CASE(wrong_password_unknown_ufrag_and_garbage_are_dropped) {
  auto bad_pwd = check("srvA:cliA", "not-the-password");
  auto v = agent.on_stun(bad_pwd.data(), bad_pwd.size(), ipv4("127.0.0.1", 1), 0);
  BOOST_TEST(v.response.empty());
  BOOST_TEST(!agent.route(ipv4("127.0.0.1", 1)).has_value());
  auto unknown = check("nope:cliA", "passwordA-0123456789ab");
  BOOST_TEST(agent.on_stun(unknown.data(), unknown.size(), ipv4("127.0.0.1", 2), 0)
               .response.empty());
  auto wrong_peer = check("srvA:someone", "passwordA-0123456789ab");
  BOOST_TEST(agent.on_stun(wrong_peer.data(), wrong_peer.size(), ipv4("127.0.0.1", 3), 0)
               .response.empty());
  std::vector<uint8_t> garbage(64, 0x17);
  BOOST_TEST(agent.on_stun(garbage.data(), garbage.size(), ipv4("127.0.0.1", 4), 0)
               .response.empty());
  BOOST_TEST(agent.stats().bad_integrity == 1u);
  BOOST_TEST(agent.stats().unknown_ufrag == 2u);
  BOOST_TEST(agent.stats().malformed == 1u);
  BOOST_TEST(agent.stats().answered == 0u);
}

BOOST_AUTO_TEST_CASE(controlled_peer_gets_487) {
  auto req = check("srvA:cliA", "passwordA-0123456789ab", false, true);
  auto v = agent.on_stun(req.data(), req.size(), ipv4("127.0.0.1", 5), 0);
  auto res = stun_message::parse(v.response.data(), v.response.size());
  BOOST_REQUIRE(res.has_value());
  BOOST_TEST((res->cls() == stun_message::method_class::error));
  BOOST_TEST(*res->get_error_code() == 487);
  BOOST_TEST(!agent.route(ipv4("127.0.0.1", 5)).has_value());
}

BOOST_AUTO_TEST_CASE(consent_expires_without_checks) {
  auto req = check("srvA:cliA", "passwordA-0123456789ab");
  agent.on_stun(req.data(), req.size(), ipv4("127.0.0.1", 6), 1000);
  BOOST_TEST(agent.expire(30999).empty());
  agent.on_stun(req.data(), req.size(), ipv4("127.0.0.1", 6), 20000);  // a consent check
  BOOST_TEST(agent.expire(49999).empty());
  auto gone = agent.expire(50000);
  BOOST_REQUIRE(gone.size() == 1u);
  BOOST_TEST(gone[0] == a);
  BOOST_TEST(!agent.route(ipv4("127.0.0.1", 6)).has_value());
}

BOOST_AUTO_TEST_CASE(a_tuple_moves_with_its_peer_and_sessions_go_away) {
  auto ra = check("srvA:cliA", "passwordA-0123456789ab");
  auto rb = check("srvB:cliB", "passwordB-0123456789ab");
  agent.on_stun(ra.data(), ra.size(), ipv4("127.0.0.1", 7), 0);
  agent.on_stun(rb.data(), rb.size(), ipv4("127.0.0.1", 7), 0);
  BOOST_TEST(*agent.route(ipv4("127.0.0.1", 7)) == b);
  BOOST_TEST(!agent.selected(a).has_value());
  agent.remove_session(b);
  BOOST_TEST(!agent.route(ipv4("127.0.0.1", 7)).has_value());
  BOOST_TEST(!agent.add_session("srvA", "x", "y").has_value());  // ufrag taken
  BOOST_TEST(agent.sessions() == 1u);
  BOOST_TEST(random_ice_string(22).size() == 22u);
  BOOST_TEST(random_ice_string(4) != random_ice_string(4));
}

BOOST_AUTO_TEST_SUITE_END()
