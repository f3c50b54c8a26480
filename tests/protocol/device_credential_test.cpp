// A registered lamp's sign-in (protocol/device_credential.hpp): what it
// signs, and every way a login is refused.
#include <boost/test/unit_test.hpp>

#include "protocol/device_credential.hpp"
#include "protocol/digest.hpp"

using namespace lamplight::protocol;
namespace sig = lamplight::signal::v1;

namespace {

const std::string secret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr int64_t now = 1'800'000'000;

struct lamps_fixture {
  bool enrolled = true;
  int asked = 0;
  device_lookup lamps = [this](const std::string& tenant, const std::string& serial,
                               const std::string&) -> std::optional<device_key> {
    ++asked;
    if (tenant != "acme" || serial != "LMP-0001")
      return std::nullopt;
    return device_key{"s-1", secret, enrolled};
  };

  sig::DeviceLogin login(int64_t ts = now, const std::string& key = secret) {
    return sign_device_login("acme", "LMP-0001", "math-1", key, ts, "0123456789abcdef0123");
  }

  errc refused(const sig::DeviceLogin& l) {
    auto r = verify_device_login(l, lamps, now);
    if (r)
      return errc::none;
    BOOST_TEST_INFO("message: " << r.err().message);
    return r.err().code;
  }
};

} // namespace

namespace lamplight::protocol {
[[maybe_unused]] static std::ostream& boost_test_print_type(std::ostream& os, errc x) {
  return os << to_string(x);
}
} // namespace lamplight::protocol

BOOST_FIXTURE_TEST_SUITE(device_credential, lamps_fixture)

BOOST_AUTO_TEST_CASE(the_signature_is_over_the_documented_lines) {
  auto l = login();
  BOOST_TEST(device_string_to_sign(l)
             == "LL1-DEVICE\n1800000000\n0123456789abcdef0123\nacme\nLMP-0001\nmath-1");
  BOOST_TEST(l.sig() == hmac_sha256_hex(secret, device_string_to_sign(l)));
  BOOST_TEST(l.sig().size() == 64u);
}

BOOST_AUTO_TEST_CASE(a_lamp_joins_as_its_student) {
  auto c = verify_device_login(login(), lamps, now);
  BOOST_REQUIRE_MESSAGE(bool(c), (c ? "" : c.err().message));
  BOOST_TEST(c->tenant == "acme");
  BOOST_TEST(c->classroom == "math-1");
  BOOST_TEST(c->identity == "s-1");
  BOOST_TEST(c->role == sig::ROLE_STUDENT);
  BOOST_TEST(c->mode == sig::MODE_UNSPECIFIED);  // a lamp never creates a classroom
}

BOOST_AUTO_TEST_CASE(every_forgery_is_refused) {
  BOOST_TEST(refused(login(now, std::string(64, '0'))) == errc::unauthenticated);
  for (auto change : {+[](sig::DeviceLogin& l) { l.set_classroom("math-2"); },
                      +[](sig::DeviceLogin& l) { l.set_tenant("beta"); },
                      +[](sig::DeviceLogin& l) { l.set_serial("LMP-0002"); },
                      +[](sig::DeviceLogin& l) { l.set_ts(l.ts() + 1); },
                      +[](sig::DeviceLogin& l) { l.set_nonce("0123456789abcdef0124"); },
                      +[](sig::DeviceLogin& l) { l.mutable_sig()->back() ^= 1; }}) {
    auto l = login();
    change(l);
    BOOST_TEST(refused(l) == errc::unauthenticated);
  }
}

BOOST_AUTO_TEST_CASE(times_outside_the_window_and_malformed_fields_are_refused_unasked) {
  BOOST_TEST(refused(login(now - device_window_s)) == errc::none);
  BOOST_TEST(refused(login(now + device_window_s)) == errc::none);
  asked = 0;
  BOOST_TEST(refused(login(now - device_window_s - 1)) == errc::unauthenticated);
  BOOST_TEST(refused(login(now + device_window_s + 1)) == errc::unauthenticated);
  auto l = login();
  l.set_nonce("short");
  BOOST_TEST(refused(l) == errc::unauthenticated);
  l = login();
  l.set_nonce(std::string(16, '/'));
  BOOST_TEST(refused(l) == errc::unauthenticated);
  l = login();
  l.set_serial(std::string(65, 'x'));
  BOOST_TEST(refused(l) == errc::unauthenticated);
  l = login();
  l.set_sig(l.sig() + "0");
  BOOST_TEST(refused(l) == errc::unauthenticated);
  BOOST_TEST(refused(sig::DeviceLogin{}) == errc::unauthenticated);
  BOOST_TEST(asked == 0);  // none of them reached the registry
  BOOST_TEST(refused(login()) == errc::none);
  BOOST_TEST(refused(sign_device_login("beta", "LMP-0001", "math-1", secret, now,
                                       "0123456789abcdef0123"))
             == errc::unauthenticated);
  BOOST_TEST(!verify_device_login(login(), device_lookup{}, now));
}

BOOST_AUTO_TEST_CASE(a_lamp_whose_student_is_not_on_the_roster_is_denied) {
  enrolled = false;
  BOOST_TEST(refused(login()) == errc::permission_denied);
  // ...but only after its signature checked out: a stranger learns nothing.
  BOOST_TEST(refused(login(now, std::string(64, '1'))) == errc::unauthenticated);
}

BOOST_AUTO_TEST_SUITE_END()
