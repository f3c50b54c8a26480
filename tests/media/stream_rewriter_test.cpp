#include <boost/test/unit_test.hpp>

#include "media/stream_rewriter.hpp"
#include "tests/media/rtp_builder.hpp"

using namespace lamplight::media;
using lamplight::media::test::build_rtp;
using lamplight::media::test::rtp_spec;

namespace {

struct sent_packet {
  bool sent;
  uint16_t seq;
  uint32_t ts;
  uint16_t picture_id;
  uint8_t tl0;
};

/// Runs one VP8 packet of `source` through the rewriter as the forwarder
/// does (switching first if asked) and reads back what would go out.
sent_packet pass(stream_rewriter& rw, int source, rtp_spec s, int64_t now, bool switch_here = false) {
  s.vp8 = true;
  auto bytes = build_rtp(s);
  auto p = rtp_packet::parse(bytes.data(), bytes.size());
  auto d = parse_vp8_descriptor(p->payload(), p->payload_size());
  if (switch_here)
    rw.switch_to(source, *p, &*d, now);
  bool ok = rw.rewrite(source, *p, &*d, now);
  auto out = parse_vp8_descriptor(p->payload(), p->payload_size());
  return {ok, p->sequence(), p->timestamp(), out->picture_id, out->tl0picidx};
}

} // namespace

BOOST_AUTO_TEST_SUITE(stream_rewriter_tests)

BOOST_AUTO_TEST_CASE(first_source_keeps_its_timeline_in_the_subscribers_sequence_space) {
  stream_rewriter rw(90000, 65534);
  BOOST_TEST(rw.source() == -1);
  auto a = pass(rw, 0, {1000, 5000, 1, 96, false, true, true, true, 300, 9}, 0, true);
  auto b = pass(rw, 0, {1001, 5000, 1, 96, true, true, false, false, 300, 9}, 0);
  auto c = pass(rw, 0, {1002, 8000, 1, 96, true, true, true, false, 301, 9}, 33);
  BOOST_TEST(a.sent);
  BOOST_TEST(a.seq == 65534);
  BOOST_TEST(b.seq == 65535);
  BOOST_TEST(c.seq == 0);  // wraps
  BOOST_TEST(a.ts == 5000u);
  BOOST_TEST(c.ts == 8000u);
  BOOST_TEST(a.picture_id == 300);
  BOOST_TEST(c.picture_id == 301);
  BOOST_TEST(c.tl0 == 9);
}

BOOST_AUTO_TEST_CASE(a_switch_continues_sequence_timestamp_and_picture_ids) {
  stream_rewriter rw(90000, 100);
  pass(rw, 0, {10, 1000, 1, 96, true, true, true, true, 50, 3}, 0, true);
  auto last = pass(rw, 0, {11, 4000, 1, 96, true, true, true, false, 51, 4}, 33);
  // Layer 1 has its own numbering; the switch at its key frame, 100 ms on.
  auto first = pass(rw, 1, {7000, 777777, 2, 96, false, true, true, true, 9000, 200}, 133, true);
  BOOST_TEST(first.sent);
  BOOST_TEST(rw.source() == 1);
  BOOST_TEST(first.seq == static_cast<uint16_t>(last.seq + 1));
  BOOST_TEST(first.ts == last.ts + 9000u);  // 100 ms at 90 kHz
  BOOST_TEST(first.picture_id == 52);
  BOOST_TEST(first.tl0 == 5);
  auto next = pass(rw, 1, {7001, 780777, 2, 96, true, true, true, false, 9001, 200}, 166);
  BOOST_TEST(next.seq == static_cast<uint16_t>(last.seq + 2));
  BOOST_TEST(next.ts == first.ts + 3000u);
  BOOST_TEST(next.picture_id == 53);
  BOOST_TEST(rw.timestamp_offset() == first.ts - 777777u);
  // The old layer is no longer sent, nor the new one's older packets.
  BOOST_TEST(!pass(rw, 0, {12, 7000, 1, 96, true, true, true, false, 52, 4}, 170).sent);
  BOOST_TEST(!pass(rw, 1, {6999, 774777, 2, 96, true, true, true, false, 8999, 200}, 170).sent);
}

BOOST_AUTO_TEST_CASE(picture_ids_wrap_at_15_bits_across_a_switch) {
  stream_rewriter rw(90000, 0);
  pass(rw, 0, {1, 0, 1, 96, true, true, true, true, 0x7FFF, 0}, 0, true);
  auto p = pass(rw, 1, {500, 0, 2, 96, true, true, true, true, 12, 0}, 10, true);
  BOOST_TEST(p.picture_id == 0);
}

BOOST_AUTO_TEST_CASE(nacked_packets_are_rewritten_as_first_sent_even_after_a_switch) {
  stream_rewriter rw(90000, 4000);
  rtp_spec a{20, 900, 1, 96, true, true, true, true, 70, 1};
  pass(rw, 0, a, 0, true);
  pass(rw, 0, {21, 900, 1, 96, true, true, false, false, 70, 1}, 0);
  // 22 is lost on the way in: its outgoing number is still known.
  pass(rw, 0, {23, 3900, 1, 96, true, true, true, false, 71, 2}, 33);
  pass(rw, 1, {800, 50, 2, 96, true, true, true, true, 5, 9}, 66, true);
  auto o = rw.origin(4000);
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST(o->source == 0);
  BOOST_TEST(o->seq == 20);
  auto again = build_rtp([&] { auto s = a; s.vp8 = true; return s; }());
  auto p = rtp_packet::parse(again.data(), again.size());
  auto d = parse_vp8_descriptor(p->payload(), p->payload_size());
  BOOST_TEST(rw.rewrite_again(*p, 4000, &*d));
  BOOST_TEST(p->sequence() == 4000);
  BOOST_TEST(p->timestamp() == 900u);
  // The gap before the switch is not recorded and not in the current
  // source: unknown. The current source's next packets are not sent yet.
  BOOST_TEST(!rw.origin(4002).has_value());
  BOOST_TEST(!rw.origin(4005).has_value());
  BOOST_TEST(rw.origin(4004)->source == 1);
}

BOOST_AUTO_TEST_CASE(a_gap_in_the_current_source_maps_back_to_its_sequence_number) {
  stream_rewriter rw(48000, 10);
  auto audio = [&](uint16_t seq, int64_t now) {
    auto b = build_rtp({seq, static_cast<uint32_t>(seq) * 960, 9});
    auto p = rtp_packet::parse(b.data(), b.size());
    if (rw.source() < 0)
      rw.switch_to(0, *p, nullptr, now);
    return rw.rewrite(0, *p, nullptr, now) ? p->sequence() : -1;
  };
  BOOST_TEST(audio(300, 0) == 10);
  BOOST_TEST(audio(302, 40) == 12);  // 301 lost upstream
  auto o = rw.origin(11);
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST(o->seq == 301);
  BOOST_TEST(audio(301, 45) == 11);  // its retransmission takes its place
}

BOOST_AUTO_TEST_SUITE_END()
