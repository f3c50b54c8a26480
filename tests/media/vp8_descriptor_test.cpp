#include <boost/test/unit_test.hpp>

#include <vector>

#include "media/vp8_descriptor.hpp"

using namespace lamplight::media;

BOOST_AUTO_TEST_SUITE(vp8)

BOOST_AUTO_TEST_CASE(keyframe_with_15bit_picture_id_tl0_and_tid) {
  // X=1 S=1 PID=0; I L T; picture id 0x1234 (M=1); TL0PICIDX 7; TID 2 Y=1;
  // then a VP8 payload header with P=0 (key frame).
  std::vector<uint8_t> b = {0x90, 0xE0, 0x92, 0x34, 0x07, 0xA0, 0x10, 0x02, 0x9d};
  auto d = parse_vp8_descriptor(b.data(), b.size());
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->start_of_partition);
  BOOST_TEST(d->picture_id_15bit);
  BOOST_TEST(d->picture_id == 0x1234);
  BOOST_TEST(d->tl0picidx == 7);
  BOOST_TEST(d->tid == 2);
  BOOST_TEST(d->layer_sync);
  BOOST_TEST(d->size == 6u);
  BOOST_TEST(d->keyframe);
  BOOST_TEST(rewrite_vp8_picture_id(b.data(), b.size(), 0x0042));
  BOOST_TEST(rewrite_vp8_tl0picidx(b.data(), b.size(), 200));
  auto r = parse_vp8_descriptor(b.data(), b.size());
  BOOST_TEST(r->picture_id == 0x0042);
  BOOST_TEST(r->tl0picidx == 200);
  BOOST_TEST(r->tid == 2);
}

BOOST_AUTO_TEST_CASE(delta_frames_and_continuations_are_not_keyframes) {
  std::vector<uint8_t> delta = {0x90, 0x80, 0x05, 0x01};  // P=1
  BOOST_TEST(!parse_vp8_descriptor(delta.data(), delta.size())->keyframe);
  std::vector<uint8_t> cont = {0x80, 0x80, 0x05, 0x00};  // S=0
  BOOST_TEST(!parse_vp8_descriptor(cont.data(), cont.size())->keyframe);
  std::vector<uint8_t> plain = {0x10, 0x00};  // no X, S=1, key frame
  auto d = parse_vp8_descriptor(plain.data(), plain.size());
  BOOST_TEST(d->keyframe);
  BOOST_TEST(!d->has_picture_id);
  BOOST_TEST(!rewrite_vp8_picture_id(plain.data(), plain.size(), 1));
  std::vector<uint8_t> seven = {0x90, 0x80, 0x7F, 0x00};
  BOOST_TEST(rewrite_vp8_picture_id(seven.data(), seven.size(), 300));
  BOOST_TEST(parse_vp8_descriptor(seven.data(), seven.size())->picture_id == 300 % 128);
}

BOOST_AUTO_TEST_CASE(truncated_descriptors_are_refused) {
  for (std::vector<uint8_t> b : std::vector<std::vector<uint8_t>>{
         {}, {0x80}, {0x80, 0x80}, {0x80, 0x80, 0x80}, {0x80, 0x40}, {0x80, 0x20}}) {
    BOOST_TEST(!parse_vp8_descriptor(b.data(), b.size()).has_value());
  }
}

BOOST_AUTO_TEST_SUITE_END()
