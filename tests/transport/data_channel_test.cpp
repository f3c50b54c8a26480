// Data channels between two endpoints wired back to back in memory: real
// usrsctp associations (no DTLS: the packets are handed across as DTLS
// would deliver them), DCEP, and usrsctp's clock driven by the test.
#include <boost/test/unit_test.hpp>

#include <numeric>

#include "transport/data_channel.hpp"

using namespace lamplight::transport;

namespace lamplight::transport {
// Boost.Test prints values of failed checks.
std::ostream& operator<<(std::ostream& o, sctp_association::send_result x) { return o << to_string(x); }
std::ostream& operator<<(std::ostream& o, sctp_state x) { return o << to_string(x); }
std::ostream& operator<<(std::ostream& o, dcep_channel_type x) { return o << to_string(x); }
} // namespace lamplight::transport

namespace {

/// Hands packets across until both sides are quiet; each quiet round
/// advances usrsctp's clock by 50 ms (delayed SACKs, retransmissions).
/// `drop` loses the n-th packet from a to b.
void pump(data_channel_endpoint& a, data_channel_endpoint& b, int rounds = 200,
          int drop_a_to_b = -1) {
  int n = 0;
  for (int i = 0; i < rounds; ++i) {
    auto from_a = a.take_outgoing();
    auto from_b = b.take_outgoing();
    if (from_a.empty() && from_b.empty()) {
      sctp_association::advance_timers(50);
      if (a.take_outgoing().empty() && b.take_outgoing().empty() && i > 20)
        return;
      continue;
    }
    for (auto& p : from_a)
      if (n++ != drop_a_to_b)
        b.on_dtls_data(p.data(), p.size());
    for (auto& p : from_b)
      a.on_dtls_data(p.data(), p.size());
  }
}

struct pair_fixture {
  data_channel_endpoint client{true, 64 * 1024};
  data_channel_endpoint server{false, 64 * 1024};
  pair_fixture() {
    client.start();
    server.start();
    pump(client, server);
    BOOST_REQUIRE(client.state() == sctp_state::open);
    BOOST_REQUIRE(server.state() == sctp_state::open);
  }
};

std::string text_of(const data_channel_message& m) {
  return std::string(m.data.begin(), m.data.end());
}

} // namespace

BOOST_AUTO_TEST_SUITE(dcep_wire)

BOOST_AUTO_TEST_CASE(open_round_trips_and_rfc_8832_bytes) {
  dcep_open o{dcep_channel_type::partial_reliable_rexmit_unordered, 512, 3, "chat", "json"};
  auto b = write_dcep(o);
  // Section 5.1: type 0x03, channel type, priority, reliability, lengths.
  std::vector<uint8_t> head = {0x03, 0x81, 0x02, 0x00, 0, 0, 0, 3, 0, 4, 0, 4};
  BOOST_TEST(std::vector<uint8_t>(b.begin(), b.begin() + 12) == head);
  auto p = parse_dcep(b.data(), b.size());
  BOOST_REQUIRE(p.has_value());
  auto& back = std::get<dcep_open>(*p);
  BOOST_TEST(back.label == "chat");
  BOOST_TEST(back.protocol == "json");
  BOOST_TEST(!back.ordered());
  BOOST_TEST(back.reliability == 3u);
  auto ack = write_dcep(dcep_ack{});
  BOOST_TEST(std::holds_alternative<dcep_ack>(*parse_dcep(ack.data(), ack.size())));
}

