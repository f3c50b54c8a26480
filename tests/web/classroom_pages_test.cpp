// The teacher, student and parent pages in Debian's Chromium (headless,
// fake camera and microphone, driven over the DevTools protocol) against a
// real lamplight-node, with a C++ simulated lamp as the student's lamp.
// Each scenario keeps a screenshot under the build's artifacts folder.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "media/lamp/lamp_device.hpp"
#include "tests/support/cdp_browser.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using namespace lamplight::media::lamp;
using lamplight::test::cdp_browser;
namespace sig = lamplight::signal::v1;

namespace {

std::filesystem::path artifacts() { return LAMPLIGHT_ARTIFACTS; }

using lamplight::test::require;

/// A lamp on its own thread: joined, publishing, answering.
struct running_lamp {
  std::unique_ptr<lamp_client> client;
  std::unique_ptr<lamp_device> device;
  std::atomic<bool> stop{false};
  std::thread loop;

  running_lamp(lamplight::test::node_process& node, const std::string& identity) {
    auto media = lamplight::test::shared_lamp_media();
    lamp_options o;
    o.port = node.http_port;
    client = std::make_unique<lamp_client>(media, o);
    require(client->join(node.token(identity, "student")), "lamp joins");
    for (auto s : {sig::TRACK_SOURCE_MICROPHONE, sig::TRACK_SOURCE_FACE_CAMERA,
                   sig::TRACK_SOURCE_DESK_CAMERA})
      require(client->publish(s), "lamp publishes");
    device = std::make_unique<lamp_device>(*client, identity);
    device->mark_published();
    loop = std::thread([this] {
      while (!stop)
        if (auto line = device->step(100ms); line && !line->empty())
          BOOST_TEST_MESSAGE("lamp: " << *line);
    });
  }
  ~running_lamp() {
    stop = true;
    loop.join();
  }
  uint64_t min_decoded_video() const {
    uint64_t least = UINT64_MAX;
    int watched = 0;
    for (auto& leg : client->report())
      if (!leg.publishing && leg.kind == clip_kind::video) {
        least = std::min(least, leg.received.frames_decoded);
        ++watched;
      }
    return watched ? least : 0;
  }
};

struct pages {
  lamplight::test::node_process node;
  std::string base;
  explicit pages(std::vector<std::string> node_args = {})
    : node(std::move(node_args)), base("http://127.0.0.1:" + std::to_string(node.http_port)) {}

  std::string url(const std::string& page, const std::string& identity, const std::string& extra) {
    return base + "/" + page + "?tenant=acme&classroom=room-1&identity=" + identity + extra;
  }
  /// Evaluates or fails the test with the browser's error.
  static void run(cdp_browser& b, const cdp_browser::page& p, const std::string& js) {
    auto v = b.eval(p, js);
    BOOST_REQUIRE_MESSAGE(v.has_value(), js << ": " << b.last_error());
  }
  static void wait(cdp_browser& b, const cdp_browser::page& p, const std::string& js,
                   std::chrono::seconds limit, const std::string& what) {
    BOOST_REQUIRE_MESSAGE(b.wait_until(p, js, limit), what << ": " << b.last_error());
  }
  static void shot(cdp_browser& b, const cdp_browser::page& p, const std::string& name,
                   bool full_page = false) {
    auto file = artifacts() / name;
    BOOST_TEST(b.screenshot(p, file, full_page), "screenshot " << file);
    BOOST_TEST_MESSAGE("screenshot: " << file.string());
  }
};

const std::string state = "window.lamplightTest && window.lamplightTest.state()";

} // namespace

BOOST_AUTO_TEST_SUITE(classroom_pages)

