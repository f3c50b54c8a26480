#include <boost/test/unit_test.hpp>

#include "media/receive_stats.hpp"

using namespace lamplight::media;

BOOST_AUTO_TEST_SUITE(receive_stats_suite)

BOOST_AUTO_TEST_CASE(counts_loss_per_interval_and_in_total_across_the_wrap) {
  receive_stats rx(90000);
  // 65530 .. 65535, 0 .. 3 with 65533 and 1 missing: 10 expected, 8 received.
  int64_t t = 0;
  for (uint16_t seq : {65530, 65531, 65532, 65534, 65535, 0, 2, 3}) {
    rx.on_packet(seq, static_cast<uint32_t>(t * 90), t);
    t += 33;
  }
  auto b = rx.report(0xAB, t);
  BOOST_TEST(b.ssrc == 0xABu);
  BOOST_TEST(b.highest_seq == 65536u + 3u);  // one wrap
  BOOST_TEST(b.cumulative_lost == 2);
  BOOST_TEST(b.fraction_lost == (2 * 256) / 10);
  // Next interval: nothing lost.
  for (uint16_t seq = 4; seq < 14; ++seq) {
    rx.on_packet(seq, static_cast<uint32_t>(t * 90), t);
    t += 33;
  }
  b = rx.report(0xAB, t);
  BOOST_TEST(b.fraction_lost == 0);
  BOOST_TEST(b.cumulative_lost == 2);
  BOOST_TEST(b.last_sr == 0u);  // no SR yet
}

BOOST_AUTO_TEST_CASE(jitter_is_zero_for_perfect_pacing_and_grows_with_variation) {
  receive_stats steady(90000), shaky(90000);
  for (int i = 0; i < 100; ++i) {
    steady.on_packet(static_cast<uint16_t>(i), static_cast<uint32_t>(i * 3000), i * 33 + i / 3);
    // Arrivals 0 or 20 ms late, alternately.
    shaky.on_packet(static_cast<uint16_t>(i), static_cast<uint32_t>(i * 3000),
                    i * 33 + i / 3 + (i % 2) * 20);
  }
  BOOST_TEST(steady.report(1, 5000).jitter < 100u);
  // |D| = 20 ms = 1800 units each time: J converges towards 1800.
  BOOST_TEST(shaky.report(1, 5000).jitter > 1500u);
}

BOOST_AUTO_TEST_CASE(lsr_and_dlsr_come_from_the_last_sender_report) {
  receive_stats rx(48000);
  rx.on_packet(1, 0, 0);
  rx.on_sender_report(0x0001'2345'6789'0000ull, 1000);
  auto b = rx.report(7, 1500);
  BOOST_TEST(b.last_sr == 0x23456789u);
  BOOST_TEST(b.delay_since_last_sr == 32768u);  // 0.5 s in 1/65536 s
}

BOOST_AUTO_TEST_SUITE_END()
