// The digests every signature uses, against published test vectors.
#include <boost/test/unit_test.hpp>

#include "protocol/digest.hpp"

using namespace lamplight::protocol;

BOOST_AUTO_TEST_SUITE(digest)

BOOST_AUTO_TEST_CASE(sha256_of_the_fips_180_examples) {
  BOOST_TEST(sha256_hex("abc")
             == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(sha256_hex("")
             == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_of_rfc_4231_test_case_2) {
  BOOST_TEST(hmac_sha256_hex("Jefe", "what do ya want for nothing?")
             == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  BOOST_TEST(hmac_sha256("Jefe", "what do ya want for nothing?").size() == 32u);
  const unsigned char bytes[] = {0x00, 0x0f, 0xf0, 0xff};
  BOOST_TEST(to_hex(bytes, sizeof bytes) == "000ff0ff");
}

BOOST_AUTO_TEST_SUITE_END()