BOOST_AUTO_TEST_CASE(a_teacher_calls_a_lamp_snaps_a_photo_and_controls_it) {
  pages w;
  cdp_browser tb(w.node.dir.path / "teacher-profile");
  auto teacher = tb.open(w.url("teacher.html", "t1", "&name=Ms%20Li&mode=small_group"));
  pages::wait(tb, teacher, state + ".joined", 20s, "the teacher page joins");
  running_lamp lamp(w.node, "s1");
  pages::wait(tb, teacher,
              state + ".members.some(m => m.identity === 's1' && m.presence === 'PRESENCE_ONLINE')",
              20s, "the lamp shows in the roster");

  // The call: the lamp accepts; each side decodes the other's video.
  pages::run(tb, teacher, "document.querySelector('[data-action=\"call\"][data-identity=\"s1\"]').click()");
  pages::wait(tb, teacher, state + ".calls.some(c => c.callee === 's1' && c.phase === 'CALL_PHASE_CONNECTED')",
              30s, "the call connects");
  pages::wait(tb, teacher, state + ".videos.some(v => v.owner === 's1' && v.framesDecoded > 30)", 40s,
              "the teacher's page decodes the lamp's video");
  auto deadline = std::chrono::steady_clock::now() + 40s;
  while (lamp.min_decoded_video() < 30 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);  // a bounded poll of the lamp's decoder
  BOOST_TEST(lamp.min_decoded_video() >= 30u, "the lamp decodes the teacher's video");
  // Each side sends all it publishes on one connection and watches the
  // other on another: two media connections each.
  BOOST_TEST(lamp.client->media_connections() == 2u);
  auto held = tb.eval(teacher, state + ".connections");
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST(held->number_value() == 2);
  pages::shot(tb, teacher, "teacher-call.png");

  // The lamp speaks (the level on its microphone's packets): the SFU
  // judges it, the console marks the student, and unmarks it after.
  // (The teacher's own Chromium may be marked too: its fake microphone beeps.)
  const std::string marked = "(document.querySelector('#roster tr[data-identity=\"s1\"] .badge.speaking') !== null)";
  lamp.client->set_mic_level(28);
  pages::wait(tb, teacher, marked + " && " + state + ".speakers.includes('s1')", 20s,
              "the console marks the speaking lamp");
  pages::shot(tb, teacher, "teacher-speaking.png");
  lamp.client->set_mic_level(127);
  pages::wait(tb, teacher, "!" + marked, 20s, "the mark goes when the lamp is quiet");

  // A homework photo: stored by the node, shown by the page.
  pages::run(tb, teacher, "document.querySelector('[data-action=\"photo\"][data-identity=\"s1\"]').click()");
  pages::wait(tb, teacher, state + ".photos.length > 0", 30s, "the page shows the photo");
  pages::wait(tb, teacher,
              "[...document.querySelectorAll('img')].some(i => i.src.includes('/photos/') && i.complete && i.naturalWidth > 0)",
              20s, "the photo loads");
  BOOST_TEST(lamp.device->photos_stored() == 1u);
  pages::run(tb, teacher, "document.querySelector('[data-action=\"open-photo\"]').click()");
  pages::wait(tb, teacher, "document.querySelector('dialog[data-role=\"photo-dialog\"]').open", 10s,
              "the photo opens full size");
  pages::shot(tb, teacher, "teacher-photo.png");
  pages::run(tb, teacher, "document.querySelector('dialog[data-role=\"photo-dialog\"]').close()");

  // The lamp's screen and camera, acknowledged and shown to everyone.
  pages::run(tb, teacher, "document.querySelector('[data-action=\"screen\"][data-identity=\"s1\"][data-value=\"SCREEN_WHITEBOARD\"]').click()");
  pages::wait(tb, teacher, state + ".members.some(m => m.identity === 's1' && m.screen === 'SCREEN_WHITEBOARD')",
              20s, "the screen switch is acknowledged");
  BOOST_TEST(lamp.device->screen() == sig::SCREEN_WHITEBOARD);
  pages::run(tb, teacher, "document.querySelector('[data-action=\"camera\"][data-identity=\"s1\"][data-value=\"CAMERA_DESK\"]').click()");
  pages::wait(tb, teacher, state + ".members.some(m => m.identity === 's1' && m.camera === 'CAMERA_DESK')",
              20s, "the camera switch is acknowledged");
  BOOST_TEST(lamp.device->camera() == sig::CAMERA_DESK);
  pages::shot(tb, teacher, "teacher-console.png", true);
}

