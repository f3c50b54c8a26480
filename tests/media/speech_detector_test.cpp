// Speaking judged from RFC 6464 levels, with the test's clock.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "media/speech_detector.hpp"

using lamplight::media::speech_detector;

namespace {

/// Feeds 20 ms packets (Opus) of `level` for `ms`, ticking as a worker
/// does; returns every change seen, in order.
struct talker {
  speech_detector d;
  int64_t now = 10'000;
  std::vector<bool> changes;
  void packets(uint8_t level, int ms) {
    for (int t = 0; t < ms; t += 20) {
      d.on_level(level, now);
      now += 20;
      tick();
    }
  }
  void quiet(int ms) {
    for (int t = 0; t < ms; t += 20) {
      now += 20;
      tick();
    }
  }
  void tick() {
    if (auto c = d.tick(now))
      changes.push_back(*c);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(speech_detector_tests)

BOOST_AUTO_TEST_CASE(speaking_starts_within_an_interval_and_ends_after_the_hold) {
  talker t;
  t.packets(110, 1000);  // a quiet room
  BOOST_TEST(t.changes.empty());
  t.packets(30, 200);
  t.quiet(100);
  BOOST_TEST(t.changes == std::vector<bool>{true}, boost::test_tools::per_element());
  BOOST_TEST(t.d.level() == 30);
  // A pause between words (half a second) does not end it...
  t.packets(110, 500);
  t.packets(35, 300);
  BOOST_TEST(t.changes.size() == 1u);
  // ...a second of quiet does.
  t.packets(110, 1100);
  BOOST_TEST(t.changes == (std::vector<bool>{true, false}), boost::test_tools::per_element());
  BOOST_TEST(!t.d.speaking());
}

BOOST_AUTO_TEST_CASE(clicks_are_not_speech) {
  talker t;
  // One loud packet in every ten: under the voiced share of an interval.
  for (int i = 0; i < 50; ++i) {
    t.packets(20, 20);
    t.packets(115, 180);
  }
  BOOST_TEST(t.changes.empty());
}

BOOST_AUTO_TEST_CASE(a_speaker_who_stops_sending_stops_speaking_on_ticks_alone) {
  talker t;
  t.packets(40, 500);
  BOOST_TEST(t.d.speaking());
  t.quiet(2000);  // muted: no packets at all
  BOOST_TEST(t.changes == (std::vector<bool>{true, false}), boost::test_tools::per_element());
  // And an idle detector says nothing more.
  t.quiet(5000);
  BOOST_TEST(t.changes.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_state_changes_at_most_once_an_interval) {
  talker t;
  // Alternating 20 ms of speech and silence: voiced intervals throughout.
  for (int i = 0; i < 100; ++i) {
    t.packets(25, 20);
    t.packets(120, 20);
  }
  BOOST_TEST(t.changes == std::vector<bool>{true}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_voice_activity_bit_is_not_the_level) {
  talker t;
  t.packets(0x80 | 110, 1000);  // V set, quiet: the level decides
  BOOST_TEST(t.changes.empty());
  t.packets(0x80 | 30, 500);
  BOOST_TEST(t.changes == std::vector<bool>{true}, boost::test_tools::per_element());
  BOOST_TEST(t.d.level() == 30);
}

BOOST_AUTO_TEST_SUITE_END()
