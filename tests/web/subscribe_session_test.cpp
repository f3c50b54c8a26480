// Debian's Chromium, headless, at both ends of the SFU's media sessions.
// Subscribe (media/subscribe_session.hpp): the session offers, Chromium
// answers, on one RTCPeerConnection, and decodes what a media worker
// forwards to it from a publisher (a C++ peer replaying VP8 and Opus
// clips). Publish (media/publish_session.hpp): Chromium offers its camera
// and microphone, the session answers, and a C++ subscriber receives what
// the worker forwards. Watching or sending another camera is a
// renegotiation of the same connection: one ICE/DTLS transport throughout.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <set>
#include <filesystem>
#include <thread>

#include "media/lamp/media_clip.hpp"
#include "media/lamp/track_sender.hpp"
#include "media/media_worker.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"
#include "media/sdp_offer.hpp"
#include "media/publish_session.hpp"
#include "media/subscribe_session.hpp"
#include "media/track_media.hpp"
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
    return worker.add_track({id, video ? 90000u : 48000u, video, {{ssrc, ""}}, 0, 0, {}});
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

  /// As the sending end: about:blank has no camera (not a secure
  /// context), so a painted canvas (`ll.camera(hue)`) and an oscillator
  /// (`ll.microphone()`) stand in for them.
  void add_sources() {
    BOOST_REQUIRE(browser.eval(page, R"(
      ll.camera = (hue) => {
        const canvas = document.createElement('canvas');
        canvas.width = 320; canvas.height = 240;
        const g = canvas.getContext('2d');
        setInterval(() => { g.fillStyle = `hsl(${(hue + Date.now() / 10) % 360}, 80%, 50%)`; g.fillRect(0, 0, 320, 240); }, 33);
        return canvas.captureStream(30).getVideoTracks()[0];
      };
      ll.microphone = () => {
        const ctx = new AudioContext();
        const tone = ctx.createOscillator();
        const out = ctx.createMediaStreamDestination();
        tone.connect(out);
        tone.start();
        return out.stream.getAudioTracks()[0];
      };
      true)"));
  }

  /// Runs `js` (which adds, stops or changes senders), then returns
  /// Chromium's offer for its connection.
  std::string offer(const std::string& js) {
    auto sdp = browser.eval(page, "(async () => { " + js
                                    + "; await ll.pc.setLocalDescription(); return ll.pc.localDescription.sdp; })()",
                            20s);
    BOOST_REQUIRE_MESSAGE(sdp.has_value(), browser.last_error());
    return sdp->string_value();
  }

  /// Takes our answer to its offer.
  void accept(const std::string& answer) {
    BOOST_REQUIRE_MESSAGE(browser.eval(page, "ll.pc.setRemoteDescription({type: 'answer', sdp: "
                                               + json_quote(answer) + "}).then(() => true)"),
                          "Chromium refused the answer: " << browser.last_error() << "\n" << answer);
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

BOOST_AUTO_TEST_CASE(chromium_publishes_tracks_come_and_go_on_one_connection) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                        "Debian's chromium is needed: bash scripts/install-deps.sh --browser");
  media_worker worker{media_worker::config{}};
  receiver page;  // here the sending end: its fake camera and microphone
  session_endpoint ours{transport::random_ice_string(8), transport::random_ice_string(24),
                        worker.fingerprint(), "127.0.0.1", worker.port()};
  publish_session session(ours, false);
  auto offer = [&](const std::string& js) {
    auto n = must(session.offer(page.offer(js)));
    page.accept(n.answer);
    return n;
  };
  page.add_sources();
  auto first = offer(R"(
    ll.face = ll.pc.addTransceiver(ll.camera(0), { direction: 'sendonly' });
    ll.mic = ll.pc.addTransceiver(ll.microphone(), { direction: 'sendonly' }))");
  BOOST_REQUIRE(first.first);
  BOOST_REQUIRE(first.added.size() == 2u);
  auto pub = worker.add_peer({ours.ice_ufrag, ours.ice_pwd, first.client.ice_ufrag,
                              first.client.fingerprint, transport::dtls_role::server});
  BOOST_REQUIRE(pub.has_value());
  // Who watches: a C++ peer, one route per published track.
  transport::rtc_peer watcher;
  auto sub = worker.add_peer({watcher.server_ufrag, watcher.server_pwd, watcher.local_ufrag,
                              watcher.fingerprint(), transport::dtls_role::server});
  BOOST_REQUIRE(sub.has_value());
  BOOST_REQUIRE(watcher.connect("127.0.0.1", worker.port(), worker.fingerprint()));
  std::map<std::string, media_worker::track_id> on_worker;
  uint32_t next_out = 0xC0;
  std::map<uint32_t, std::string> out_of;  // out SSRC -> mid
  auto publish = [&](const publish_session::track& t) {
    bool video = t.stream.kind == "video";
    auto id = worker.add_track({*pub, t.stream.clock_rate, video, {{t.stream.ssrc, ""}}, 0, 0, {}});
    on_worker[t.mid] = id;
    out_of[next_out] = t.mid;
    worker.add_route(id, *sub, next_out++);
  };
  for (const auto& t : first.added)
    publish(t);
  /// The mids whose packets reach the watcher within `limit`.
  auto arriving = [&](std::chrono::milliseconds limit) {
    std::set<std::string> mids;
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;)
      if (auto pkt = watcher.recv_rtp(100ms))
        if (auto v = rtp_packet::parse(pkt->data(), pkt->size()); v && out_of.count(v->ssrc()))
          mids.insert(out_of[v->ssrc()]);
    return mids;
  };
  auto face_mid = first.added[0].stream.kind == "video" ? first.added[0].mid : first.added[1].mid;
  BOOST_TEST(arriving(5s).size() == 2u);

  // The face camera stops; a second camera (the desk's) starts: one
  // renegotiation, on the same connection.
  auto next = offer(R"(
    ll.face.sender.replaceTrack(null);
    ll.face.direction = 'inactive';
    ll.desk = ll.pc.addTransceiver(ll.camera(180), { direction: 'sendonly' }))");
  BOOST_TEST(!next.first);
  BOOST_TEST(next.removed == (std::vector<std::string>{face_mid}));
  BOOST_REQUIRE(next.added.size() == 1u);
  BOOST_TEST(next.added[0].stream.kind == "video");
  worker.remove_track(on_worker[face_mid]);
  publish(next.added[0]);
  auto mids = arriving(5s);
  BOOST_TEST(mids.count(next.added[0].mid) == 1u, "the desk camera arrives");
  BOOST_TEST(page.number("new Set(ll.pc.getTransceivers().map((t) => t.sender.transport)).size") == 1);
  BOOST_TEST(worker.peer_count() == 2u);  // Chromium's one connection, and the watcher
}

