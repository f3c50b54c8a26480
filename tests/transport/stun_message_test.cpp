// STUN (RFC 8489) against the RFC 5769 test vectors, and our own messages.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>

#include <cstring>

#include "tests/support/sockaddr.hpp"
#include "transport/stun_message.hpp"

using namespace lamplight::transport;
using lamplight::test::ipv4;

namespace {

// RFC 5769 section 2.1: a Binding request with ICE attributes, integrity
// keyed with "VOkJxbRl1RmTxUk/WvJxBt", and a fingerprint.
const std::vector<uint8_t> rfc5769_request = {
  0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
  0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
  0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
  0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
  0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
  0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

} // namespace

BOOST_AUTO_TEST_SUITE(stun)

BOOST_AUTO_TEST_CASE(rfc5769_request_parses_and_verifies) {
  auto m = stun_message::parse(rfc5769_request.data(), rfc5769_request.size());
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST((m->cls() == stun_message::method_class::request));
  BOOST_TEST(m->method() == stun_message::binding);
  BOOST_TEST(*m->get_username() == "evtj:h6vY");
  BOOST_TEST(*m->get_priority() == 0x6e0001ffu);
  BOOST_TEST(*m->get_tie_breaker(stun_message::ice_controlled) == 0x932ff9b151263b36ull);
  BOOST_TEST(m->check_integrity("VOkJxbRl1RmTxUk/WvJxBt"));
  BOOST_TEST(!m->check_integrity("wrong password"));
  BOOST_TEST(m->check_fingerprint());
}

BOOST_AUTO_TEST_CASE(tampering_is_detected) {
  auto bytes = rfc5769_request;
  bytes[30] ^= 0x01;  // inside SOFTWARE
  auto m = stun_message::parse(bytes.data(), bytes.size());
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(!m->check_integrity("VOkJxbRl1RmTxUk/WvJxBt"));
  BOOST_TEST(!m->check_fingerprint());
}

BOOST_AUTO_TEST_CASE(response_round_trip_v4_and_v6) {
  std::array<uint8_t, 12> tid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  stun_message res(stun_message::method_class::success, stun_message::binding, tid);
  res.add_xor_mapped_address(ipv4("192.0.2.1", 32853));
  auto bytes = res.serialize(std::string_view("pass"), true);
  auto back = stun_message::parse(bytes.data(), bytes.size());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((back->cls() == stun_message::method_class::success));
  BOOST_TEST(back->check_integrity("pass"));
  BOOST_TEST(back->check_fingerprint());
  auto addr = back->get_xor_mapped_address();
  BOOST_REQUIRE(addr.has_value());
  auto* sin = reinterpret_cast<sockaddr_in*>(&*addr);
  BOOST_TEST(ntohs(sin->sin_port) == 32853);
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
  BOOST_TEST(std::string(ip) == "192.0.2.1");

  sockaddr_storage ss{};
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6->sin6_addr);
  stun_message r6(stun_message::method_class::success, stun_message::binding, tid);
  r6.add_xor_mapped_address(ss);
  auto b6 = r6.serialize(std::nullopt, false);
  auto p6 = stun_message::parse(b6.data(), b6.size());
  BOOST_REQUIRE(p6.has_value());
  auto a6 = p6->get_xor_mapped_address();
  BOOST_REQUIRE(a6.has_value());
  BOOST_TEST(std::memcmp(&reinterpret_cast<sockaddr_in6*>(&*a6)->sin6_addr, &sin6->sin6_addr, 16)
             == 0);
  BOOST_TEST(!p6->check_integrity("x"));
  BOOST_TEST(!p6->check_fingerprint());
}

BOOST_AUTO_TEST_CASE(ice_request_and_error_response) {
  std::array<uint8_t, 12> tid{};
  stun_message req(stun_message::method_class::request, stun_message::binding, tid);
  req.add_username("abcd:efgh");
  req.add_priority(1234);
  req.add_flag(stun_message::use_candidate);
  req.add_tie_breaker(stun_message::ice_controlling, 42);
  auto bytes = req.serialize(std::string_view("pw"), true);
  auto m = stun_message::parse(bytes.data(), bytes.size());
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(m->has(stun_message::use_candidate));
  BOOST_TEST(*m->get_tie_breaker(stun_message::ice_controlling) == 42u);
  BOOST_TEST(m->check_integrity("pw"));
  stun_message err(stun_message::method_class::error, stun_message::binding, tid);
  err.add_error_code(487, "Role Conflict");
  auto eb = err.serialize(std::nullopt, true);
  auto e = stun_message::parse(eb.data(), eb.size());
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST((e->cls() == stun_message::method_class::error));
  BOOST_TEST(*e->get_error_code() == 487);
}

BOOST_AUTO_TEST_CASE(malformed_datagrams_are_refused) {
  BOOST_TEST(!stun_message::parse(nullptr, 0));
  auto b = rfc5769_request;
  b[0] = 0x80;  // RTP-like first byte
  BOOST_TEST(!stun_message::is_stun(b.data(), b.size()));
  b = rfc5769_request;
  b[4] = 0;  // no magic cookie
  BOOST_TEST(!stun_message::parse(b.data(), b.size()));
  b = rfc5769_request;
  b[3] = 0x5c;  // length beyond the datagram
  BOOST_TEST(!stun_message::parse(b.data(), b.size()));
  b = rfc5769_request;
  b[23] = 0xff;  // SOFTWARE length runs past the end
  BOOST_TEST(!stun_message::parse(b.data(), b.size()));
  std::vector<uint8_t> short_attr(rfc5769_request.begin(), rfc5769_request.begin() + 22);
  short_attr[3] = 2;
  BOOST_TEST(!stun_message::parse(short_attr.data(), short_attr.size()));
}

BOOST_AUTO_TEST_SUITE_END()