BOOST_AUTO_TEST_CASE(strokes_reach_the_parent_and_hands_reach_the_teacher) {
  pages w;
  cdp_browser tb(w.node.dir.path / "teacher-profile");
  auto teacher = tb.open(w.url("teacher.html", "t1", "&mode=small_group&autopublish=0"));
  pages::wait(tb, teacher, state + ".joined", 20s, "the teacher page joins");
  cdp_browser sb(w.node.dir.path / "student-profile");
  auto student = sb.open(w.url("student.html", "s2", "&name=Bo"));
  pages::wait(sb, student, state + ".joined", 20s, "the student page joins");
  cdp_browser pb(w.node.dir.path / "parent-profile");
  auto parent = pb.open(w.url("parent.html", "p2", "&child=s2"));
  pages::wait(pb, parent, state + ".joined", 20s, "the parent page joins");

  pages::run(tb, teacher, "window.lamplightTest.drawStroke([[0.1,0.1],[0.5,0.4],[0.9,0.2]])");
  pages::wait(pb, parent, state + ".whiteboardOps >= 1", 20s, "the stroke reaches the parent");
  pages::wait(sb, student, state + ".whiteboardOps >= 1", 20s, "the stroke reaches the student");

  pages::run(sb, student, "document.querySelector('[data-action=\"raise-hand\"]').click()");
  pages::wait(tb, teacher, state + ".handQueue.includes('s2')", 20s, "the teacher sees the hand");
  pages::shot(tb, teacher, "teacher-hands.png");
  pages::shot(sb, student, "student.png");
  pages::wait(pb, parent, state + ".videos.some(v => v.owner === 's2' && v.framesDecoded > 10)", 40s,
              "the parent watches the child");
  pages::shot(pb, parent, "parent.png");
  // The student page sends its cameras and microphone on one connection.
  pages::wait(sb, student, state + ".published.length === 3 && " + state + ".connections <= 2", 20s,
              "the student publishes three tracks on one connection");
}

// A class of 200: one teacher and two students publishing simulcast in
// browsers, 197 more members on plain WebSockets. The class view stays
// small (a paged roster) and watches the teacher on the high layer, the
// active students as low-layer thumbnails, and a focused one high.
BOOST_AUTO_TEST_CASE(the_large_class_view_carries_200_members_on_the_right_layers) {
  // The crowd below never reads its sockets, so it never answers the node's
  // keep-alive pings: a loaded machine must not see it dropped as dead
  // (after 20 s by default) before the pages have counted it.
  pages w({"--ws-idle-seconds", "600"});
  cdp_browser tb(w.node.dir.path / "teacher-profile");
  auto teacher = tb.open(w.url("class.html", "t1", "&role=teacher&mode=large_class"));
  pages::wait(tb, teacher, state + ".joined", 20s, "the teacher joins");
  std::vector<std::unique_ptr<lamplight::transport::websocket_client>> crowd;
  for (int i = 0; i < 196; ++i) {  // with the lamp and two browsers: 200
    auto ws = std::make_unique<lamplight::transport::websocket_client>();
    BOOST_REQUIRE(ws->connect("127.0.0.1", w.node.http_port, "/signal"));
    auto token = w.node.token("m" + std::to_string(i), "student");
    BOOST_REQUIRE(ws->send_text("{\"requestId\":\"1\",\"join\":{\"token\":\"" + token + "\"}}"));
    auto reply = ws->read(10s);
    BOOST_REQUIRE_MESSAGE(reply && reply->data.find("\"joined\"") != std::string::npos,
                          "member " << i << ": " << (reply ? reply->data : "no answer"));
    crowd.push_back(std::move(ws));
  }
  // A lamp publishes before the browsers: the most recent faces come first
  // among the thumbnails, so only speaking can put it in front.
  running_lamp lamp(w.node, "lamp9");
  cdp_browser b1(w.node.dir.path / "s1-profile");
  auto s1 = b1.open(w.url("class.html", "s1", "&role=student"));
  cdp_browser b2(w.node.dir.path / "s2-profile");
  auto s2 = b2.open(w.url("class.html", "s2", "&role=student"));
  pages::wait(b2, s2, state + ".published.length > 0", 30s, "s2 publishes");
  pages::wait(b1, s1, state + ".members.length === 200", 30s, "s1 sees all 200");
  pages::wait(b1, s1,
              state + ".videos.some(v => v.owner === 't1' && v.layer === 'LAYER_HIGH' && v.frameWidth >= 640)",
              40s, "the teacher on the high layer");
  pages::wait(b1, s1,
              state + ".videos.some(v => v.owner === 's2' && v.layer === 'LAYER_LOW' && v.frameWidth > 0 && v.frameWidth <= 320)",
              40s, "s2 as a low-layer thumbnail");
  // The lamp speaks: first among the thumbnails, named as speaking (beside
  // the teacher, whose Chromium's fake microphone beeps).
  pages::wait(b1, s1, state + ".active.length >= 2 && " + state + ".active[0] !== 'lamp9'", 20s,
              "the lamp's face is not first while it is quiet");
  lamp.client->set_mic_level(30);
  pages::wait(b1, s1,
              state + ".active[0] === 'lamp9' && " + state + ".speakers.includes('lamp9')"
                      " && document.querySelector('#speakers').textContent.includes('lamp9')"
                      " && document.querySelector('#thumbs .tile.speaking') !== null",
              20s, "the speaking lamp comes first and is named");
  lamp.client->set_mic_level(127);
  // Watching a dozen tracks and sending two: two connections.
  auto held = b1.eval(s1, state + ".connections");
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST(held->number_value() == 2);
  auto tiles = b1.eval(s1, state + ".rosterTiles");
  BOOST_REQUIRE(tiles.has_value());
  BOOST_TEST(tiles->number_value() <= 48);
  auto nodes = b1.eval(s1, "document.getElementsByTagName('*').length");
  BOOST_REQUIRE(nodes.has_value());
  BOOST_TEST(nodes->number_value() < 1500, "the page stays small: " << nodes->number_value());
  // Focus: s2 moves to the high layer, at its next key frame.
  pages::run(b1, s1, "window.lamplightTest.focus('s2')");
  pages::wait(b1, s1,
              state + ".videos.some(v => v.owner === 's2' && v.layer === 'LAYER_HIGH' && v.frameWidth >= 640)",
              40s, "the focused student on the high layer");
  pages::shot(b1, s1, "class.png", true);
}


