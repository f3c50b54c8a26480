// Debian's Chromium, headless, as the receiving end of the SFU's subscribe
// session (media/subscribe_session.hpp): the session offers, Chromium
// answers, on one RTCPeerConnection, and decodes what a media worker
// forwards to it from a publisher (a C++ peer replaying VP8 and Opus
// clips). Watching another camera and adding one more are renegotiations
// of that same connection: one ICE/DTLS transport throughout.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "media/lamp/media_clip.hpp"
#include "media/lamp/track_sender.hpp"
#include "media/media_worker.hpp"
#include "media/rtcp_packet.hpp"
#include "media/sdp_offer.hpp"
#include "media/subscribe_session.hpp"
#include "tests/support/cdp_browser.hpp"
#include "tests/support/temp_dir.hpp"
#include "transport/ice_lite.hpp"
#include "transport/rtc_peer.hpp"

using namespace std::chrono_literals;
using namespace lamplight;
using namespace lamplight::media;
using lamplight::test::json_quote;

namespace {

bool ok(const protocol::error& e) { return e.code == protocol::errc::none; }

template <class T>
T must(protocol::result<T> r) {
  if (!r)
    BOOST_FAIL(r.err().message);
  return std::move(*r);
}

/// A publisher on the worker: one connection, three tracks replayed from
/// clips on a thread of its own, answering key frame requests and NACKs.
struct publisher {
  media_worker& worker;
  transport::rtc_peer peer;
  media_worker::peer_id id = 0;
  std::vector<lamp::track_sender> senders;
  std::atomic<bool> stop{false};
  std::thread thread;

  explicit publisher(media_worker& w) : worker(w) {
    auto p = worker.add_peer({peer.server_ufrag, peer.server_pwd, peer.local_ufrag, peer.fingerprint(),
                              transport::dtls_role::server});
    BOOST_REQUIRE(p.has_value());
    id = *p;
    BOOST_REQUIRE(peer.connect("127.0.0.1", worker.port(), worker.fingerprint()));
    lamp::video_clip_params face;
    lamp::video_clip_params desk;
    desk.source = lamp::camera::desk;
    senders.emplace_back(must(lamp::make_video_clip(face)), 0x1111, vp8_payload_type);
    senders.emplace_back(must(lamp::make_video_clip(desk)), 0x2222, vp8_payload_type);
    senders.emplace_back(must(lamp::make_audio_clip()), 0x3333, opus_payload_type);
    thread = std::thread([this] { run(); });
  }
  ~publisher() {
    stop = true;
    thread.join();
  }

  media_worker::track_id track(uint32_t ssrc, bool video) {
    return worker.add_track({id, video ? 90000u : 48000u, video, {{ssrc, ""}}, 0});
  }

  void run() {
    auto start = std::chrono::steady_clock::now();
    // Bounded: the test ends well before.
    while (!stop && std::chrono::steady_clock::now() - start < 120s) {
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
      std::vector<std::vector<uint8_t>> out;
      for (auto& s : senders)
        s.due(now, out);
      if (auto rtcp = peer.recv_rtcp(5ms))
        if (auto msgs = parse_rtcp(rtcp->data(), rtcp->size()))
          for (auto& s : senders)
            s.on_rtcp(*msgs, out);
      for (auto& pkt : out)
        peer.send_rtp(std::move(pkt));
    }
  }
};

/// The page's end: one RTCPeerConnection that answers the session's offers.
struct receiver {
  test::temp_dir dir;
  test::cdp_browser browser{dir.path / "profile"};
  test::cdp_browser::page page = browser.open("about:blank");

  receiver() {
    BOOST_REQUIRE(browser.eval(page, R"(
      window.ll = { pc: new RTCPeerConnection(), tracks: [] };
      ll.pc.ontrack = (e) => ll.tracks.push({ mid: e.transceiver.mid, stream: e.streams[0]?.id });
      // What each stream (by the SSRC the SFU sends it as) decoded (video)
      // or received (audio), read from the stats every 100 ms: wait_until
      // polls a plain value.
      ll.counts = {};
      setInterval(async () => {
        (await ll.pc.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp')
            ll.counts[r.ssrc] = r.kind === 'video' ? (r.framesDecoded || 0) : (r.packetsReceived || 0);
        });
      }, 100);
      true)"));
  }

