#pragma once

// Shorthands for tests that run C++ lamps (media/lamp).

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

/// `owner`'s next `count` tracks from `lamp`'s TrackPublished events.
inline std::vector<signal::v1::TrackInfo> tracks_of(media::lamp::lamp_client& lamp,
                                                    const std::string& owner, std::size_t count,
                                                    std::chrono::milliseconds timeout
                                                    = std::chrono::seconds(15)) {
  namespace sig = signal::v1;
  std::vector<sig::TrackInfo> out;
  while (out.size() < count) {
    auto m = lamp.wait_for(
      [&](const sig::ServerMessage& x) {
        return x.has_event() && x.event().has_track_published()
               && x.event().track_published().track().owner() == owner;
      },
      timeout);
    BOOST_REQUIRE_MESSAGE(m.has_value(), "no TrackPublished from " << owner);
    out.push_back(m->event().track_published().track());
  }
  return out;
}

/// Waits (bounded by `limit`) until every subscribed leg of `lamps` has
/// decoded `video` pictures or `audio` frames.
inline void wait_for_media(const std::vector<media::lamp::lamp_client*>& lamps, uint64_t video,
                           uint64_t audio, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    bool done = true;
    for (auto* lamp : lamps)
      for (auto& leg : lamp->report())
        if (!leg.publishing)
          done = done && leg.received.frames_decoded
                           >= (leg.kind == media::lamp::clip_kind::video ? video : audio);
    if (done)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling, bounded
  }
}

} // namespace lamplight::test
