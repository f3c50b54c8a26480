// Debian's Chromium, headless, against a real lamplight-node: the page
// web/tests/loopback.html publishes a canvas camera through ICE, DTLS and
// SRTP to the node's SFU and watches it again on its subscribe session (the
// node offers, the page answers); the subscriber must decode frames that
// went through the node.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <regex>

#include "tests/support/janus_process.hpp"
#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using lamplight::test::child_process;
using lamplight::test::temp_dir;

BOOST_AUTO_TEST_SUITE(browser_media)

namespace {

/// Opens `path` of a fresh node in a headless Chromium; its result line.
/// `node_args`: e.g. the Janus the node drives.
std::string run_page(const std::string& path, std::vector<std::string> node_args = {}) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                        "Debian's chromium is needed: bash scripts/install-deps.sh --browser");
  lamplight::test::node_process node(std::move(node_args));
  auto url = "http://127.0.0.1:" + std::to_string(node.http_port) + path;
  child_process browser(
    {"/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
     "--disable-dev-shm-usage", "--allow-loopback-in-peer-connection", "--enable-logging=stderr",
     "--v=0", "--user-data-dir=" + (node.dir.path / "profile").string(), url},
    {}, true);
  auto result = browser.wait_for("LAMPLIGHT-RESULT", 90s);
  BOOST_REQUIRE_MESSAGE(result.has_value(), "the page reported nothing");
  BOOST_TEST_MESSAGE(*result);
  return *result;
}

} // namespace

BOOST_AUTO_TEST_CASE(chromium_publishes_and_subscribes_through_the_sfu) {
  auto result = run_page("/tests/loopback.html?frames=30&room=loopback");
  BOOST_TEST(result.find("\"ok\":true") != std::string::npos, result);
  BOOST_TEST(result.find("\"publisher\":\"connected\"") != std::string::npos);
  BOOST_TEST(result.find("\"subscriber\":\"connected\"") != std::string::npos);
  std::smatch frames;
  BOOST_REQUIRE(std::regex_search(result, frames, std::regex("framesDecoded\":([0-9]+)")));
  BOOST_TEST(std::stoi(frames[1].str()) >= 30);
}

// Simulcast from a real Chromium (two layers by rid, learnt from the
// rtp-stream-id extension), and a subscriber that asks for the low layer,
// then the high one, then the low one: the decoded width follows, which
// only works if every switch happened at a key frame, and the decoder goes
// on decoding after them (continuous sequence, timestamps, picture ids).
BOOST_AUTO_TEST_CASE(chromium_simulcast_layers_switch_on_request) {
  auto result = run_page("/tests/loopback.html?simulcast=1&room=simulcast");
  BOOST_TEST(result.find("\"ok\":true") != std::string::npos, result);
  BOOST_TEST(result.find("\"steps\":[true,true,true,true]") != std::string::npos);
}

// The same page on a classroom served by Janus: the browser's subscribe
// session is Janus's (its offer, as a subscribeOffer push, answered the same
// way), and it decodes what went through Janus. Janus runs in a network
// namespace of its own; Chromium reaches it over the veth pair.
BOOST_AUTO_TEST_CASE(chromium_publishes_and_subscribes_through_janus) {
  lamplight::test::janus_process janus;
  auto result = run_page("/tests/loopback.html?frames=30&room=janus&provider=janus",
                         {"--janus", janus.host + ":" + std::to_string(janus.ws_port)});
  BOOST_TEST(result.find("\"ok\":true") != std::string::npos, result);
  BOOST_TEST(result.find("\"subscriber\":\"connected\"") != std::string::npos);
  std::smatch frames;
  BOOST_REQUIRE(std::regex_search(result, frames, std::regex("framesDecoded\":([0-9]+)")));
  BOOST_TEST(std::stoi(frames[1].str()) >= 30);
}

BOOST_AUTO_TEST_SUITE_END()
