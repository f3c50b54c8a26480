#include <boost/test/unit_test.hpp>

#include <cstring>

#include "protocol/errc.hpp"

using namespace lamplight::protocol;
namespace v1 = lamplight::signal::v1;

BOOST_AUTO_TEST_SUITE(errc_suite)

BOOST_AUTO_TEST_CASE(names_are_snake_case_enumerators) {
  BOOST_TEST(std::strcmp(to_string(errc::none), "none") == 0);
  BOOST_TEST(std::strcmp(to_string(errc::wrong_state), "wrong_state") == 0);
  BOOST_TEST(std::strcmp(to_string(errc::classroom_full), "classroom_full") == 0);
  BOOST_TEST(std::strcmp(to_string(errc::already_exists), "already_exists") == 0);
  BOOST_TEST(std::strcmp(to_string(errc::resource_exhausted), "resource_exhausted") == 0);
}

BOOST_AUTO_TEST_CASE(proto_round_trip_for_every_value) {
  for (int i = 0; i < static_cast<int>(errc_count); ++i) {
    auto e = static_cast<errc>(i);
    BOOST_TEST(static_cast<int>(to_proto(e)) == i);
    BOOST_TEST(static_cast<int>(from_proto(to_proto(e))) == i);
    BOOST_TEST(v1::ErrorCode_IsValid(i));
    BOOST_TEST(std::strcmp(to_string(e), "unknown") != 0);
  }
  BOOST_TEST(to_proto(errc::busy) == v1::ERROR_BUSY);
  // The proto enum ends where errc does.
  BOOST_TEST(!v1::ErrorCode_IsValid(static_cast<int>(errc_count)));
  BOOST_TEST((from_proto(static_cast<v1::ErrorCode>(99)) == errc::internal));
  BOOST_TEST((from_proto(static_cast<v1::ErrorCode>(-1)) == errc::internal));
}

BOOST_AUTO_TEST_CASE(result_holds_value_or_error) {
  result<int> ok{7};
  BOOST_TEST(static_cast<bool>(ok));
  BOOST_TEST(*ok == 7);
  result<int> bad{errc::not_found, "x"};
  BOOST_TEST(!bad);
  BOOST_TEST((bad.err().code == errc::not_found));
  BOOST_TEST(bad.err().message == "x");
}

BOOST_AUTO_TEST_SUITE_END()
