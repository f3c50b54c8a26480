#include <boost/test/unit_test.hpp>

#include <vector>

#include "media/rtp_packet.hpp"

using namespace lamplight::media;

namespace {

/// V=2, X=1, CC=1, M=1, PT=96, seq 0x1234, ts 0xdeadbeef, ssrc 0x11223344,
/// one CSRC, a one-byte-profile extension (id 4 = "0", id 10 = "hi") and a
/// 3-byte payload.
std::vector<uint8_t> sample() {
  return {0x91, 0xE0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44,
          0xaa, 0xbb, 0xcc, 0xdd,                          // CSRC
          0xBE, 0xDE, 0x00, 0x02,                          // extension, 2 words
          0x40, '0', 0xA1, 'h', 'i', 0x00, 0x00, 0x00,     // id4 len1, id10 len2, pad
          1, 2, 3};
}

} // namespace

BOOST_AUTO_TEST_SUITE(rtp)

BOOST_AUTO_TEST_CASE(parses_header_csrc_extension_payload) {
  auto b = sample();
  auto p = rtp_packet::parse(b.data(), b.size());
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->payload_type() == 96);
  BOOST_TEST(p->marker());
  BOOST_TEST(p->sequence() == 0x1234);
  BOOST_TEST(p->timestamp() == 0xdeadbeefu);
  BOOST_TEST(p->ssrc() == 0x11223344u);
  BOOST_TEST(p->csrc_count() == 1);
  BOOST_TEST(p->header_size() == 28u);
  BOOST_TEST(p->payload_size() == 3u);
  BOOST_TEST(p->payload()[2] == 3);
  auto mid = p->extension(4);
  BOOST_REQUIRE(mid.has_value());
  BOOST_TEST(std::string(reinterpret_cast<const char*>(mid->first), mid->second) == "0");
  auto rid = p->extension(10);
  BOOST_REQUIRE(rid.has_value());
  BOOST_TEST(std::string(reinterpret_cast<const char*>(rid->first), rid->second) == "hi");
  BOOST_TEST(!p->extension(3).has_value());
}

BOOST_AUTO_TEST_CASE(rewrites_in_place) {
  auto b = sample();
  auto p = rtp_packet::parse(b.data(), b.size());
  p->set_sequence(7);
  p->set_timestamp(90000);
  p->set_ssrc(0xcafebabe);
  p->set_payload_type(100);
  p->set_marker(false);
  auto q = rtp_packet::parse(b.data(), b.size());
  BOOST_TEST(q->sequence() == 7);
  BOOST_TEST(q->timestamp() == 90000u);
  BOOST_TEST(q->ssrc() == 0xcafebabeu);
  BOOST_TEST(q->payload_type() == 100);
  BOOST_TEST(!q->marker());
  BOOST_TEST(q->payload()[0] == 1);  // payload untouched
}

BOOST_AUTO_TEST_CASE(two_byte_extensions_and_padding) {
  std::vector<uint8_t> b = {0xB0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2,
                            0x10, 0x00, 0x00, 0x01,  // two-byte profile, 1 word
                            0x05, 0x02, 'a', 'b',    // id 5, len 2
                            9, 9, 0x00, 0x02};       // payload 9 9, 2 bytes padding
  auto p = rtp_packet::parse(b.data(), b.size());
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->padding_size() == 2u);
  BOOST_TEST(p->payload_size() == 2u);
  auto e = p->extension(5);
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->second == 2u);
}

BOOST_AUTO_TEST_CASE(malformed_packets_are_refused) {
  auto b = sample();
  BOOST_TEST(!rtp_packet::parse(b.data(), 11));
  auto v1 = b;
  v1[0] = 0x51;  // version 1
  BOOST_TEST(!rtp_packet::parse(v1.data(), v1.size()));
  auto many_csrc = b;
  many_csrc[0] = 0x9F;  // 15 CSRCs do not fit
  BOOST_TEST(!rtp_packet::parse(many_csrc.data(), many_csrc.size()));
  auto long_ext = b;
  long_ext[19] = 0x40;  // 64 words of extension
  BOOST_TEST(!rtp_packet::parse(long_ext.data(), long_ext.size()));
  auto bad_pad = b;
  bad_pad[0] |= 0x20;
  bad_pad.back() = 200;  // more padding than payload
  BOOST_TEST(!rtp_packet::parse(bad_pad.data(), bad_pad.size()));
}

BOOST_AUTO_TEST_CASE(demux_and_sequence_arithmetic) {
  std::vector<uint8_t> rr = {0x80, 201, 0, 1, 1, 2, 3, 4};
  BOOST_TEST(looks_like_rtcp(rr.data(), rr.size()));
  auto b = sample();
  BOOST_TEST(!looks_like_rtcp(b.data(), b.size()));
  BOOST_TEST(seq_diff(2, 65534) == 4);
  BOOST_TEST(seq_diff(65534, 2) == -4);
}

BOOST_AUTO_TEST_SUITE_END()