// The same through media::track_media, as the SFU's media rooms use it: one
// publish session for Chromium's camera and microphone, a C++ member
// watching through its subscribe session; the camera swapped for another
// renegotiates the one connection and the watcher's session follows.
BOOST_AUTO_TEST_CASE(chromium_publishes_on_one_session_through_track_media) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                        "Debian's chromium is needed: bash scripts/install-deps.sh --browser");
  auto worker = std::make_shared<media_worker>(media_worker::config{});
  track_media media(worker);
  receiver page;
  page.add_sources();
  // Chromium numbers its sections in order: face "0", microphone "1".
  auto first = must(media.publish_offer("s1", page.offer(R"(
    ll.face = ll.pc.addTransceiver(ll.camera(0), { direction: 'sendonly' });
    ll.mic = ll.pc.addTransceiver(ll.microphone(), { direction: 'sendonly' }))"),
                                        {{"0", "face"}, {"1", "mic"}}));
  page.accept(first.answer);
  BOOST_TEST(first.added == (std::vector<std::string>{"face", "mic"}), boost::test_tools::per_element());

  transport::rtc_peer watcher;
  offer_params mine;
  mine.ice_ufrag = watcher.local_ufrag;
  mine.ice_pwd = watcher.local_pwd;
  mine.fingerprint = watcher.fingerprint();
  /// Answers the watcher's next offer; the SSRC it carries `track` as.
  auto answer_next = [&](const std::string& track) {
    auto o = media.next_offer("t1");
    BOOST_REQUIRE(o.has_value());
    auto parsed = must(parse_sdp(o->sdp));
    BOOST_REQUIRE(ok(media.answer("t1", o->session, o->version,
                                  write_sdp(must(make_session_answer(parsed, mine))))));
    watcher.server_ufrag = parsed.media.front().ice_ufrag;
    watcher.server_pwd = parsed.media.front().ice_pwd;
    for (const auto& [mid, id] : o->tracks)
      if (id == track)
        for (const auto& m : parsed.media)
          if (m.mid == mid && !m.ssrcs.empty())
            return m.ssrcs.front().ssrc;
    BOOST_FAIL("the offer does not carry " + track);
    return uint32_t{0};
  };
  auto arrives = [&](uint32_t ssrc) {
    for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;)
      if (auto pkt = watcher.recv_rtp(100ms))
        if (auto v = rtp_packet::parse(pkt->data(), pkt->size()); v && v->ssrc() == ssrc)
          return true;
    return false;
  };
  BOOST_REQUIRE(ok(media.watch("face", "t1")));
  auto face_ssrc = answer_next("face");
  BOOST_REQUIRE(watcher.connect("127.0.0.1", worker->port(), worker->fingerprint()));
  BOOST_TEST(arrives(face_ssrc), "the face camera arrives");

  // The face camera stops and the desk's starts: one renegotiation of the
  // same connection; the watcher's session drops the face.
  auto next = must(media.publish_offer("s1", page.offer(R"(
    ll.face.sender.replaceTrack(null);
    ll.face.direction = 'inactive';
    ll.desk = ll.pc.addTransceiver(ll.camera(180), { direction: 'sendonly' }))"),
                                       {{"1", "mic"}, {"2", "desk"}}));
  page.accept(next.answer);
  BOOST_TEST(next.added == (std::vector<std::string>{"desk"}), boost::test_tools::per_element());
  BOOST_TEST(next.to_offer == (std::vector<std::string>{"t1"}), boost::test_tools::per_element());
  BOOST_REQUIRE(ok(media.watch("desk", "t1")));
  auto desk_ssrc = answer_next("desk");
  BOOST_TEST(arrives(desk_ssrc), "the desk camera arrives on the same session");
  BOOST_TEST(page.number("new Set(ll.pc.getTransceivers().map((t) => t.sender.transport)).size") == 1);
  BOOST_TEST(media.counts().first == 2u);  // microphone and desk camera
  (void)worker->stats();  // the worker has run every command so far
  BOOST_TEST(worker->peer_count() == 2u);  // Chromium's publish session and the watcher's

  // An offer that is not SDP, or one naming a section that sends nothing,
  // changes nothing.
  BOOST_TEST(!media.publish_offer("s1", "v=0\r\n", {}));
  BOOST_TEST(!media.publish_offer("s1", page.offer(""), {{"0", "face"}, {"1", "mic"}, {"2", "desk"}}));
  BOOST_TEST(media.counts().first == 2u);
  BOOST_TEST(arrives(desk_ssrc), "the desk camera still arrives");

  // The member goes: its tracks and its one connection with it.
  BOOST_TEST(media.drop_member("s1") == (std::vector<std::string>{"t1"}), boost::test_tools::per_element());
  (void)worker->stats();
  BOOST_TEST(worker->peer_count() == 1u);
  BOOST_TEST(media.counts().first == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
