#include <boost/test/unit_test.hpp>

#include <numeric>
#include <vector>

#include "media/vp8_descriptor.hpp"
#include "media/vp8_packetizer.hpp"

using namespace lamplight::media;

BOOST_AUTO_TEST_SUITE(vp8_packetizer)

BOOST_AUTO_TEST_CASE(splits_into_equal_payloads_with_descriptors_and_reassembles) {
  std::vector<uint8_t> frame(2500);
  std::iota(frame.begin(), frame.end(), uint8_t{0});
  frame[0] = 0x10;  // VP8 payload header, P=0: a key frame
  auto parts = packetize_vp8(frame.data(), frame.size(), 0x1234, 1000);
  BOOST_REQUIRE(parts.size() == 3u);
  std::vector<uint8_t> joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    BOOST_TEST(parts[i].size() <= 1000u);
    auto d = parse_vp8_descriptor(parts[i].data(), parts[i].size());
    BOOST_REQUIRE(d.has_value());
    BOOST_TEST(d->start_of_partition == (i == 0));
    BOOST_TEST(d->partition_id == 0);
    BOOST_TEST(d->picture_id_15bit);
    BOOST_TEST(d->picture_id == 0x1234);
    BOOST_TEST(d->keyframe == (i == 0));
    BOOST_TEST(d->size == vp8_descriptor_bytes);
    joined.insert(joined.end(), parts[i].begin() + static_cast<long>(d->size), parts[i].end());
  }
  BOOST_TEST(joined == frame);
  // Equal sizes, not two full packets and a runt.
  BOOST_TEST(parts[0].size() - parts[2].size() <= 1u);
}

BOOST_AUTO_TEST_CASE(small_frame_is_one_packet_and_degenerate_input_none) {
  std::vector<uint8_t> frame = {0x11, 1, 2};
  auto parts = packetize_vp8(frame.data(), frame.size(), 0x7FFF, 1200);
  BOOST_REQUIRE(parts.size() == 1u);
  auto d = parse_vp8_descriptor(parts[0].data(), parts[0].size());
  BOOST_TEST(!d->keyframe);
  BOOST_TEST(d->picture_id == 0x7FFF);
  BOOST_TEST(packetize_vp8(frame.data(), 0, 1, 1200).empty());
  BOOST_TEST(packetize_vp8(frame.data(), frame.size(), 1, vp8_descriptor_bytes).empty());
}

BOOST_AUTO_TEST_SUITE_END()
