#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "media/vp8_frame_assembler.hpp"
#include "media/vp8_packetizer.hpp"

using namespace lamplight::media;

namespace {

/// A stream of synthetic VP8 frames as RTP packets: frame f has `per_frame`
/// packets, its first data byte says key (P=0) or delta.
struct stream {
  uint16_t seq = 65530;  // wraps during the tests
  uint32_t ts = 1000;
  uint16_t picture_id = 0;
  std::vector<std::vector<uint8_t>> packets;

  void frame(bool key, std::size_t per_frame, uint8_t fill) {
    std::vector<uint8_t> data(per_frame * 100, fill);
    data[0] = key ? 0x10 : 0x11;
    auto parts = packetize_vp8(data.data(), data.size(), picture_id++,
                               100 + vp8_descriptor_bytes);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::array<uint8_t, 12> h = {0x80, static_cast<uint8_t>((i + 1 == parts.size() ? 0x80 : 0) | 96),
                                static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                                static_cast<uint8_t>(ts >> 24), static_cast<uint8_t>(ts >> 16),
                                static_cast<uint8_t>(ts >> 8), static_cast<uint8_t>(ts),
                                0, 0, 0, 1};
      std::vector<uint8_t> p(h.size() + parts[i].size());
      std::copy(h.begin(), h.end(), p.begin());
      std::copy(parts[i].begin(), parts[i].end(), p.begin() + h.size());
      packets.push_back(std::move(p));
      ++seq;
    }
    ts += 3000;
  }
};

void push(vp8_frame_assembler& a, std::vector<uint8_t> p, int64_t now) {
  auto view = rtp_packet::parse(p.data(), p.size());
  BOOST_REQUIRE(view.has_value());
  a.push(*view, now);
}

std::vector<vp8_frame> drain(vp8_frame_assembler& a, int64_t now) {
  std::vector<vp8_frame> out;
  while (auto f = a.pop(now))
    out.push_back(std::move(*f));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(vp8_frame_assembler_suite)

BOOST_AUTO_TEST_CASE(in_order_frames_come_out_whole_across_sequence_wrap) {
  stream s;
  s.frame(true, 3, 1);
  s.frame(false, 2, 2);
  s.frame(false, 4, 3);
  vp8_frame_assembler a;
  std::vector<vp8_frame> got;
  for (auto& p : s.packets) {
    push(a, p, 0);
    for (auto& f : drain(a, 0))
      got.push_back(std::move(f));
  }
  BOOST_REQUIRE(got.size() == 3u);
  BOOST_TEST(got[0].keyframe);
  BOOST_TEST(!got[1].keyframe);
  BOOST_TEST(got[0].data.size() == 300u);
  BOOST_TEST(got[2].data.size() == 400u);
  BOOST_TEST(got[1].picture_id == 1);
  BOOST_TEST(got[2].timestamp == 1000u + 6000u);
  BOOST_TEST(a.nack_list(0).empty());
}

BOOST_AUTO_TEST_CASE(delta_frames_before_the_first_key_frame_are_not_given_out) {
  stream s;
  s.frame(false, 2, 1);
  s.frame(true, 2, 2);
  vp8_frame_assembler a;
  for (auto& p : s.packets)
    push(a, p, 0);
  auto got = drain(a, 0);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].keyframe);
}

BOOST_AUTO_TEST_CASE(a_missing_packet_is_nacked_and_its_retransmission_completes_the_frames) {
  stream s;
  s.frame(true, 2, 1);
  s.frame(false, 3, 2);
  s.frame(false, 1, 3);
  vp8_frame_assembler a;
  auto lost = s.packets[3];  // the middle of the second frame
  for (std::size_t i = 0; i < s.packets.size(); ++i)
    if (i != 3)
      push(a, s.packets[i], 10);
  BOOST_TEST(drain(a, 10).size() == 1u);  // the key frame; the rest waits
  auto nacks = a.nack_list(10);
  BOOST_REQUIRE(nacks.size() == 1u);
  BOOST_TEST(nacks[0] == static_cast<uint16_t>(65530 + 3));
  // Not asked again before the interval, then again after it.
  BOOST_TEST(a.nack_list(20).empty());
  BOOST_TEST(a.nack_list(60).size() == 1u);
  push(a, lost, 70);
  auto got = drain(a, 70);
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].data.size() == 300u);
  BOOST_TEST(a.nack_list(200).empty());
  BOOST_TEST(!a.take_keyframe_request());
  BOOST_TEST(a.stats().frames_abandoned == 0u);
}

BOOST_AUTO_TEST_CASE(a_loss_past_patience_skips_to_the_next_key_frame_and_asks_for_one) {
  stream s;
  s.frame(true, 2, 1);
  s.frame(false, 2, 2);  // loses a packet for good
  s.frame(false, 2, 3);  // predicted from it: useless
  s.frame(true, 2, 4);
  vp8_frame_assembler::options o;
  o.patience_ms = 500;
  vp8_frame_assembler a(o);
  for (std::size_t i = 0; i < s.packets.size(); ++i)
    if (i != 2)
      push(a, s.packets[i], 0);
  BOOST_TEST(drain(a, 0).size() == 1u);
  BOOST_TEST(drain(a, 500).empty());  // still within patience
  auto got = drain(a, 501);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].keyframe);
  BOOST_TEST(got[0].picture_id == 3);
  BOOST_TEST(a.take_keyframe_request());
  BOOST_TEST(!a.take_keyframe_request());  // once
  BOOST_TEST(a.stats().frames_abandoned == 1u);
  // The late packet is now history.
  push(a, s.packets[2], 600);
  BOOST_TEST(a.stats().duplicates == 1u);
}

BOOST_AUTO_TEST_CASE(reordered_and_duplicated_packets_are_handled) {
  stream s;
  s.frame(true, 3, 1);
  s.frame(false, 3, 2);
  vp8_frame_assembler a;
  std::vector<std::size_t> order = {0, 2, 1, 1, 5, 4, 3};
  std::vector<vp8_frame> got;
  for (auto i : order) {
    push(a, s.packets[i], 0);
    for (auto& f : drain(a, 0))
      got.push_back(std::move(f));
  }
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(a.stats().duplicates == 1u);
}

BOOST_AUTO_TEST_CASE(garbage_payloads_are_counted_not_held) {
  std::vector<uint8_t> p = {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x80};  // X=1, cut short
  vp8_frame_assembler a;
  push(a, p, 0);
  BOOST_TEST(a.stats().malformed == 1u);
  BOOST_TEST(drain(a, 10000).empty());
}

BOOST_AUTO_TEST_SUITE_END()
