#include <boost/test/unit_test.hpp>

#include "protocol/hand_queue.hpp"

using namespace lamplight::protocol;

BOOST_AUTO_TEST_SUITE(hand_queue_suite)

BOOST_AUTO_TEST_CASE(raise_keeps_order_and_rejects_twice) {
  hand_queue q;
  BOOST_TEST(q.empty());
  BOOST_TEST((q.raise("a") == errc::none));
  BOOST_TEST((q.raise("b") == errc::none));
  BOOST_TEST((q.raise("a") == errc::wrong_state));
  BOOST_TEST(q.size() == 2u);
  BOOST_TEST(q.position("a") == 1u);
  BOOST_TEST(q.position("b") == 2u);
  BOOST_TEST(q.position("c") == 0u);
  BOOST_TEST(q.raised("b"));
  BOOST_TEST(*q.front() == "a");
}

BOOST_AUTO_TEST_CASE(lower_only_raised) {
  hand_queue q;
  BOOST_TEST((q.lower("a") == errc::wrong_state));
  q.raise("a");
  q.raise("b");
  BOOST_TEST((q.lower("a") == errc::none));
  BOOST_TEST(q.position("b") == 1u);
  BOOST_TEST((q.lower("a") == errc::wrong_state));
}

BOOST_AUTO_TEST_CASE(accept_and_dismiss_front_or_named) {
  hand_queue q;
  BOOST_TEST((q.accept("").err().code == errc::not_found));
  BOOST_TEST((q.dismiss("").err().code == errc::not_found));
  q.raise("a");
  q.raise("b");
  q.raise("c");
  auto r = q.accept("");
  BOOST_REQUIRE(r);
  BOOST_TEST(*r == "a");
  auto d = q.dismiss("c");
  BOOST_REQUIRE(d);
  BOOST_TEST(*d == "c");
  BOOST_TEST((q.accept("zz").err().code == errc::not_found));
  BOOST_TEST((q.dismiss("a").err().code == errc::not_found));
  BOOST_TEST(q.size() == 1u);
  auto last = q.dismiss("");
  BOOST_TEST(*last == "b");
  BOOST_TEST(q.empty());
  BOOST_TEST(!q.front());
}

BOOST_AUTO_TEST_CASE(remove_is_silent) {
  hand_queue q;
  BOOST_TEST(!q.remove("a"));
  q.raise("a");
  BOOST_TEST(q.remove("a"));
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_SUITE_END()
