#pragma once

// Shorthands for tests that run C++ lamps (media/lamp).

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

#include "media/lamp/lamp_client.hpp"

namespace lamplight::test {

/// The lamps' clips, encoded once per test program (150 frames a camera).
inline std::shared_ptr<const media::lamp::lamp_media> shared_lamp_media() {
  static auto media = [] {
    auto m = media::lamp::lamp_media::make(150);
    if (!m)
      BOOST_FAIL(m.err().message);
    return *m;
  }();
  return media;
}

/// Fails the test with the error's message (BOOST_REQUIRE_MESSAGE would
/// build the message, and so touch the error, even on success).
template <class T>
T require(protocol::result<T> r, const std::string& what) {
  if (!r)
    BOOST_FAIL(what << ": " << r.err().message);
  return std::move(*r);
}

} // namespace lamplight::test