BOOST_AUTO_TEST_CASE(malformed_dcep_is_refused) {
  std::vector<uint8_t> b = write_dcep(dcep_open{dcep_channel_type::reliable, 0, 0, "x", ""});
  BOOST_TEST(!parse_dcep(b.data(), b.size() - 1));  // label cut short
  b[1] = 0x05;                                      // unknown channel type
  BOOST_TEST(!parse_dcep(b.data(), b.size()));
  std::vector<uint8_t> ack_with_tail = {0x02, 0x00};
  BOOST_TEST(!parse_dcep(ack_with_tail.data(), ack_with_tail.size()));
  std::vector<uint8_t> unknown = {0x07};
  BOOST_TEST(!parse_dcep(unknown.data(), unknown.size()));
  BOOST_TEST(!parse_dcep(nullptr, 0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(data_channels, pair_fixture)

BOOST_AUTO_TEST_CASE(a_channel_opens_with_dcep_and_carries_text_both_ways) {
  auto s = client.open("classroom");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(*s % 2 == 0);  // the DTLS client opens even streams
  pump(client, server);
  BOOST_REQUIRE(server.channel(*s) != nullptr);
  BOOST_TEST(server.channel(*s)->label == "classroom");
  BOOST_TEST(client.channel(*s)->open);  // acknowledged
  BOOST_TEST(client.send_text(*s, "hello from the lamp") == sctp_association::send_result::ok);
  pump(client, server);
  auto got = server.take_messages();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(text_of(got[0]) == "hello from the lamp");
  BOOST_TEST(!got[0].binary);
  BOOST_TEST(got[0].label == "classroom");
  BOOST_TEST(server.send_text(*s, "") == sctp_association::send_result::ok);  // empty: PPID 56
  pump(client, server);
  auto back = client.take_messages();
  BOOST_REQUIRE(back.size() == 1u);
  BOOST_TEST(back[0].data.empty());
  BOOST_TEST(!back[0].binary);
}

BOOST_AUTO_TEST_CASE(binary_messages_larger_than_a_chunk_arrive_whole_even_after_a_loss) {
  auto s = server.open("photos", dcep_channel_type::reliable);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(*s % 2 == 1);  // the DTLS server opens odd streams
  pump(client, server);
  std::vector<uint8_t> photo(40000);
  std::iota(photo.begin(), photo.end(), uint8_t{7});
  BOOST_TEST(client.send(*s, true, photo.data(), photo.size()) == sctp_association::send_result::ok);
  pump(client, server, 400, 3);  // the fourth packet on the way is lost
  auto got = server.take_messages();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].binary);
  BOOST_TEST((got[0].data == photo));
}

BOOST_AUTO_TEST_CASE(unordered_partially_reliable_channels_deliver) {
  auto s = client.open("cursor", dcep_channel_type::partial_reliable_rexmit_unordered, 0);
  BOOST_REQUIRE(s.has_value());
  pump(client, server);
  BOOST_TEST(server.channel(*s)->type == dcep_channel_type::partial_reliable_rexmit_unordered);
  for (int i = 0; i < 5; ++i)
    client.send_text(*s, "x" + std::to_string(i));
  pump(client, server);
  BOOST_TEST(server.take_messages().size() == 5u);
}

BOOST_AUTO_TEST_CASE(oversized_messages_are_refused_on_send_and_dropped_on_receive) {
  auto s = client.open("big");
  pump(client, server);
  std::vector<uint8_t> huge(64 * 1024 + 1, 1);
  BOOST_TEST(client.send(*s, true, huge.data(), huge.size())
             == sctp_association::send_result::too_large);
  // A peer with a larger limit sends what this one will not keep.
  data_channel_endpoint generous(true, 1024 * 1024), strict(false, 1000);
  generous.start();
  strict.start();
  pump(generous, strict);
  auto t = generous.open("big");
  pump(generous, strict);
  std::vector<uint8_t> five_k(5000, 2);
  BOOST_TEST(generous.send(*t, true, five_k.data(), five_k.size())
             == sctp_association::send_result::ok);
  generous.send_text(*t, "small");
  pump(generous, strict);
  auto got = strict.take_messages();
  BOOST_REQUIRE(got.size() == 1u);  // only the small one
  BOOST_TEST(text_of(got[0]) == "small");
  BOOST_TEST(strict.oversized_dropped() == 1u);
}

BOOST_AUTO_TEST_CASE(garbage_and_data_on_unopened_streams_are_counted_not_fatal) {
  std::vector<uint8_t> garbage(100, 0xAB);
  server.on_dtls_data(garbage.data(), garbage.size());
  server.on_dtls_data(garbage.data(), 3);
  BOOST_TEST(server.state() == sctp_state::open);
  auto s = client.open("chat");
  pump(client, server);
  BOOST_TEST(client.send_text(*s, "still fine") == sctp_association::send_result::ok);
  pump(client, server);
  BOOST_TEST(server.take_messages().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
