#include <boost/test/unit_test.hpp>

#include "protocol/token_bucket.hpp"

using lamplight::protocol::token_bucket;

BOOST_AUTO_TEST_SUITE(token_bucket_tests)

BOOST_AUTO_TEST_CASE(a_full_bucket_gives_its_burst_then_its_rate) {
  token_bucket b(10, 5);  // 10 a second, 5 at once
  int64_t t = 1'000'000;
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(b.take(t));
  BOOST_TEST(!b.take(t));
  BOOST_TEST(b.wait_ms(t) == 100);
  BOOST_TEST(!b.take(t + 99));
  BOOST_TEST(b.take(t + 100));
  // A long quiet time fills it to the burst, never past it.
  t += 60'000;
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(b.take(t));
  BOOST_TEST(!b.take(t));
}

BOOST_AUTO_TEST_CASE(over_a_second_it_admits_the_rate_and_the_burst) {
  token_bucket b(20, 10);
  int admitted = 0;
  for (int64_t ms = 0; ms < 1000; ++ms)  // a request every millisecond
    admitted += b.take(ms);
  BOOST_TEST(admitted == 10 + 19);  // the burst, then 20/s over 999 ms
}

BOOST_AUTO_TEST_CASE(a_clock_that_goes_back_adds_nothing) {
  token_bucket b(1, 1);
  BOOST_TEST(b.take(5000));
  BOOST_TEST(!b.take(1000));
  BOOST_TEST(!b.take(5999));
  BOOST_TEST(b.take(6000));
}

BOOST_AUTO_TEST_SUITE_END()