  std::string answer(const std::string& offer) {
    auto a = browser.eval(page, "(async () => { await ll.pc.setRemoteDescription({type: 'offer', sdp: "
                                  + json_quote(offer)
                                  + "}); await ll.pc.setLocalDescription(); return ll.pc.localDescription.sdp; })()");
    BOOST_REQUIRE_MESSAGE(a.has_value(), "Chromium refused the offer: " << browser.last_error());
    return a->string_value();
  }

  /// Waits until the stream sent as `ssrc` decoded `frames` (video) or
  /// received that many packets (audio).
  bool receives(uint32_t ssrc, int frames) {
    return browser.wait_until(page, "(ll.counts[" + std::to_string(ssrc) + "] || 0) >= "
                                      + std::to_string(frames),
                              20s);
  }

  double number(const std::string& js) {
    auto v = browser.eval(page, js);
    BOOST_REQUIRE_MESSAGE(v.has_value(), js << ": " << browser.last_error());
    return v->number_value();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(subscribe_session_browser)

BOOST_AUTO_TEST_CASE(chromium_watches_tracks_come_and_go_on_one_connection) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                        "Debian's chromium is needed: bash scripts/install-deps.sh --browser");
  media_worker worker{media_worker::config{}};
  publisher pub(worker);
  auto face = pub.track(0x1111, true);
  auto desk = pub.track(0x2222, true);
  auto mic = pub.track(0x3333, false);
  receiver page;

  subscribe_session::endpoint ours{transport::random_ice_string(8), transport::random_ice_string(24),
                                   worker.fingerprint(), "127.0.0.1", worker.port()};
  subscribe_session session(ours, 4242);
  BOOST_TEST(ok(session.add({"face", "video", "t-1", 0xA1})));
  BOOST_TEST(ok(session.add({"mic", "audio", "t-1", 0xA3})));
  auto done = must(session.answer(page.answer(must(session.offer()))));
  BOOST_REQUIRE(done.first);
  BOOST_TEST(done.accepted == (std::vector<std::string>{"face", "mic"}));
  // The transport the answer settled is the worker's one peer for it.
  auto sub = worker.add_peer({ours.ice_ufrag, ours.ice_pwd, done.client.ice_ufrag,
                              done.client.fingerprint, transport::dtls_role::server});
  BOOST_REQUIRE(sub.has_value());
  worker.add_route(face, *sub, 0xA1);
  worker.add_route(mic, *sub, 0xA3);
  BOOST_TEST(page.receives(0xA1, 20), "the face camera: " << page.browser.last_error());
  BOOST_TEST(page.receives(0xA3, 20), "the mic");

  // The teacher's desk camera instead of the face camera: the same
  // section, a renegotiation of the same connection.
  worker.remove_route(face, *sub);
  BOOST_TEST(ok(session.remove("face")));
  BOOST_TEST(ok(session.add({"desk", "video", "t-1", 0xA2})));
  done = must(session.answer(page.answer(must(session.offer()))));
  BOOST_TEST(!done.first);
  BOOST_TEST(done.accepted == (std::vector<std::string>{"desk", "mic"}));
  worker.add_route(desk, *sub, 0xA2);
  BOOST_TEST(page.receives(0xA2, 20), "the desk camera");

  // Both cameras at once: a third section, still one connection.
  BOOST_TEST(ok(session.add({"face", "video", "t-1", 0xA4})));
  done = must(session.answer(page.answer(must(session.offer()))));
  BOOST_TEST(done.accepted.size() == 3u);
  worker.add_route(face, *sub, 0xA4);
  BOOST_TEST(page.receives(0xA4, 20), "the face camera again");
  BOOST_TEST(page.receives(0xA2, 40), "the desk camera still");
  BOOST_TEST(session.sections() == 3u);

  // One connection, one DTLS transport, and nothing else on the worker.
  BOOST_TEST(page.number("ll.pc.getTransceivers().length") == 3);
  BOOST_TEST(page.number("new Set(ll.pc.getTransceivers().map((t) => t.receiver.transport)).size") == 1);
  BOOST_TEST(page.number("ll.pc.getTransceivers().filter((t) => t.currentDirection === 'recvonly').length")
             == 3);
  BOOST_TEST(worker.peer_count() == 2u);  // the publisher and the one subscriber
  auto stats = worker.stats(*sub);
  BOOST_REQUIRE(stats.has_value());
  BOOST_TEST((stats->dtls == transport::dtls_state::connected));
}

BOOST_AUTO_TEST_SUITE_END()
