// Debian's Chromium, headless, against a real lamplight-node: the page
// web/tests/loopback.html publishes a canvas camera through ICE, DTLS and
// SRTP to the node's SFU and subscribes to it again; the subscriber must
// decode frames that went through the node.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <regex>

#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using lamplight::test::child_process;
using lamplight::test::temp_dir;

BOOST_AUTO_TEST_SUITE(browser_media)

BOOST_AUTO_TEST_CASE(chromium_publishes_and_subscribes_through_the_sfu) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                        "Debian's chromium is needed: bash scripts/install-deps.sh --browser");
  lamplight::test::node_process node;
  auto url = "http://127.0.0.1:" + std::to_string(node.http_port)
             + "/tests/loopback.html?frames=30&room=loopback";
  child_process browser(
    {"/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
     "--disable-dev-shm-usage", "--allow-loopback-in-peer-connection", "--enable-logging=stderr",
     "--v=0", "--user-data-dir=" + (node.dir.path / "profile").string(), url},
    {}, true);
  auto result = browser.wait_for("LAMPLIGHT-RESULT", 60s);
  BOOST_REQUIRE_MESSAGE(result.has_value(), "the page reported nothing");
  BOOST_TEST_MESSAGE(*result);
  BOOST_TEST(result->find("\"ok\":true") != std::string::npos, *result);
  BOOST_TEST(result->find("\"publisher\":\"connected\"") != std::string::npos);
  BOOST_TEST(result->find("\"subscriber\":\"connected\"") != std::string::npos);
  std::smatch frames;
  BOOST_REQUIRE(std::regex_search(*result, frames, std::regex("framesDecoded\":([0-9]+)")));
  BOOST_TEST(std::stoi(frames[1].str()) >= 30);
}

BOOST_AUTO_TEST_SUITE_END()