// In a cluster, a page whose gateway dies (kill -9) reconnects through
// another gateway it learnt (GET /gateways) with its token, to its seat on
// the room node.
BOOST_AUTO_TEST_CASE(a_page_reconnects_through_another_gateway_when_its_own_dies) {
  using lamplight::test::node_process;
  auto args = [](const std::string& name, const std::string& seed, const std::string& roles) {
    std::vector<std::string> a{"--name",  name,  "--cluster-port",      "0",
                               "--roles", roles, "--token-secret-file", lamplight::test::cluster_secret_file()};
    if (!seed.empty())
      a.insert(a.end(), {"--seeds", seed});
    return a;
  };
  node_process g1(args("g1", "", "gateway"));
  auto seed = "127.0.0.1:" + std::to_string(g1.cluster_port);
  node_process g2(args("g2", seed, "gateway"));
  node_process r1(args("r1", seed, "room,media"));
  // The teacher's lamp opens the classroom through g2, once the cluster
  // has its room node (bounded retries).
  lamp_options o;
  o.port = g2.http_port;
  lamp_client teacher(lamplight::test::shared_lamp_media(), o);
  bool opened = false;
  for (int i = 0; i < 50 && !opened; ++i) {
    opened = static_cast<bool>(teacher.join(g2.token("t1", "teacher", "&mode=small_group")));
    if (!opened)
      std::this_thread::sleep_for(200ms);  // the cluster forming: polled, bounded
  }
  BOOST_REQUIRE_MESSAGE(opened, "the classroom did not open through g2");
  auto base = "http://127.0.0.1:" + std::to_string(g1.http_port);
  cdp_browser sb(g1.dir.path / "student-profile");
  auto student = sb.open(base + "/student.html?tenant=acme&classroom=room-1&identity=s2&autopublish=0");
  pages::wait(sb, student, state + ".joined && " + state + ".gateways.length === 2", 30s,
              "the student page joins through g1 and learns both gateways");
  auto g2_port = ":" + std::to_string(g2.http_port) + "/";
  BOOST_TEST(sb.eval(student, state + ".signalUrl")->string_value().find(g2_port) == std::string::npos);

  g1.proc->stop(SIGKILL, 10s);

  pages::wait(sb, student,
              state + ".joined && " + state + ".signalUrl.includes('" + g2_port + "')", 40s,
              "the page reconnects through g2");
  pages::wait(sb, student,
              state + ".members.some(m => m.identity === 's2' && m.presence === 'PRESENCE_ONLINE')",
              20s, "its seat is online again");
  sig::ClientMessage get;
  get.mutable_get_snapshot();
  auto snap = require(teacher.request(get), "snapshot").snapshot();
  bool online = false;
  for (const auto& m : snap.members())
    online = online || (m.identity() == "s2" && m.presence() == sig::PRESENCE_ONLINE);
  BOOST_TEST(online);
}

BOOST_AUTO_TEST_SUITE_END()
