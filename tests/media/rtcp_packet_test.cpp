#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "media/rtcp_packet.hpp"

using namespace lamplight::media;

BOOST_AUTO_TEST_SUITE(rtcp)

BOOST_AUTO_TEST_CASE(compound_sr_rr_round_trip) {
  sender_report sr;
  sr.ssrc = 1;
  sr.ntp_time = 0x0123456789abcdefull;
  sr.rtp_time = 90000;
  sr.packet_count = 10;
  sr.octet_count = 12000;
  report_block rb;
  rb.ssrc = 2;
  rb.fraction_lost = 25;
  rb.cumulative_lost = -3;
  rb.highest_seq = 70000;
  rb.jitter = 12;
  rb.last_sr = 0x456789ab;
  rb.delay_since_last_sr = 65536;
  sr.reports.push_back(rb);
  receiver_report rr;
  rr.ssrc = 3;
  rr.reports.push_back(rb);
  std::vector<uint8_t> bytes;
  write_rtcp(bytes, sr);
  write_rtcp(bytes, rr);
  auto msgs = parse_rtcp(bytes.data(), bytes.size());
  BOOST_REQUIRE(msgs.has_value());
  BOOST_REQUIRE(msgs->size() == 2u);
  auto& s = std::get<sender_report>((*msgs)[0]);
  BOOST_TEST(s.ntp_time == sr.ntp_time);
  BOOST_TEST(s.octet_count == 12000u);
  BOOST_REQUIRE(s.reports.size() == 1u);
  BOOST_TEST((s.reports[0] == rb));
  auto& r = std::get<receiver_report>((*msgs)[1]);
  BOOST_TEST(r.ssrc == 3u);
  BOOST_TEST(r.reports[0].cumulative_lost == -3);
}

BOOST_AUTO_TEST_CASE(nack_packs_and_expands_losses) {
  nack n{10, 20, {100, 101, 103, 116, 117, 300, 65535, 0}};
  std::vector<uint8_t> bytes;
  write_rtcp(bytes, n);
  auto msgs = parse_rtcp(bytes.data(), bytes.size());
  BOOST_REQUIRE(msgs.has_value());
  auto& back = std::get<nack>(msgs->front());
  BOOST_TEST(back.media_ssrc == 20u);
  std::vector<uint16_t> want = {100, 101, 103, 116, 117, 300, 65535, 0};
  auto got = back.lost;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  BOOST_TEST(got == want, boost::test_tools::per_element());
  // 100..116 fit one PID+BLP pair; 117, 300 and the wrap need more.
  BOOST_TEST(bytes.size() == 12u + 4u * 4u);
}

BOOST_AUTO_TEST_CASE(pli_fir_remb) {
  std::vector<uint8_t> bytes;
  write_rtcp(bytes, pli{1, 2});
  write_rtcp(bytes, fir{1, {{2, 7}, {3, 8}}});
  write_rtcp(bytes, remb{1, 4'000'000, {2, 3}});
  auto msgs = parse_rtcp(bytes.data(), bytes.size());
  BOOST_REQUIRE(msgs.has_value());
  BOOST_REQUIRE(msgs->size() == 3u);
  BOOST_TEST(std::get<pli>((*msgs)[0]).media_ssrc == 2u);
  auto& f = std::get<fir>((*msgs)[1]);
  BOOST_REQUIRE(f.entries.size() == 2u);
  BOOST_TEST(f.entries[1].seq == 8);
  auto& r = std::get<remb>((*msgs)[2]);
  // 18-bit mantissa: 4 Mbps is represented to within 2^exp.
  BOOST_TEST(r.bitrate_bps <= 4'000'000u);
  BOOST_TEST(r.bitrate_bps > 3'990'000u);
  BOOST_TEST(r.ssrcs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_packets_are_kept_as_such) {
  // SDES with one empty chunk.
  std::vector<uint8_t> sdes = {0x81, 202, 0, 1, 0, 0, 0, 9};
  auto msgs = parse_rtcp(sdes.data(), sdes.size());
  BOOST_REQUIRE(msgs.has_value());
  BOOST_TEST(std::get<other_rtcp>(msgs->front()).packet_type == 202);
}

BOOST_AUTO_TEST_CASE(malformed_compounds_are_refused) {
  std::vector<uint8_t> bytes;
  write_rtcp(bytes, receiver_report{5, {report_block{}}});
  auto truncated = bytes;
  truncated.pop_back();
  BOOST_TEST(!parse_rtcp(truncated.data(), truncated.size()));
  auto long_len = bytes;
  long_len[3] = 0x40;
  BOOST_TEST(!parse_rtcp(long_len.data(), long_len.size()));
  auto too_many_blocks = bytes;
  too_many_blocks[0] = 0x82;  // claims 2 blocks, has 1
  BOOST_TEST(!parse_rtcp(too_many_blocks.data(), too_many_blocks.size()));
  auto v1 = bytes;
  v1[0] = 0x41;
  BOOST_TEST(!parse_rtcp(v1.data(), v1.size()));
  BOOST_TEST(!parse_rtcp(bytes.data(), 0));
  std::vector<uint8_t> short_nack = {0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  auto ok = parse_rtcp(short_nack.data(), short_nack.size());
  BOOST_REQUIRE(ok.has_value());  // a NACK with no FCI is empty, not wrong
  BOOST_TEST(std::get<nack>(ok->front()).lost.empty());
}

BOOST_AUTO_TEST_SUITE_END()
